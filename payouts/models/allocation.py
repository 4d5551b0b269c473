"""Awards: who gets which money, and why. Written only by the allocation services."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from applications.models import Application
from quotas.jobs import Job, JobStatus
from quotas.models import Batch, FundingSource, Program, Quota, Union


class AwardStatus(models.TextChoices):
    """Changed only by ``payouts.award_workflow.award_transition`` (its table is the rule)."""

    PROPOSED = "proposed", _("拟补助")
    PUBLISHED = "published", _("公示中")
    PAID = "paid", _("已发放")
    FAILED = "failed", _("发放失败")
    REISSUED = "reissued", _("补发中")
    REVOKED = "revoked", _("已撤销")  # taken back by the union (upheld objection)
    VOID = "void", _("已作废")  # the claim ended (the worker withdrew it)


# An ended award holds no place and is never paid; every other status is "live".
AWARD_ENDED_STATUSES = (AwardStatus.REVOKED, AwardStatus.VOID)
# The same, for the allocation's raw SQL.
AWARD_ENDED_SQL = "('revoked', 'void')"


class AwardQuerySet(models.QuerySet):
    def live(self):
        return self.exclude(status__in=AWARD_ENDED_STATUSES)

    def ended(self):
        return self.filter(status__in=AWARD_ENDED_STATUSES)


class AwardVia(models.TextChoices):
    UNIT_QUOTA = "quota", _("单位名额")
    POOL = "pool", _("全市调剂名额")
    BATCH_SHARE = "batch", _("批次名额")
    MATCHING = "matching", _("配套")
    SEAT = "seat", _("提交即占名额")
    TOTAL = "total", _("总名额")  # no unit quotas, no batch split: whole-programme order
    TOPUP = "topup", _("下级工会补助")  # a union's own money for its own subtree (多重补助)


class AllocationRun(Job):
    """A run asked for on the allocation page; status, progress, heartbeat: see quotas.jobs."""

    Status = JobStatus

    program = models.ForeignKey(
        Program, on_delete=models.PROTECT, related_name="allocation_runs", verbose_name=_("方案")
    )
    batch = models.ForeignKey(
        Batch, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("批次")
    )
    dry_run = models.BooleanField(default=False, verbose_name=_("试运行"))
    result = models.JSONField(default=dict, blank=True, verbose_name=_("结果"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("创建时间"))

    class Meta:
        verbose_name = _("分配运行")
        verbose_name_plural = _("分配运行")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.program} #{self.pk}"


class Award(models.Model):
    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, related_name="awards", verbose_name=_("申请")
    )
    source = models.ForeignKey(
        FundingSource, on_delete=models.PROTECT, related_name="awards", verbose_name=_("补助来源")
    )
    batch = models.ForeignKey(
        Batch, null=True, blank=True, on_delete=models.PROTECT, related_name="awards", verbose_name=_("批次")
    )
    amount_yuan = models.PositiveIntegerField(_("金额（元）"))
    via = models.CharField(_("名额来源"), max_length=12, choices=AwardVia.choices)
    quota = models.ForeignKey(
        Quota, null=True, blank=True, on_delete=models.PROTECT, related_name="awards", verbose_name=_("名额")
    )
    payer_union = models.ForeignKey(
        Union, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("支付工会")
    )
    rank = models.PositiveIntegerField(_("排位"), null=True, blank=True)
    explanation = models.CharField(_("说明"), max_length=300, blank=True)
    status = models.CharField(_("状态"), max_length=12, choices=AwardStatus.choices, default=AwardStatus.PROPOSED)
    run = models.ForeignKey(
        AllocationRun,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="awards",
        verbose_name=_("分配运行"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("创建时间"))

    objects = AwardQuerySet.as_manager()

    class Meta:
        verbose_name = _("补助")
        verbose_name_plural = _("补助")
        ordering = ["source", "rank", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "source"],
                condition=~Q(status__in=["revoked", "void"]),
                name="award_one_live_per_source",
            ),
        ]
        indexes = [models.Index(fields=["source", "status"], name="award_source_status_idx")]

    def __str__(self) -> str:
        return f"{self.application} {self.source.name} {self.amount_yuan}元"
