from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .models import (
    COFUNDER_TIER,
    DocumentKind,
    EducationLevel,
    Program,
    ProgramStage,
    Quota,
    Union,
    UnionAdmin,
    UnionLevel,
    WorkerCategory,
)
from .services import staff_number_normalise, union_update_check
from .usage import quota_floor_message, quota_given_counts

QUOTA_TABLE_MAX_BYTES = 2 * 1024 * 1024


class QuotaTableUploadForm(forms.Form):
    file = forms.FileField(label=_("名额分配表（.xlsx 或 .csv）"))
    create_missing = forms.BooleanField(
        label=_("自动创建工会树中没有的单位"),
        required=False,
        help_text=_("按名称推断层级：区/县总工会→县区，机关工会工委→机关，集团/公司→大企业，其余→产业"),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if Path(upload.name).suffix.lower() not in (".xlsx", ".csv"):
            raise forms.ValidationError(_("只支持 .xlsx 或 .csv 文件"))
        limit = min(QUOTA_TABLE_MAX_BYTES, getattr(settings, "UPLOAD_MAX_BYTES", QUOTA_TABLE_MAX_BYTES))
        if upload.size > limit:
            raise forms.ValidationError(_("文件过大（上限 %(mb)s MB）") % {"mb": limit // (1024 * 1024)})
        return upload


class ApportionForm(forms.Form):
    pool = forms.IntegerField(label=_("全市调剂名额"), min_value=0, initial=0)


class UnionTreeForm(forms.ModelForm):
    """The union tree page. The refusals are the service's own (``union_update_check``),
    shown as the form's error before anything is written. ``actor`` is set by the admin."""

    actor = None

    class Meta:
        model = Union
        fields = ["parent", "name", "code", "level", "member_count"]

    def clean(self):
        data = super().clean()
        if self.instance.pk is None or self.errors:
            return data
        fields = {k: data[k] for k in ("name", "code", "level", "member_count") if k in data}
        if "parent" in data:
            fields["parent"] = data["parent"]
        try:
            union_update_check(union=self.instance, actor=self.actor, **fields)
        except ValidationError as exc:
            raise forms.ValidationError(exc.messages) from exc
        return data


def staff_accounts_free():
    """Accounts that may become union admins: staff accounts not yet attached to a union,
    never a worker's account (so no worker's phone-number login is ever listed)."""
    return (
        get_user_model()
        .objects.filter(is_staff=True, is_superuser=False, union_admin__isnull=True, worker__isnull=True)
        .order_by("username")
    )


class UnionAdminForm(forms.ModelForm):
    """Create or change a union admin. A new admin is an existing free staff account or a
    new account typed here; the person's own numbers are optional, written once, shown
    masked, and let the review refuse their own cases under any account."""

    user = forms.ModelChoiceField(
        label=_("已有工作账号"), queryset=None, required=False, help_text=_("或在下方新建工作账号")
    )
    username = forms.CharField(label=_("新账号用户名"), max_length=150, required=False)
    password = forms.CharField(label=_("新账号初始密码"), required=False, widget=forms.PasswordInput)
    id_number = forms.CharField(label=_("本人身份证号"), max_length=30, required=False)
    phone = forms.CharField(label=_("本人手机号"), max_length=20, required=False)
    bank_card = forms.CharField(label=_("本人银行卡号"), max_length=30, required=False)

    class Meta:
        model = UnionAdmin
        fields = ["union", "role"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            self.fields["user"].queryset = staff_accounts_free()
        else:
            for name in ("user", "username", "password"):
                del self.fields[name]
        help_text = _("选填；用于回避本人（及同卡、同手机号）申请的审核；保存后只显示脱敏号码，留空则不修改")
        for name in ("id_number", "phone", "bank_card"):
            masked = getattr(self.instance, f"{name}_masked", "")
            self.fields[name].help_text = f"{_('已登记')}：{masked}；{help_text}" if masked else help_text

    def clean_id_number(self):
        return self._number("id_number")

    def clean_phone(self):
        return self._number("phone")

    def clean_bank_card(self):
        return self._number("bank_card")

    def _number(self, kind: str) -> str:
        try:
            return staff_number_normalise(kind=kind, value=self.cleaned_data.get(kind, ""))
        except ValidationError as exc:
            raise forms.ValidationError(exc.messages) from exc

    def clean(self):
        data = super().clean()
        if self.instance.pk is not None:
            return data
        user, username = data.get("user"), (data.get("username") or "").strip()
        if user is None and not username:
            raise forms.ValidationError(_("请选择已有的工作账号，或填写新账号的用户名。"))
        if user is not None and username:
            raise forms.ValidationError(_("选择已有账号时不要再填写新账号用户名。"))
        if username and get_user_model().objects.filter(username=username).exists():
            self.add_error("username", _("用户名「%(u)s」已被使用。") % {"u": username})
        if username and not data.get("password"):
            self.add_error("password", _("新账号须设置初始密码。"))
        return data


class QuotaSlotsForm(forms.ModelForm):
    """A quota row's slots by hand: the floor (places given) is checked here for the page and
    again by the slot write under lock."""

    class Meta:
        model = Quota
        fields = ["slots", "release_unused_at"]

    def clean_slots(self):
        slots = self.cleaned_data["slots"]
        quota = self.instance
        if quota.pk is None:
            return slots
        given = quota_given_counts([quota])[quota.pk]
        if slots < given and slots < Quota.objects.get(pk=quota.pk).slots:
            raise forms.ValidationError(quota_floor_message(quota=quota, given=given, slots=slots))
        return slots


class QuotaTransferForm(forms.Form):
    from_quota = forms.ModelChoiceField(label=_("调出单位"), queryset=Quota.objects.none())
    to_quota = forms.ModelChoiceField(label=_("调入单位"), queryset=Quota.objects.none())
    slots = forms.IntegerField(label=_("调整名额"), min_value=1)
    reason = forms.CharField(label=_("调整原因"), max_length=300, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, source, **kwargs):
        super().__init__(*args, **kwargs)
        rows = Quota.objects.filter(source=source).select_related("union").order_by("is_pool", "position", "id")
        self.fields["from_quota"].queryset = rows
        self.fields["to_quota"].queryset = rows

    def clean(self):
        data = super().clean()
        if data.get("from_quota") and data.get("from_quota") == data.get("to_quota"):
            raise forms.ValidationError(_("调出和调入不能是同一单位。"))
        return data


# Review tiers from low to high (UnionLevel lists them from the top down); a co-funder step
# is last. A form's order, not an authority decision.
REVIEW_TIER_CHOICES = [*reversed(UnionLevel.choices), (COFUNDER_TIER, _("高校（合作资助单位）"))]


class ChoiceListField(forms.MultipleChoiceField):
    """A JSON list of codes shown as Chinese checkboxes (not raw JSON). The stored order is
    the choices' order; codes the choices do not know are kept, after the known ones, so a
    save never drops what it cannot show."""

    widget = forms.CheckboxSelectMultiple

    def __init__(self, *, keep: list | None = None, **kwargs):
        super().__init__(**kwargs)
        self.keep = keep or []

    def clean(self, value):
        picked = set(super().clean(value))
        known = [code for code, _label in self.choices]
        return [c for c in known if c in picked] + [c for c in self.keep if c not in known]


class ProgramForm(forms.ModelForm):
    LIST_FIELDS = {
        "eligible_levels": EducationLevel.choices,
        "excluded_categories": WorkerCategory.choices,
        "required_documents": DocumentKind.choices,
        "public_sector_documents": DocumentKind.choices,
        "review_tiers": REVIEW_TIER_CHOICES,
    }

    class Meta:
        model = Program
        fields = "__all__"  # noqa: DJ007 - the admin picks the fields; this form only swaps widgets

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, choices in self.LIST_FIELDS.items():
            if name not in self.fields:
                continue
            model_field = Program._meta.get_field(name)
            current = list(getattr(self.instance, name, None) or [])
            self.fields[name] = ChoiceListField(
                choices=choices,
                required=not model_field.blank,
                label=model_field.verbose_name,
                help_text=model_field.help_text,
                keep=current,
                initial=current,
            )


class ProgramStageForm(forms.ModelForm):
    """A stage's papers and review tiers as Chinese checkboxes, like the programme's."""

    LIST_FIELDS = {"required_documents": DocumentKind.choices, "review_tiers": REVIEW_TIER_CHOICES}

    class Meta:
        model = ProgramStage
        fields = "__all__"  # noqa: DJ007 - the inline picks the fields; this form only swaps widgets

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, choices in self.LIST_FIELDS.items():
            if name not in self.fields:
                continue
            model_field = ProgramStage._meta.get_field(name)
            current = list(getattr(self.instance, name, None) or [])
            self.fields[name] = ChoiceListField(
                choices=choices, required=False, label=model_field.verbose_name, keep=current, initial=current
            )
