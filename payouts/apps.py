from django.apps import AppConfig


class PayoutsConfig(AppConfig):
    name = "payouts"
    verbose_name = "分配、公示与发放"

    def ready(self):
        from .allocation.quota_adjust import quota_usage_register

        quota_usage_register()
