"""Records that make the scheduled messages idempotent: a beat tick that runs twice, or a
task retry, finds the mark and sends nothing the second time."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DigestSent(models.Model):
    """One review digest per admin per (local) day."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("用户")
    )
    day = models.DateField(_("日期"))
    pending = models.PositiveIntegerField(_("待审核数"), default=0)
    sent_at = models.DateTimeField(auto_now_add=True, verbose_name=_("发送时间"))

    class Meta:
        verbose_name = _("待审核提醒")
        verbose_name_plural = _("待审核提醒")
        constraints = [models.UniqueConstraint(fields=["user", "day"], name="digest_once_per_user_day")]

    def __str__(self) -> str:
        return f"{self.user} {self.day}"


class SchedulerMark(models.Model):
    """A window event the scheduler has handled ("batch 5 closes within 24 h: reminded").

    The unique key is the claim: whoever inserts it does the work, in the same transaction.
    """

    key = models.CharField(max_length=120, unique=True, verbose_name=_("键"))
    at = models.DateTimeField(_("处理时间"))
    detail = models.JSONField(default=dict, blank=True, verbose_name=_("详情"))

    class Meta:
        verbose_name = _("定时任务记录")
        verbose_name_plural = _("定时任务记录")
        ordering = ["-at"]

    def __str__(self) -> str:
        return self.key
