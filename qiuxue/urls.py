from django.contrib import admin
from django.urls import include, path

from applications.forms import StaffLoginForm
from qiuxue.health import HealthzView
from quotas.admin_site import configure_admin_site
from quotas.two_factor_views import staff_otp_setup, staff_otp_verify_view

configure_admin_site(admin.site)
# The admin login is throttled like the worker login (the form lives with the throttle in
# applications; quotas, below it, cannot import it).
admin.site.login_form = StaffLoginForm

urlpatterns = [
    path("admin/otp/setup/", staff_otp_setup, name="staff_otp_setup"),
    path("admin/otp/verify/", staff_otp_verify_view, name="staff_otp_verify"),
    path("healthz/", HealthzView.as_view(), name="healthz"),
    path("admin/", admin.site.urls),
    path("quotas/", include("quotas.urls")),
    path("reviews/", include("reviews.urls")),
    path("payouts/", include("payouts.urls")),
    path("", include("applications.urls")),
]
