"""Report files built in the background: the row is the progress indicator and the key
to a private file that only goes out through an audited, scoped download."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from quotas.jobs import Job, JobStatus
from quotas.models import Batch, Program, Union


class ReportKind(models.TextChoices):
    UNIT_TABLE = "unit_table", _("分单位统计表")
    PROGRAM_SUMMARY = "program_summary", _("方案汇总表")
    FOLLOWUP = "followup", _("学习跟踪统计表")


class ReportExport(Job):
    Status = JobStatus

    kind = models.CharField(_("报表"), max_length=20, choices=ReportKind.choices)
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="+", verbose_name=_("方案"))
    batch = models.ForeignKey(
        Batch, null=True, blank=True, on_delete=models.CASCADE, related_name="+", verbose_name=_("批次")
    )
    # The subtree the requester could see when asking: the file never shows more.
    scope = models.ForeignKey(Union, on_delete=models.PROTECT, related_name="+", verbose_name=_("范围"))
    file = models.FileField(upload_to="reports/%Y/%m/", blank=True, verbose_name=_("文件"))
    created_at = models.DateTimeField(_("申请时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("统计报表")
        verbose_name_plural = _("统计报表")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.program}"
