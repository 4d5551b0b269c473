from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = "逐级审核"

    def ready(self) -> None:
        # The 信息变更核实 admin lives beside reviews/admin.py (autodiscovered) in its own
        # module; register it with the rest of the admin.
        from . import admin_changes  # noqa: F401
        from .reactions import register

        register()
