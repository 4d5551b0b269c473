"""Publicity (公示): the public list of a batch's awards, and objections raised against it."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from applications.models import Application
from quotas.models import Batch, Program


class PublicityStatus(models.TextChoices):
    OPEN = "open", _("公示中")
    CLOSED = "closed", _("已结束")


class Publicity(models.Model):
    """One publicity period. A batch may have more than one: a supplementary period lists
    the people promoted after an upheld objection (补充公示)."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="publicities", verbose_name=_("项目"))
    batch = models.ForeignKey(
        Batch, null=True, blank=True, on_delete=models.PROTECT, related_name="publicities", verbose_name=_("批次")
    )
    title = models.CharField(_("标题"), max_length=200)
    starts_at = models.DateTimeField(_("公示开始"))
    ends_at = models.DateTimeField(_("公示截止"))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("发布人")
    )
    status = models.CharField(_("状态"), max_length=10, choices=PublicityStatus.choices, default=PublicityStatus.OPEN)
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("创建时间"))

    class Meta:
        verbose_name = _("公示")
        verbose_name_plural = _("公示")
        ordering = ["-starts_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="publicity_period_order"),
        ]
        indexes = [models.Index(fields=["status", "ends_at"], name="publicity_due_idx")]

    def __str__(self) -> str:
        return self.title


class PublicityEntry(models.Model):
    """One listed person. The public page and the objection form name a line by ``token``
    (random, opaque), so no database id leaks and lines cannot be enumerated."""

    publicity = models.ForeignKey(Publicity, on_delete=models.CASCADE, related_name="entries", verbose_name=_("公示"))
    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, related_name="publicity_entries", verbose_name=_("申请")
    )
    position = models.PositiveIntegerField(_("序号"))
    token = models.CharField(max_length=24, unique=True, editable=False, verbose_name=_("异议凭证"))

    class Meta:
        verbose_name = _("公示名单行")
        verbose_name_plural = _("公示名单行")
        ordering = ["publicity", "position"]
        constraints = [
            models.UniqueConstraint(fields=["publicity", "application"], name="publicity_entry_once"),
        ]

    def __str__(self) -> str:
        return f"{self.publicity_id}#{self.position}"


class ObjectionStatus(models.TextChoices):
    PENDING = "pending", _("待处理")
    UPHELD = "upheld", _("异议成立")
    DISMISSED = "dismissed", _("异议不成立")


class Objection(models.Model):
    publicity = models.ForeignKey(
        Publicity, on_delete=models.PROTECT, related_name="objections", verbose_name=_("公示")
    )
    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, related_name="objections", verbose_name=_("被异议申请")
    )
    contact_name = models.CharField(_("联系人"), max_length=40)
    contact_phone = models.CharField(_("联系电话"), max_length=20)
    reason = models.TextField(_("异议理由"), max_length=2000)
    status = models.CharField(
        _("处理结果"), max_length=12, choices=ObjectionStatus.choices, default=ObjectionStatus.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("处理人"),
    )
    decision_note = models.TextField(_("处理意见"), blank=True)
    created_at = models.DateTimeField(_("提出时间"), auto_now_add=True)
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("公示异议")
        verbose_name_plural = _("公示异议")
        ordering = ["status", "-created_at"]
        indexes = [models.Index(fields=["publicity", "status"], name="objection_publicity_status_idx")]

    def __str__(self) -> str:
        return f"{self.publicity_id} · {self.get_status_display()}"
