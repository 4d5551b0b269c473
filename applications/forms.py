"""Forms of the worker's pages: they only parse and check input; services do the writing."""

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from quotas.models import DocumentKind, EducationLevel, Program, WorkerCategory

from . import throttle
from .accounts import account_login_failure_note
from .selectors import catalogue_of, unions_for_picker
from .services import ApplicationData, ProfileData
from .validators import number_normalise, validate_bank_card, validate_id_number, validate_phone

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _phone_field(label=None) -> forms.CharField:
    return forms.CharField(
        label=label or _lazy("手机号"),
        max_length=20,  # room for spaces or hyphens; validate_phone leaves the 11 digits
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "tel"}),
    )


def _code_field() -> forms.CharField:
    return forms.CharField(
        label=_lazy("短信验证码"),
        max_length=6,
        min_length=6,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "maxlength": "6"}),
    )


class PasswordPairMixin:
    """Two new-password fields checked against each other and Django's validators."""

    def _check_passwords(self, data: dict, username: str) -> None:
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("两次输入的密码不一致。"))
        if p1 and username:
            try:
                password_validation.validate_password(p1, get_user_model()(username=username))
            except ValidationError as exc:
                self.add_error("password1", exc)


def _password_fields(first=None) -> tuple[forms.CharField, forms.CharField]:
    attrs = {"autocomplete": "new-password"}
    return (
        forms.CharField(label=first or _lazy("密码"), widget=forms.PasswordInput(attrs=attrs)),
        forms.CharField(label=_lazy("确认密码"), widget=forms.PasswordInput(attrs=attrs)),
    )


class PhoneForm(forms.Form):
    """The send step: only the number to send the code to."""

    phone = _phone_field()

    def clean_phone(self) -> str:
        return validate_phone(self.cleaned_data["phone"])


class RegisterForm(PasswordPairMixin, forms.Form):
    # No "already registered" check here: the page answers the same for every number; the
    # SMS tells the owner of a registered number what happened.
    phone = _phone_field()
    code = _code_field()
    password1, password2 = _password_fields()

    def clean_phone(self) -> str:
        return validate_phone(self.cleaned_data["phone"])

    def clean(self):
        data = super().clean()
        self._check_passwords(data, data.get("phone", ""))
        return data


class PasswordResetForm(RegisterForm):
    password1, password2 = _password_fields(_lazy("新密码"))


class SmsLoginForm(forms.Form):
    phone = _phone_field()
    code = _code_field()

    def clean_phone(self) -> str:
        return validate_phone(self.cleaned_data["phone"])


class CodeForm(forms.Form):
    """A code sent to the signed-in worker's current phone."""

    code = _code_field()


class PasswordChangeForm(PasswordPairMixin, forms.Form):
    password1, password2 = _password_fields(_lazy("新密码"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean(self):
        data = super().clean()
        self._check_passwords(data, self.user.get_username())
        return data


class PhoneChangeForm(forms.Form):
    phone = _phone_field(_lazy("新手机号"))
    code = _code_field()

    def clean_phone(self) -> str:
        return validate_phone(self.cleaned_data["phone"])


class ThrottleMixin:
    """Counts failures per (account, address), per address and per account; while any is
    over its limit, password login is held back for that pair / address / account."""

    def _username(self, raw: str) -> str:
        return (raw or "").strip()

    def clean(self):
        username = self._username(self.data.get("username") or "")
        ip = throttle.client_ip(self.request)
        if throttle.login_locked(username=username, ip=ip):
            raise ValidationError(self.error_messages["locked"], code="locked")
        try:
            data = super().clean()
        except ValidationError:
            account_login_failure_note(username=username, ip=ip)
            raise
        throttle.login_success_record(username=username, ip=ip)
        return data


class StaffLoginForm(ThrottleMixin, AdminAuthenticationForm):
    """``/admin/login/``: throttled like the worker login. Staff have no SMS login: a pair
    held back waits out the window; the account is never locked for its owner elsewhere."""

    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "locked": _lazy("密码错误次数过多，此网络暂停用该账号登录，请15分钟后再试或换用本单位其他网络。"),
    }


class ThrottledLoginForm(ThrottleMixin, AuthenticationForm):
    """The worker login; while held back the page offers an SMS code instead."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _lazy("手机号或密码不正确。"),
        "locked": _lazy("密码错误次数过多，暂停用密码登录。请改用短信验证码登录，或15分钟后再试。"),
    }

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = _("手机号")
        self.fields["username"].widget.attrs.update({"inputmode": "numeric", "autocomplete": "username"})

    def _username(self, raw: str) -> str:
        # A mobile number typed with full-width digits or spaces is the same account.
        folded = number_normalise(raw)
        return folded if folded.isascii() and folded.isdigit() else (raw or "").strip()

    def clean_username(self) -> str:
        return self._username(self.cleaned_data.get("username", ""))


class UnionSelect(forms.Select):
    """A plain select (works without JS); static/applications/union-picker.js turns it into
    a search box against the JSON endpoint."""

    def __init__(self, attrs=None):
        super().__init__(attrs={"data-union-picker": "1", **(attrs or {})})


class ProfileForm(forms.Form):
    name = forms.CharField(label=_lazy("姓名"), max_length=40)
    id_number = forms.CharField(label=_lazy("身份证号"), max_length=18, required=False)
    employer = forms.CharField(label=_lazy("工作单位"), max_length=120)
    union = forms.ModelChoiceField(
        label=_lazy("所在工会"), queryset=unions_for_picker().order_by("name"), widget=UnionSelect, empty_label="—"
    )
    position = forms.CharField(label=_lazy("岗位"), max_length=60, required=False)
    email = forms.EmailField(label=_lazy("电子邮箱（选填）"), required=False)
    is_frontline = forms.BooleanField(
        label=_lazy("本人声明：我是一线职工（车间、工段、科室主任或科级及以下）"), required=False
    )
    is_migrant = forms.BooleanField(label=_lazy("农民工"), required=False)
    is_public_sector = forms.BooleanField(label=_lazy("机关事业单位职工"), required=False)
    is_model_worker = forms.BooleanField(label=_lazy("劳模工匠"), required=False)
    is_union_cadre = forms.BooleanField(label=_lazy("优秀工会干部"), required=False)
    is_advanced_worker = forms.BooleanField(label=_lazy("先进工作者"), required=False)
    is_new_form_worker = forms.BooleanField(
        label=_lazy("新就业形态劳动者（快递员、外卖骑手、网约车司机等）"), required=False
    )
    categories = forms.MultipleChoiceField(
        label=_lazy("本人属于以下类别（如有请勾选）"),
        choices=WorkerCategory.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    bank_name = forms.CharField(label=_lazy("开户银行"), max_length=60)
    bank_card = forms.CharField(
        label=_lazy("银行卡号"), max_length=23, required=False, widget=forms.TextInput(attrs={"inputmode": "numeric"})
    )
    holder_declaration = forms.BooleanField(label=_lazy("本人声明：以上银行卡为本人名下账户"), required=True)

    def __init__(self, *args, worker=None, pending=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.worker = worker
        if worker is None:
            self.fields["id_number"].required = True
            self.fields["bank_card"].required = True
        else:
            self.fields["id_number"].help_text = _("已登记：%(m)s（不修改请留空）") % {"m": worker.id_number_masked}
            self.fields["bank_card"].help_text = _("已登记：%(m)s（不修改请留空）") % {"m": worker.bank_card_masked}
            if pending is not None and "bank_card" in pending.fields:
                self.fields["bank_card"].help_text = _("已登记：%(m)s；待核实的新卡：%(n)s（不修改请留空）") % {
                    "m": worker.bank_card_masked,
                    "n": pending.bank_card_masked,
                }

    def clean_id_number(self) -> str:
        value = self.cleaned_data.get("id_number", "")
        return validate_id_number(value) if value else ""

    def clean_bank_card(self) -> str:
        value = self.cleaned_data.get("bank_card", "")
        return validate_bank_card(value) if value else ""

    def profile_data(self) -> ProfileData:
        d = self.cleaned_data
        return ProfileData(
            name=d["name"],
            employer=d["employer"],
            union=d["union"],
            bank_name=d["bank_name"],
            id_number=d["id_number"],
            bank_card=d["bank_card"],
            position=d["position"],
            email=d["email"],
            is_frontline=d["is_frontline"],
            is_migrant=d["is_migrant"],
            is_public_sector=d["is_public_sector"],
            is_model_worker=d["is_model_worker"],
            is_union_cadre=d["is_union_cadre"],
            is_advanced_worker=d["is_advanced_worker"],
            is_new_form_worker=d["is_new_form_worker"],
            categories=tuple(d["categories"]),
        )


class ApplicationForm(forms.Form):
    """School and major come from the programme's catalogue when it has one (Xian'an),
    typed in otherwise."""

    entry = forms.ChoiceField(label=_lazy("院校 · 层次 · 专业"), required=False)
    level = forms.ChoiceField(label=_lazy("学历层次"), required=False)
    school = forms.CharField(label=_lazy("院校"), max_length=120, required=False)
    major = forms.CharField(label=_lazy("专业"), max_length=120, required=False)
    enrolled_on = forms.DateField(label=_lazy("入学日期"), widget=DATE_WIDGET)
    chsi_code = forms.CharField(
        label=_lazy("学信网学籍在线验证报告验证码"),
        max_length=40,
        help_text=_lazy("报告上印的“在线验证码”（通常12位）；怎么获取见页脚“常见问题”。"),
    )
    chsi_expires_on = forms.DateField(
        label=_lazy("验证报告有效期至"), widget=DATE_WIDGET, help_text=_lazy("报告上写的到期日期。")
    )

    def __init__(self, *args, program: Program, study_facts: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.program = program
        if not study_facts:
            # A programme in stages asks for these at a later stage (Xian'an: December, with
            # the 录取通知书): no field the worker cannot fill yet.
            for name in ("enrolled_on", "chsi_code", "chsi_expires_on"):
                del self.fields[name]
        levels = [lv for lv in program.eligible_levels if lv in EducationLevel.values]
        self.catalogue = [e for e in catalogue_of(program=program) if e.level in levels]
        if self.catalogue:
            self.fields["entry"].required = True
            self.fields["entry"].choices = [("", "—")] + [(str(e.pk), str(e)) for e in self.catalogue]
            # Level, school and major come from the chosen entry: no hidden copies of them,
            # which failed validation unseen (a level is no choice of an empty select) and
            # threw the worker's edits away.
            for name in ("level", "school", "major"):
                del self.fields[name]
        else:
            del self.fields["entry"]
            self.fields["level"].required = True
            self.fields["school"].required = True
            self.fields["major"].required = True
            self.fields["level"].choices = [("", "—")] + [(lv, EducationLevel(lv).label) for lv in levels]

    @classmethod
    def initial_from(cls, application) -> dict:
        return {
            "level": application.level,
            "school": application.school,
            "major": application.major,
            "enrolled_on": application.enrolled_on,
            "chsi_code": application.chsi_code,
            "chsi_expires_on": application.chsi_expires_on,
            "entry": next(
                (
                    str(e.pk)
                    for e in application.program.catalogue.all()
                    if (e.school, e.level, e.major) == (application.school, application.level, application.major)
                ),
                "",
            ),
        }

    def application_data(self) -> ApplicationData:
        d = self.cleaned_data
        if self.catalogue:
            entry = next(e for e in self.catalogue if str(e.pk) == d["entry"])
            level, school, major = entry.level, entry.school, entry.major
        else:
            level, school, major = d["level"], d["school"], d["major"]
        return ApplicationData(
            level=level,
            school=school,
            major=major,
            enrolled_on=d.get("enrolled_on"),
            chsi_code=d.get("chsi_code", ""),
            chsi_expires_on=d.get("chsi_expires_on"),
        )


ACCEPTED_UPLOADS = "image/jpeg,image/png,image/heic,image/heif,image/webp,.heic,.heif,application/pdf"


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=_lazy("材料类型"), choices=DocumentKind.choices)
    file = forms.FileField(
        label=_lazy("文件（照片 JPG、PNG、HEIC、WebP 或 PDF）"),
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPTED_UPLOADS}),
        error_messages={"required": _lazy("请先拍照或选择文件，再点上传。")},
    )


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_lazy("撤回原因（选填）"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    confirm = forms.BooleanField(label=_lazy("我确认撤回本申请，撤回后不能恢复"), required=True)
