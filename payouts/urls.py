from django.urls import include, path

from .allocation import views as allocation_views
from .publicity.views import publicity_public

app_name = "payouts"

urlpatterns = [
    # 公示: public, no login.
    path("gongshi/<int:pk>/", publicity_public, name="publicity_public"),
    # Payout lists: export, download, bank return, reconciliation.
    path("", include("payouts.payout.urls")),
    # Allocation: run with progress, status, quota usage and its XLSX.
    path("allocation/<slug:slug>/", allocation_views.allocation_program, name="allocation_program"),
    path("allocation/runs/<int:pk>/", allocation_views.allocation_run, name="allocation_run"),
    path("allocation/runs/<int:pk>/status.json", allocation_views.allocation_run_status, name="allocation_run_status"),
    path("allocation/<slug:slug>/usage/", allocation_views.allocation_usage, name="allocation_usage"),
    path(
        "allocation/<slug:slug>/usage/<int:source_id>.xlsx",
        allocation_views.allocation_usage_xlsx,
        name="allocation_usage_xlsx",
    ),
]
