"""Forms of the review page and the bulk-action pages. They only shape input: the rules
(flags acknowledged, reason present, window open) are enforced by ``services``."""

from django import forms
from django.utils.translation import gettext_lazy as _

from applications.selectors import RETURNABLE_FIELDS

from .flags import Flag


class _WindowOverrideMixin(forms.Form):
    override_window = forms.BooleanField(label=_("审核期外办理（仅方案主办单位及上级工会管理员）"), required=False)
    override_reason = forms.CharField(
        label=_("审核期外办理原因"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ApproveForm(_WindowOverrideMixin):
    reason = forms.CharField(label=_("审核意见（可选）"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    acknowledged_flags = forms.MultipleChoiceField(
        label=_("我已核实以下风险提示"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, flags: list[Flag] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["acknowledged_flags"].choices = [(f.code, f"{f.label}：{f.detail}") for f in flags]


class ReturnForm(_WindowOverrideMixin):
    fields_to_fix = forms.MultipleChoiceField(
        label=_("需要修改的项目或材料"),
        choices=list(RETURNABLE_FIELDS.items()),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("请勾选需要修改的项目或材料。")},
    )
    reason = forms.CharField(
        label=_("退回原因"),
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("退回修改必须填写原因。")},
    )

    def __init__(self, *args, returnable: dict[str, str] | None = None, **kwargs):
        # ``returnable``: the application's own fields and papers
        # (``applications.selectors.returnable_fields_for``); the checklist offers no other.
        super().__init__(*args, **kwargs)
        if returnable is not None:
            self.fields["fields_to_fix"].choices = list(returnable.items())


class RejectForm(_WindowOverrideMixin):
    reason = forms.CharField(
        label=_("驳回原因"),
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("驳回必须填写原因。")},
    )
