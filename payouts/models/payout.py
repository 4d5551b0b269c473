"""Payout lists (发放名单): one per funding source × paying unit × batch, frozen at build.

A line keeps its own copy of the encrypted ID and card numbers: the list is what was sent
to the bank, whatever the worker changes later. A failed line is never edited back to
life; a reissue list (``reissue_of``) carries the worker's new card.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from quotas.jobs import Job, JobStatus
from quotas.models import Batch, CoFunder, FundingSource, Program, Union

from .allocation import Award


class PayoutListStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    EXPORTED = "exported", _("已导出")
    CLOSED = "closed", _("已结清")


class ExportStatus(models.TextChoices):
    IDLE = "", _("未导出")
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("生成中")
    DONE = "done", _("已生成")
    FAILED = "failed", _("失败")


class PayoutList(models.Model):
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="payout_lists", verbose_name=_("项目"))
    source = models.ForeignKey(
        FundingSource, on_delete=models.PROTECT, related_name="payout_lists", verbose_name=_("补助来源")
    )
    payer_union = models.ForeignKey(
        Union, null=True, blank=True, on_delete=models.PROTECT, related_name="payout_lists", verbose_name=_("发放工会")
    )
    # A university's own money (``PayerRule.APPLICANT_COFUNDER``): one list per university,
    # built, exported and recorded by its own finance.
    payer_cofunder = models.ForeignKey(
        CoFunder,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payout_lists",
        verbose_name=_("发放高校"),
    )
    payer_name = models.CharField(_("发放单位"), max_length=120)
    # The channel the money goes through (NULL = bank cards): one list per channel, each
    # exported in the columns that channel's payer uploads (``export.columns_for``).
    channel = models.ForeignKey(
        "quotas.PaymentChannel",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payout_lists",
        verbose_name=_("发放渠道"),
    )
    batch = models.ForeignKey(
        Batch, null=True, blank=True, on_delete=models.PROTECT, related_name="payout_lists", verbose_name=_("批次")
    )
    reissue_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reissues", verbose_name=_("补发自")
    )
    title = models.CharField(_("标题"), max_length=200)
    status = models.CharField(
        _("状态"), max_length=10, choices=PayoutListStatus.choices, default=PayoutListStatus.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("制表人")
    )
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True)
    # Private file in the default storage (local MEDIA_ROOT or the S3 bucket) under
    # private/payouts/ with a server-chosen name; only the permission-checked download
    # view reads it.
    file = models.FileField(upload_to="private/payouts/", blank=True, editable=False, verbose_name=_("文件"))
    row_count = models.PositiveIntegerField(_("人数"), default=0)
    total_yuan = models.PositiveBigIntegerField(_("合计金额（元）"), default=0)
    exported_at = models.DateTimeField(_("导出时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("发放名单")
        verbose_name_plural = _("发放名单")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(total_yuan__gte=0), name="payout_list_total_not_negative"),
        ]

    def __str__(self) -> str:
        return self.title

    # The list's export is a job of its own (PayoutExport); these read the latest one, so
    # the admin page, the status JSON and the list columns need not know.
    @cached_property
    def export_job(self) -> "PayoutExport | None":
        return self.exports.order_by("-id").first()

    @property
    def export_status(self) -> str:
        return self.export_job.status if self.export_job else ExportStatus.IDLE

    @property
    def export_progress(self) -> int:
        return self.export_job.progress if self.export_job else 0

    @property
    def export_message(self) -> str:
        return self.export_job.message if self.export_job else ""

    def get_export_status_display(self) -> str:
        return ExportStatus(self.export_status).label


class PayoutExport(Job):
    """One export of a payout list asked for by someone; the file it wrote becomes the
    list's ``file`` when it finishes. A rerun after a failure is a new row."""

    Status = JobStatus

    payout_list = models.ForeignKey(
        PayoutList, on_delete=models.CASCADE, related_name="exports", verbose_name=_("发放名单")
    )
    created_at = models.DateTimeField(_("申请时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("发放名单导出")
        verbose_name_plural = _("发放名单导出")
        ordering = ["-id"]
        constraints = [
            # At most one export of a list queued or running at a time (two clicks, two
            # servers): the database says no to the second.
            models.UniqueConstraint(
                fields=["payout_list"], condition=Q(status__in=["queued", "running"]), name="payout_export_one_active"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.payout_list_id} #{self.pk}"


class PayoutLineStatus(models.TextChoices):
    PENDING = "pending", _("待发放")
    PAID = "paid", _("已发放")
    FAILED = "failed", _("发放失败")
    # The claim ended (withdrawn, revoked) or a change of card/name is being checked after
    # the line was built: the line stays on the list, marked, and is never paid.
    VOID = "void", _("作废")


class PayoutLine(models.Model):
    payout_list = models.ForeignKey(
        PayoutList, on_delete=models.CASCADE, related_name="lines", verbose_name=_("发放名单")
    )
    award = models.ForeignKey(Award, on_delete=models.PROTECT, related_name="payout_lines", verbose_name=_("补助"))
    sequence = models.PositiveIntegerField(_("序号"))
    name = models.CharField(_("姓名"), max_length=40)
    id_number_encrypted = models.TextField(editable=False, verbose_name=_("身份证号（加密）"))
    id_number_masked = models.CharField(_("身份证号"), max_length=24)
    bank_name = models.CharField(_("开户银行"), max_length=60)
    bank_card_encrypted = models.TextField(editable=False, verbose_name=_("银行卡号（加密）"))
    # Lets a reissue see whether the worker has changed the card since this line failed.
    bank_card_hmac = models.CharField(max_length=64, editable=False, verbose_name=_("银行卡号索引"))
    bank_card_masked = models.CharField(_("银行卡号"), max_length=24)
    amount_yuan = models.PositiveIntegerField(_("金额（元）"))
    unit_name = models.CharField(_("工作单位"), max_length=120)
    status = models.CharField(
        _("状态"), max_length=10, choices=PayoutLineStatus.choices, default=PayoutLineStatus.PENDING
    )
    bank_message = models.CharField(_("银行反馈"), max_length=300, blank=True)
    void_reason = models.CharField(_("作废原因"), max_length=300, blank=True)
    voided_at = models.DateTimeField(_("作废时间"), null=True, blank=True)
    returned_at = models.DateTimeField(_("回盘时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("发放明细")
        verbose_name_plural = _("发放明细")
        ordering = ["payout_list", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["payout_list", "sequence"], name="payout_line_unique_sequence"),
            # An award is on at most one line that is not a failure: nobody is paid twice
            # for one source, however many lists or reissues are built.
            models.UniqueConstraint(
                fields=["award"], condition=~Q(status__in=["failed", "void"]), name="payout_line_one_live_per_award"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.payout_list_id}#{self.sequence} {self.name}"
