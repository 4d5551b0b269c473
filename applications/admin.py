"""Worker and Notification in the admin: read-only, masked numbers, scoped to the admin's
union subtree. (``Application`` is registered by the reviews app.)"""

from django.contrib import admin

from quotas.admin_scoping import ReadOnlyMixin, UnionScopedAdmin

from .models import Notification, Worker
from .notifications import notification_delivery_retry


@admin.register(Worker)
class WorkerAdmin(ReadOnlyMixin, UnionScopedAdmin):
    union_lookup = "union"
    list_display = ("name", "id_number_masked", "phone_masked", "employer", "union", "is_frontline", "is_migrant")
    list_filter = (
        "is_frontline",
        "is_migrant",
        "is_public_sector",
        "is_model_worker",
        "is_union_cadre",
        "is_advanced_worker",
        "is_new_form_worker",
    )
    search_fields = ("name", "employer", "union__name")
    list_select_related = ("union",)
    # Only masked copies of the numbers; ciphertext and HMAC are never shown.
    fields = (
        "name",
        "id_number_masked",
        "birth_date",
        "phone_masked",
        "email",
        "employer",
        "position",
        "union",
        "is_frontline",
        "is_migrant",
        "is_public_sector",
        "is_model_worker",
        "is_union_cadre",
        "is_advanced_worker",
        "is_new_form_worker",
        "categories",
        "bank_name",
        "bank_card_masked",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields

    @admin.display(description="手机号")
    def phone_masked(self, obj: Worker) -> str:
        return obj.phone_masked


class DeliveryStateFilter(admin.SimpleListFilter):
    title = "短信/邮件发送"
    parameter_name = "delivery"

    def lookups(self, request, model_admin):
        return (("sent", "已发送"), ("waiting", "等待发送"), ("failed", "多次发送失败"))

    def queryset(self, request, queryset):
        state = {"sent": queryset.delivered, "waiting": queryset.waiting, "failed": queryset.failed}.get(self.value())
        return state() if state else queryset


@admin.register(Notification)
class NotificationAdmin(ReadOnlyMixin, UnionScopedAdmin):
    """What the workers were told and whether the SMS/email copies went out: read-only,
    scoped by the application's union. A manager can send the ones that ran out of attempts
    again (after a gateway outage)."""

    union_path_field = "application__union_path"
    list_display = ("created_at", "application", "title", "delivered_at", "delivery_attempts")
    list_filter = (DeliveryStateFilter,)
    search_fields = ("application__number", "title")
    list_select_related = ("application",)
    fields = ("application", "title", "body", "created_at", "read_at", "emailed_at", "texted_at", "delivered_at")
    readonly_fields = fields
    actions = ("retry_failed",)
    show_full_result_count = False

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not self._may_write(request):
            actions.pop("retry_failed", None)
        return actions

    @admin.action(description="重新发送所选的发送失败消息")
    def retry_failed(self, request, queryset):
        # The queryset is already the admin's scope: forged ids from elsewhere are not in it.
        count = notification_delivery_retry(
            notification_ids=list(queryset.values_list("pk", flat=True)), actor=request.user
        )
        self.message_user(request, f"已安排重新发送 {count} 条消息（未发送失败的消息不受影响）。")
