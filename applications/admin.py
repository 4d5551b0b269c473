"""Worker in the admin: read-only, masked numbers, scoped to the admin's union subtree.
(``Application`` is registered by the reviews app.)"""

from django.contrib import admin

from quotas.admin_scoping import UnionScopedAdmin

from .models import Worker


@admin.register(Worker)
class WorkerAdmin(UnionScopedAdmin):
    union_lookup = "union"
    list_display = ("name", "id_number_masked", "phone_masked", "employer", "union", "is_frontline", "is_migrant")
    list_filter = ("is_frontline", "is_migrant", "is_public_sector", "is_model_worker", "is_new_form_worker")
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
        "is_new_form_worker",
        "categories",
        "bank_name",
        "bank_card_masked",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="手机号")
    def phone_masked(self, obj: Worker) -> str:
        return obj.phone_masked
