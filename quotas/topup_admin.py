"""Admin of top-ups (多重补助): a lower union's manager proposes its own money for its own
subtree on the add page; the owner's managers approve or reject from the list. Every write
goes through ``quotas.topups``; scoping: the owner's subtree sees its programmes' top-ups,
a lower union those of its own subtree."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .admin_scoping import UnionScopedAdmin
from .models import FundingSource, Program, TopUpSource
from .permissions import may_decide_topup, may_propose_topup
from .selectors import union_admin_of, union_scope_of
from .topups import funding_source_topup_approve, funding_source_topup_propose, funding_source_topup_reject


class TopUpForm(forms.ModelForm):
    class Meta:
        model = TopUpSource
        fields = ["program", "name", "amount_yuan", "total_slots", "topup_rule", "matching_of"]
        labels = {"matching_of": _("前提补助（只补助获得该项补助的职工）"), "total_slots": _("补助名额（空 = 不限）")}

    def __init__(self, *args, request: HttpRequest | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        admin_ = union_admin_of(request.user) if request else None
        if "program" not in self.fields:
            return  # the view-only page of a decided or foreign top-up: nothing to choose
        owners = admin_.union.ancestor_paths()[:-1] if admin_ else []
        self.fields["program"].queryset = Program.objects.filter(owner_union__path__in=owners)
        self.fields["matching_of"].queryset = FundingSource.objects.filter(
            program__owner_union__path__in=owners, scope_union=None
        )
        self.fields["topup_rule"].required = True
        self.fields["name"].required = False
        self.fields["name"].help_text = _("留空则为“本工会名称+补助”")


@admin.register(TopUpSource)
class TopUpSourceAdmin(UnionScopedAdmin):
    list_display = ["name", "program", "scope_union", "amount_yuan", "total_slots", "topup_rule", "approval"]
    list_filter = ["approval", ("program", admin.RelatedOnlyFieldListFilter)]
    actions = ["approve_selected", "reject_selected"]
    form = TopUpForm

    def get_queryset(self, request):
        qs = TopUpSource.objects.filter(scope_union__isnull=False).select_related("program", "scope_union")
        scope = union_scope_of(request.user)
        if scope is None:
            return qs.none()
        return qs.filter(
            Q(program__owner_union__path__startswith=scope.path) | Q(scope_union__path__startswith=scope.path)
        )

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)

        class Bound(form):
            def __init__(self, *a, **kw):
                super().__init__(*a, request=request, **kw)

        return Bound

    def has_add_permission(self, request: HttpRequest) -> bool:
        admin_ = union_admin_of(request.user)
        return admin_ is not None and admin_.role == "manager" and admin_.union.parent_id is not None

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # decided by the actions; the rest of the set-up by the owner

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        union = union_admin_of(request.user).union
        refusal = may_propose_topup(user=request.user, program=data["program"], union=union)
        if not refusal:
            raise PermissionDenied(refusal.reason)
        source = funding_source_topup_propose(
            program=data["program"],
            union=union,
            amount_yuan=data["amount_yuan"],
            rule=data["topup_rule"],
            total_slots=data["total_slots"],
            base_source=data["matching_of"],
            name=data["name"] or "",
            actor=request.user,
        )
        obj.pk = source.pk

    def add_view(self, request, form_url="", extra_context=None):
        try:
            return super().add_view(request, form_url, extra_context)
        except (ValidationError, PermissionDenied) as exc:
            self.message_user(request, "；".join(getattr(exc, "messages", [str(exc)])), messages.ERROR)
            return self.changeform_view(request, None, form_url, extra_context)

    def _decide(self, request, queryset, decide, note):
        done = 0
        for source in queryset:
            refusal = may_decide_topup(user=request.user, source=source)
            if not refusal:
                self.message_user(request, refusal.reason, messages.ERROR)
                continue
            try:
                decide(source=source, actor=request.user, note=note)
                done += 1
            except ValidationError as exc:
                self.message_user(request, "；".join(exc.messages), messages.ERROR)
        if done:
            self.message_user(request, _("已处理%(n)s项下级工会补助。") % {"n": done}, messages.SUCCESS)

    @admin.action(description=_("批准所选补助（批准后参加分配）"))
    def approve_selected(self, request, queryset):
        self._decide(request, queryset, funding_source_topup_approve, str(_("主办工会同意")))

    @admin.action(description=_("不批准所选补助"))
    def reject_selected(self, request, queryset):
        self._decide(request, queryset, funding_source_topup_reject, str(_("主办工会未同意")))
