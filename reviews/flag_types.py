"""The shapes of a risk flag, shared by the checks (``flags``, ``copies``) and the stored
result (``flag_checks``): a module of its own so the checks need not import each other."""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


class FlagCode:
    SAME_PERSON_LEVEL = "same_person_level"
    SHARED_BANK_CARD = "shared_bank_card"
    SHARED_PHONE = "shared_phone"
    ENROLMENT_OUTSIDE_YEAR = "enrolment_outside_year"
    CHSI_SHORT_VALIDITY = "chsi_short_validity"
    PUBLIC_SECTOR_NO_RANK_CERT = "public_sector_no_rank_cert"
    # Copied papers and membership (reviews/copies.py, reviews/membership.py).
    COPIED_FILE = "copied_file"
    COPIED_PICTURE = "copied_picture"
    SHARED_CHSI_CODE = "shared_chsi_code"
    NOT_MEMBER = "not_member"
    # The 学信网 report read (reviews/report_check.py): a ✗, or not read yet.
    REPORT_MISMATCH = "report_mismatch"
    REPORT_PENDING = "report_pending"


FLAG_LABELS = {
    FlagCode.SAME_PERSON_LEVEL: _("同一人同一学历层次已申请或已获补助"),
    FlagCode.SHARED_BANK_CARD: _("银行卡号与他人相同"),
    FlagCode.SHARED_PHONE: _("手机号与他人相同"),
    FlagCode.ENROLMENT_OUTSIDE_YEAR: _("入学时间不在本年度"),
    FlagCode.CHSI_SHORT_VALIDITY: _("学信网报告有效期不足"),
    FlagCode.PUBLIC_SECTOR_NO_RANK_CERT: _("机关事业单位职工未上传职级证明"),
    FlagCode.COPIED_FILE: _("材料文件与他人申请相同"),
    FlagCode.COPIED_PICTURE: _("材料图片与他人申请相同或相近"),
    FlagCode.SHARED_CHSI_CODE: _("学信网验证码与他人相同"),
    FlagCode.NOT_MEMBER: _("不在工会会员名册中"),
    FlagCode.REPORT_MISMATCH: _("学信网报告内容与申请不符"),
    FlagCode.REPORT_PENDING: _("学信网报告核对中"),
}


@dataclass(frozen=True)
class OtherApplication:
    """The other side of a shared card, phone, paper or code: named masked, linked where
    in scope."""

    pk: int | None
    number: str
    name_masked: str

    def as_dict(self) -> dict:
        return {"pk": self.pk, "number": self.number, "name_masked": self.name_masked}


@dataclass(frozen=True)
class Flag:
    code: str
    detail: str
    others: tuple[OtherApplication, ...] = ()

    @property
    def label(self) -> str:
        return str(FLAG_LABELS.get(self.code, self.code))

    def as_dict(self) -> dict:
        return {"code": self.code, "detail": self.detail, "others": [o.as_dict() for o in self.others]}

    @classmethod
    def from_dict(cls, data: dict) -> "Flag":
        others = tuple(
            OtherApplication(o.get("pk"), o.get("number", ""), o.get("name_masked", "")) for o in data.get("others", [])
        )
        return cls(data["code"], data.get("detail", ""), others)
