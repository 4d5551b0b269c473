from django.contrib.auth import views as auth_views
from django.urls import path

from . import views_messages
from .views import account, apply, auth, files, payment, previews, profile, public

app_name = "applications"

urlpatterns = [
    path("", apply.home, name="home"),
    path("help/", public.help_page, name="help"),
    path("register/", auth.register, name="register"),
    path("login/", auth.WorkerLoginView.as_view(), name="login"),
    path("login/sms/", auth.sms_login, name="sms_login"),
    path("password/reset/", auth.password_reset, name="password_reset"),
    path("account/verify/", account.reauth, name="reauth"),
    path("account/password/", account.password_change, name="password_change"),
    path("account/phone/", account.phone_change, name="phone_change"),
    path("messages/", views_messages.messages_page, name="messages"),
    path("messages/<int:pk>/", views_messages.message_open, name="message_open"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("profile/", profile.profile, name="profile"),
    path("profile/payment/", payment.payment_account, name="payment_account"),
    path("unions/search.json", profile.union_search_json, name="union_search"),
    path("programs/<int:pk>/apply/", apply.program_apply, name="program_apply"),
    path("applications/<int:pk>/", apply.application_detail, name="detail"),
    path("applications/<int:pk>/edit/", apply.application_edit, name="edit"),
    path("applications/<int:pk>/upload/", apply.attachment_upload_view, name="upload"),
    path("applications/<int:pk>/submit/", apply.application_submit_view, name="submit"),
    path("applications/<int:pk>/withdraw/", apply.application_withdraw_view, name="withdraw"),
    path("applications/<int:pk>/print/", files.application_print, name="print"),
    path("attachments/<int:pk>/download/", files.attachment_download, name="attachment_download"),
    path("attachments/<int:pk>/preview.jpg", previews.attachment_preview, name="attachment_preview"),
    path("attachments/<int:pk>/view/", previews.attachment_view, name="attachment_view"),
]
