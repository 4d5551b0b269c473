"""The beat schedule driven by a controlled clock: each tick gets an explicit ``now``."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from applications.models import Notification
from applications.notifications import notification_deliver_pending
from applications.services import application_submit
from payouts.models import DigestSent, Publicity, PublicityStatus
from payouts.schedule.services import review_digest_send, scheduler_tick
from qiuxue.settings import CELERY_BEAT_SCHEDULE
from quotas.models import AuditLog, Quota

from .factories import admin_make, application_make, city_make

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock():
    return timezone.now().replace(microsecond=0)


def test_beat_schedule_names_registered_tasks():
    from qiuxue.celery import app

    app.loader.import_default_modules()
    for entry in CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks


def test_apply_window_reminds_drafts_once_and_records_close(clock, sms_log):
    c = city_make(now=clock)
    closes = c.batch.apply_closes
    drafts = [application_make(c, c.grassroots[0][0], "draft") for _ in range(2)]
    application_make(c, c.grassroots[1][0], "in_review", tier=c.grassroots[1][0])

    assert scheduler_tick(now=closes - timedelta(hours=30))["windows"]["reminded"] == 0
    result = scheduler_tick(now=closes - timedelta(hours=23))
    notification_deliver_pending()  # the outbox sweep sends their SMS
    assert result["windows"]["reminded"] == 2
    reminders = Notification.objects.filter(event__isnull=True, title__contains="截止")
    assert sorted(n.application_id for n in reminders) == sorted(a.pk for a in drafts)
    assert len(sms_log) == 2  # each reminder also goes out by SMS, once
    again = scheduler_tick(now=closes - timedelta(hours=22))
    notification_deliver_pending()
    assert again["windows"]["reminded"] == 0 and reminders.count() == 2 and len(sms_log) == 2

    assert AuditLog.objects.filter(action="batch.apply_closed").count() == 0
    after = scheduler_tick(now=closes + timedelta(minutes=1))
    assert after["windows"]["closed"] == 1
    scheduler_tick(now=closes + timedelta(minutes=2))
    closed = AuditLog.objects.filter(action="batch.apply_closed", object_id=str(c.batch.pk))
    assert closed.count() == 1 and closed.get().detail == {"drafts_left": 2}

    # And the worker-side submit refuses a draft after the window, whatever the tick did.
    with pytest.raises(ValidationError, match="申请窗口已关闭"):
        application_submit(application=drafts[0], actor=drafts[0].worker.user, now=closes + timedelta(minutes=1))


def test_a_late_first_tick_does_not_send_closing_reminders_after_close(clock):
    c = city_make(now=clock)
    application_make(c, c.grassroots[0][0], "draft")
    result = scheduler_tick(now=c.batch.apply_closes + timedelta(hours=1))
    assert result["windows"] == {"opened": 0, "reminded": 0, "closed": 1}
    assert not Notification.objects.exists()


def test_tick_ends_publicity_on_time_once(clock):
    c = city_make(now=clock)
    ends = clock + timedelta(days=7)
    publicity = Publicity.objects.create(program=c.program, batch=c.batch, title="公示", starts_at=clock, ends_at=ends)
    assert scheduler_tick(now=ends - timedelta(minutes=1))["publicity_closed"] == 0
    publicity.refresh_from_db()
    assert publicity.status == PublicityStatus.OPEN
    assert scheduler_tick(now=ends + timedelta(minutes=1))["publicity_closed"] == 1
    publicity.refresh_from_db()
    assert publicity.status == PublicityStatus.CLOSED
    assert scheduler_tick(now=ends + timedelta(minutes=2))["publicity_closed"] == 0


def test_tick_releases_unused_quota_at_its_date(clock):
    c = city_make(now=clock)
    quota = c.quotas[c.counties[1].pk]
    release_at = clock + timedelta(days=3)
    Quota.objects.filter(pk=quota.pk).update(release_unused_at=release_at)
    pool = Quota.objects.get(source=c.sources["city"], is_pool=True)
    assert scheduler_tick(now=release_at - timedelta(minutes=1))["quota_released"] == 0
    moved = scheduler_tick(now=release_at + timedelta(minutes=1))["quota_released"]
    assert moved == quota.slots  # no awards in this unit: every slot is unused
    pool.refresh_from_db()
    assert pool.slots == quota.slots
    assert scheduler_tick(now=release_at + timedelta(minutes=2))["quota_released"] == 0


def test_review_digest_once_per_admin_per_day(clock):
    c = city_make(now=clock)  # batch review window closes in two days
    county, quiet = c.counties
    busy_admin = admin_make(county, email="busy@example.org")
    admin_make(quiet, email="quiet@example.org")  # nothing pending at this tier
    admin_make(county)  # no email address: cannot be told, not recorded
    for _ in range(3):
        application_make(c, c.grassroots[0][0], "in_review", tier=county)
    application_make(c, c.grassroots[1][0], "in_review", tier=c.grassroots[1][0])

    assert review_digest_send(now=clock) == 1
    assert [m.to for m in mail.outbox] == [["busy@example.org"]]
    assert "3" in mail.outbox[0].subject
    assert review_digest_send(now=clock + timedelta(hours=1)) == 0
    assert DigestSent.objects.filter(user=busy_admin).count() == 1
    assert review_digest_send(now=clock + timedelta(days=1)) == 1  # next day, window still open
    assert len(mail.outbox) == 2


def test_review_digest_skips_windows_further_than_three_days(clock):
    c = city_make(now=clock)
    c.batch.review_closes = clock + timedelta(days=5)
    c.batch.save()
    admin_make(c.counties[0], email="a@example.org")
    application_make(c, c.grassroots[0][0], "in_review", tier=c.counties[0])
    assert review_digest_send(now=clock) == 0
    assert review_digest_send(now=clock + timedelta(days=2, hours=1)) == 1
