from django.apps import AppConfig


class PayoutsConfig(AppConfig):
    name = "payouts"
    verbose_name = "分配、公示与发放"

    def ready(self) -> None:
        # The money follows the application: withdrawal and revocation end the awards.
        from . import reactions

        reactions.register()
