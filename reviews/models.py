"""The reviewer's record of each decision.

``ApplicationEvent`` (applications) is the state machine's trail: one row per status
change, whoever made it. ``ReviewDecision`` is the reviewer's own record: which tier
decided, which risk flags the reviewer looked at and accepted, whether the review window
was overridden and why. Both are written in the same transaction; the decision points at
its event so the two can never drift apart. Rows are append-only.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from applications.models import Application, ApplicationEvent
from quotas.models import CoFunder, Union


class DecisionKind(models.TextChoices):
    APPROVE = "approve", _("通过，报上级审核")
    APPROVE_FINAL = "approve_final", _("终审通过")
    PASS_STAGE = "pass_stage", _("本阶段通过")  # a programme in stages, before its last one
    RETURN = "return", _("退回修改")
    REJECT = "reject", _("驳回")


class AppendOnlyError(Exception):
    pass


class ReviewDecision(models.Model):
    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, related_name="review_decisions", verbose_name=_("申请")
    )
    event = models.OneToOneField(
        ApplicationEvent, on_delete=models.PROTECT, related_name="review_decision", verbose_name=_("事件")
    )
    # The union tier that decided, or (the co-funder step) the university: exactly one.
    tier_union = models.ForeignKey(
        Union, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("审核单位")
    )
    tier_cofunder = models.ForeignKey(
        CoFunder, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("审核高校")
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("审核人")
    )
    decision = models.CharField(_("审核结果"), max_length=20, choices=DecisionKind.choices)
    reason = models.TextField(_("意见"), blank=True)
    return_fields = models.JSONField(_("需修改项"), default=list, blank=True)
    flags_acknowledged = models.JSONField(_("已确认的风险提示"), default=list, blank=True)
    window_override = models.BooleanField(_("审核期外办理"), default=False)
    override_reason = models.TextField(_("审核期外办理原因"), blank=True)
    at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("审核记录")
        verbose_name_plural = _("审核记录")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["application", "at"], name="review_decision_app_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(tier_union__isnull=True) ^ models.Q(tier_cofunder__isnull=True),
                name="review_decision_one_tier",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application} {self.get_decision_display()}"

    def save(self, *args, **kwargs):
        # A decision is evidence: once written it is never edited.
        if self.pk is not None and not self._state.adding:
            raise AppendOnlyError("ReviewDecision rows are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("ReviewDecision rows are append-only")


class ReviewOverview(Application):
    """Proxy so the reviewer overview page appears on the admin index next to the queue."""

    class Meta:
        proxy = True
        verbose_name = _("审核进度总览")
        verbose_name_plural = _("审核进度总览")


class FlagCheckState(models.TextChoices):
    PENDING = "pending", _("核对中")
    DONE = "done", _("已核对")


class FlagCheck(models.Model):
    """The risk flags of one submitted application, computed once (``flag_checks``) when it
    is submitted or what the checks read changes, and read by the queue, the review page,
    the risk filter and the desk. ``flags`` is a list of ``Flag.as_dict()``."""

    application = models.OneToOneField(
        Application, primary_key=True, on_delete=models.CASCADE, related_name="flag_check", verbose_name=_("申请")
    )
    state = models.CharField(
        _("核对状态"), max_length=10, choices=FlagCheckState.choices, default=FlagCheckState.PENDING
    )
    flags = models.JSONField(_("风险提示"), default=list, blank=True)
    flag_count = models.PositiveSmallIntegerField(_("风险提示数"), default=0)
    # 会员核对 per union of the chain (``membership.Membership.as_dict``), for the review page.
    membership = models.JSONField(_("会员核对"), default=dict, blank=True)
    # "|code|code|": the risk filter's lookup on SQLite and PostgreSQL alike.
    codes = models.CharField(_("风险提示代码"), max_length=300, blank=True)
    queued_at = models.DateTimeField(_("排队时间"), default=timezone.now)
    checked_at = models.DateTimeField(_("核对时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("风险核对结果")
        verbose_name_plural = _("风险核对结果")
        indexes = [
            models.Index(fields=["flag_count"], name="flag_check_count_idx"),
            models.Index(fields=["state", "queued_at"], name="flag_check_state_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.application_id} {self.get_state_display()}"
