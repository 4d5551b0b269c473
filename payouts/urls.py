from django.urls import path

app_name = "payouts"

urlpatterns: list = []
from django.urls import include  # noqa: E402

from .publicity.views import publicity_public  # noqa: E402

urlpatterns += [path("gongshi/<int:pk>/", publicity_public, name="publicity_public")]  # 公示 (public)
urlpatterns += [path("", include("payouts.payout.urls"))]  # payout lists: export, download, bank return
from .allocation import views as allocation_views  # noqa: E402

urlpatterns += [path("allocation/<slug:slug>/", allocation_views.allocation_program, name="allocation_program")]
urlpatterns += [path("allocation/runs/<int:pk>/", allocation_views.allocation_run, name="allocation_run")]
urlpatterns += [
    path("allocation/runs/<int:pk>/status.json", allocation_views.allocation_run_status, name="allocation_run_status")
]
urlpatterns += [path("allocation/<slug:slug>/usage/", allocation_views.allocation_usage, name="allocation_usage")]
urlpatterns += [
    path(
        "allocation/<slug:slug>/usage/<int:source_id>.xlsx",
        allocation_views.allocation_usage_xlsx,
        name="allocation_usage_xlsx",
    )
]
