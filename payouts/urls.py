from django.urls import path

app_name = "payouts"

urlpatterns: list = []
from django.urls import include  # noqa: E402

from .publicity.views import publicity_public  # noqa: E402

urlpatterns += [path("gongshi/<int:pk>/", publicity_public, name="publicity_public")]  # 公示 (public)
urlpatterns += [path("", include("payouts.payout.urls"))]  # payout lists: export, download, bank return
