"""URL patterns of payout lists; included from ``payouts/urls.py``."""

from django.urls import path

from . import views

urlpatterns = [
    path("payout/<int:pk>/export/", views.payout_export_start, name="payout_export_start"),
    path("payout/<int:pk>/export-status/", views.payout_export_status, name="payout_export_status"),
    path("payout/<int:pk>/download/", views.payout_download, name="payout_download"),
    path("payout/<int:pk>/bank-return/", views.payout_bank_return, name="payout_bank_return"),
    path("payout/reconciliation/<int:program_pk>/", views.payout_reconciliation_view, name="payout_reconciliation"),
]
