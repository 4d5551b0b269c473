from django.contrib import admin
from django.urls import include, path

from qiuxue.health import HealthzView
from quotas.admin_site import configure_admin_site

configure_admin_site(admin.site)

urlpatterns = [
    path("healthz/", HealthzView.as_view(), name="healthz"),
    path("admin/", admin.site.urls),
    path("quotas/", include("quotas.urls")),
    path("reviews/", include("reviews.urls")),
    path("payouts/", include("payouts.urls")),
    path("", include("applications.urls")),
]
