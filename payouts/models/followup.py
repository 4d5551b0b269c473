"""Follow-up of study after payout (跟踪服务): an append-only history per application;
the current state is the latest row."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from applications.models import Application


class StudyStatus(models.TextChoices):
    STUDYING = "studying", _("在读")
    GRADUATED = "graduated", _("已毕业")
    DROPPED_OUT = "dropped_out", _("退学")
    SUSPENDED = "suspended", _("休学")


class FollowUpSource(models.TextChoices):
    MANUAL = "manual", _("手工录入")
    IMPORT = "import", _("学校名单导入")


class StudyFollowUp(models.Model):
    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, related_name="follow_ups", verbose_name=_("申请")
    )
    status = models.CharField(_("学习状态"), max_length=20, choices=StudyStatus.choices)
    recorded_at = models.DateTimeField(_("记录时间"), db_index=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("记录人")
    )
    school = models.CharField(_("学校"), max_length=120, blank=True)
    note = models.CharField(_("备注"), max_length=300, blank=True)
    source = models.CharField(_("来源"), max_length=10, choices=FollowUpSource.choices, default=FollowUpSource.MANUAL)

    class Meta:
        verbose_name = _("学习跟踪")
        verbose_name_plural = _("学习跟踪")
        ordering = ["-recorded_at", "-id"]
        indexes = [models.Index(fields=["application", "-recorded_at", "-id"], name="followup_latest_idx")]

    def __str__(self) -> str:
        return f"{self.application} {self.get_status_display()}"
