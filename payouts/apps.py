from django.apps import AppConfig


class PayoutsConfig(AppConfig):
    name = "payouts"
    verbose_name = "分配、公示与发放"

    def ready(self) -> None:
        # The money follows the application: withdrawal and revocation end the awards.
        from . import reactions
        from .allocation.quota_adjust import quota_usage_register

        reactions.register()
        # quotas asks payouts how many places of a quota row are already given (the floor).
        quota_usage_register()
