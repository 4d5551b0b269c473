"""What the clock does: window events, reminders, the daily digest for reviewers.

Every function takes ``now`` explicitly (tests drive a controlled clock) and is idempotent:
each event is claimed by inserting a unique ``SchedulerMark``/``DigestSent`` row in the same
transaction as its effects, so a tick run twice, or by two beat processes, acts once.
"""

import logging
from datetime import datetime, timedelta

from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Count, Min, Q
from django.utils import timezone

from applications.models import Application, ApplicationStatus, Notification
from payouts.allocation.batch_fill import batch_fill_check_due
from payouts.allocation.quota_adjust import quota_release_due
from payouts.models import DigestSent, SchedulerMark
from payouts.publicity.services import publicity_close_due
from quotas.models import Batch, UnionAdmin
from quotas.services import audit_log_write

logger = logging.getLogger(__name__)

REMIND_BEFORE_CLOSE = timedelta(hours=24)
DIGEST_WINDOW = timedelta(days=3)
# Window events older than this are history, not news: a first deploy does not replay them.
LOOKBACK = timedelta(days=30)


def _claim(key: str, now: datetime, detail: dict | None = None) -> bool:
    """Insert the mark inside the caller's transaction; False if someone already did."""
    try:
        with transaction.atomic():
            SchedulerMark.objects.create(key=key, at=now, detail=detail or {})
    except IntegrityError:
        return False
    return True


def _drafts_of(batch: Batch):
    return Application.objects.filter(program_id=batch.program_id, status=ApplicationStatus.DRAFT).filter(
        Q(batch=batch) | Q(batch__isnull=True)
    )


def apply_window_events(*, now: datetime) -> dict[str, int]:
    """Record windows opening and closing, and remind workers with drafts 24 h before close."""
    done = {"opened": 0, "reminded": 0, "closed": 0}
    # A batch closed because the places ran out has no window: nothing opens, nobody is
    # reminded to submit into it.
    batches = Batch.objects.select_related("program").filter(
        Q(apply_opens__lte=now, apply_opens__gt=now - LOOKBACK)
        | Q(apply_closes__lte=now + REMIND_BEFORE_CLOSE, apply_closes__gt=now - LOOKBACK),
        closed_as_filled_at__isnull=True,
    )
    for batch in batches:
        if batch.apply_opens <= now < batch.apply_closes:
            with transaction.atomic():
                if _claim(f"apply_opened:{batch.pk}", now):
                    audit_log_write(actor=None, action="batch.apply_opened", obj=batch)
                    done["opened"] += 1
        if now < batch.apply_closes <= now + REMIND_BEFORE_CLOSE:
            with transaction.atomic():
                if _claim(f"apply_closing:{batch.pk}", now):
                    done["reminded"] += _remind_drafts(batch=batch)
        if batch.apply_closes <= now:
            with transaction.atomic():
                drafts = _drafts_of(batch).count()
                if _claim(f"apply_closed:{batch.pk}", now, {"drafts_left": drafts}):
                    audit_log_write(actor=None, action="batch.apply_closed", obj=batch, detail={"drafts_left": drafts})
                    done["closed"] += 1
    return done


def _remind_drafts(*, batch: Batch) -> int:
    closes = timezone.localtime(batch.apply_closes)
    title = f"{batch.program.name}：申请将于 {closes:%m月%d日 %H:%M} 截止"
    body = "您有尚未提交的申请，请在截止前补齐材料并提交，逾期系统将不再接收。"
    drafts = list(_drafts_of(batch).select_related("worker").only("pk", "worker__user_id"))
    # The outbox sweep sends their email/SMS copies.
    rows = Notification.objects.bulk_create(
        [Notification(user_id=a.worker.user_id, application_id=a.pk, title=title, body=body) for a in drafts]
    )
    return len(rows)


def review_digest_send(*, now: datetime) -> int:
    """Email each reviewer whose tier has applications pending in a batch whose review
    window closes within three days; once per admin per local day."""
    day = timezone.localdate(now)
    pending = {
        row["current_tier_id"]: row
        for row in Application.objects.filter(
            status=ApplicationStatus.IN_REVIEW,
            batch__review_closes__gt=now,
            batch__review_closes__lte=now + DIGEST_WINDOW,
        )
        .values("current_tier_id")
        .annotate(n=Count("id"), closes=Min("batch__review_closes"))
        .order_by()
    }
    sent = 0
    admins = UnionAdmin.objects.filter(union_id__in=list(pending), user__is_active=True).select_related("user", "union")
    for admin in admins:
        if not admin.user.email:
            continue
        row = pending[admin.union_id]
        closes = timezone.localtime(row["closes"])
        try:
            # The mark and the mail share one transaction: if the mail server refuses, the
            # mark rolls back and the next tick tries again; a second run finds the mark.
            with transaction.atomic():
                DigestSent.objects.create(user=admin.user, day=day, pending=row["n"])
                send_mail(
                    f"【求学圆梦行动】{admin.union.name} 有 {row['n']} 件申请待审核",
                    f"您所在的{admin.union.name}有 {row['n']} 件申请等待审核，"
                    f"最早的审核截止时间为 {closes:%Y-%m-%d %H:%M}。请登录管理平台及时办理。",
                    None,
                    [admin.user.email],
                )
        except IntegrityError:
            continue
        sent += 1
    return sent


def scheduler_tick(*, now: datetime) -> dict[str, object]:
    """One minute of the clock. Each step is independent: one failing does not stop the rest."""
    result: dict[str, object] = {}
    result["windows"] = apply_window_events(now=now)
    result["publicity_closed"] = _step(publicity_close_due, now=now)
    result["batches_filled"] = _step(batch_fill_check_due, now=now)
    result["quota_released"] = _step(quota_release_due, now=now)
    return result


def _step(func, **kwargs) -> object:
    # A failing step is logged and the tick goes on with the others.
    try:
        return func(**kwargs)
    except Exception:
        logger.exception("scheduler: %s failed", func.__name__)
        return "error"
