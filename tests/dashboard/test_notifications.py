import threading
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from applications.models import DELIVERY_MAX_ATTEMPTS, Notification
from applications.notifications import (
    notification_create,
    notification_deliver,
    notification_deliver_pending,
)
from applications.tasks import notification_deliver_pending_task
from applications.workflow import Action, application_transition

from . import backends
from .factories import application_make, city_make


def _submit(app):
    return application_transition(
        application=app,
        action=Action.SUBMIT,
        actor=app.worker.user,
        changes={"current_tier": app.worker.union, "number": f"T{app.pk}"},
    )


def _together(n: int, work) -> list:
    """Run ``work`` in n threads that start at one moment (each connected to the database
    beforehand, so they race on the lock under test and not on connecting); its results."""
    barrier = threading.Barrier(n)
    results, errors = [], []

    def run():
        try:
            Notification.objects.exists()
            barrier.wait()
            results.append(work())
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    return results


@pytest.mark.django_db
def test_status_change_writes_message_and_sweep_sends_email_and_sms_once(sms_log):
    c = city_make()
    app = application_make(c, c.grassroots[0][0], "draft", email="worker@example.org")
    result = _submit(app)
    note = Notification.objects.get(event=result.event)
    assert note.user == app.worker.user and "提交申请" in note.title
    # Nothing went out with the step itself: the row is the outbox.
    assert mail.outbox == [] and sms_log == [] and note.delivered_at is None
    assert notification_deliver_pending() == {"taken": 1, "emails": 1, "sms": 1, "failed": 0}
    assert [m.to for m in mail.outbox] == [["worker@example.org"]]
    assert len(sms_log) == 1
    assert app.worker.phone not in sms_log[0].getMessage()  # masked in the log
    note.refresh_from_db()
    assert note.emailed_at is not None and note.texted_at is not None and note.delivered_at is not None
    # The next sweep finds nothing; a stray second delivery of the row sends nothing either.
    assert notification_deliver_pending()["taken"] == 0
    assert notification_deliver(notification_id=note.pk) == {"email": False, "sms": False}
    assert len(mail.outbox) == 1 and len(sms_log) == 1


@pytest.mark.django_db
def test_worker_without_email_gets_sms_only(sms_log):
    c = city_make()
    app = application_make(c, c.grassroots[0][0], "draft")
    _submit(app)
    notification_deliver_pending()
    assert mail.outbox == [] and len(sms_log) == 1


@pytest.mark.django_db
def test_failed_email_is_released_and_retried_after_back_off(settings, sms_log):
    settings.EMAIL_BACKEND = "tests.dashboard.backends.FlakyLocmemBackend"
    c = city_make()
    app = application_make(c, c.grassroots[0][0], "draft", email="w@example.org")
    note = Notification.objects.create(user=app.worker.user, application=app, title="测试")
    backends.failures_left["n"] = 1
    now = timezone.now()
    assert notification_deliver_pending(now=now)["failed"] == 1
    note.refresh_from_db()
    assert note.emailed_at is None and note.delivered_at is None  # the claim was given back
    assert note.delivery_attempts == 1 and note.deliver_after > now
    # Not again before the back-off is over, then once.
    assert notification_deliver_pending(now=now + timedelta(seconds=5))["taken"] == 0
    later = now + timedelta(minutes=10)
    assert notification_deliver_pending(now=later) == {"taken": 1, "emails": 1, "sms": 1, "failed": 0}
    assert notification_deliver_pending(now=later + timedelta(minutes=10))["taken"] == 0
    assert len(mail.outbox) == 1 and len(sms_log) == 1


@pytest.mark.django_db
def test_sweep_gives_up_after_the_last_attempt(settings, sms_log):
    settings.EMAIL_BACKEND = "tests.dashboard.backends.FlakyLocmemBackend"
    c = city_make()
    app = application_make(c, c.grassroots[0][0], "draft", email="w@example.org")
    Notification.objects.create(user=app.worker.user, application=app, title="测试")
    backends.failures_left["n"] = 100
    at = timezone.now()
    for _ in range(DELIVERY_MAX_ATTEMPTS):
        assert notification_deliver_pending(now=at)["failed"] == 1
        at += timedelta(days=1)
    assert notification_deliver_pending(now=at)["taken"] == 0
    backends.failures_left["n"] = 0


@pytest.mark.django_db(transaction=True)
def test_concurrent_deliveries_send_each_copy_once(settings, sms_log):
    # A slow mail server keeps the first sender busy while the others arrive: without the
    # atomic claim every thread would see emailed_at empty and send its own copy.
    settings.EMAIL_BACKEND = "tests.dashboard.backends.SlowLocmemBackend"
    c = city_make()
    app = application_make(c, c.grassroots[0][0], "draft", email="w@example.org")
    note = Notification.objects.create(user=app.worker.user, application=app, title="并发测试")
    results = _together(6, lambda: notification_deliver(notification_id=note.pk))
    assert sorted(r["email"] for r in results) == [False] * 5 + [True]
    assert len(mail.outbox) == 1
    assert len(sms_log) == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_sweeps_take_each_message_once(sms_log):
    # Four sweeps start together over eight messages. The lease (SKIP LOCKED, then
    # deliver_after moved on) gives every row to one sweep: without it they all pick the
    # same eight rows and the rows taken add up to more than eight.
    c = city_make()
    app = application_make(c, c.grassroots[0][0], "draft", email="w@example.org")
    for i in range(8):
        Notification.objects.create(user=app.worker.user, application=app, title=f"消息{i}")
    taken = [done["taken"] for done in _together(4, lambda: notification_deliver_pending(limit=8))]
    assert sum(taken) == 8
    assert len(mail.outbox) == 8 and len(sms_log) == 8
    assert not Notification.objects.filter(delivered_at__isnull=True).exists()


@pytest.mark.django_db
def test_reminders_and_steps_wait_in_the_outbox_not_the_broker(sms_log):
    # Written without a broker round trip, and only the sweep sends them.
    c = city_make()
    app = application_make(c, c.grassroots[0][0], "draft")
    notification_create(user=app.worker.user, title="提醒", application=app)
    assert sms_log == []
    assert notification_deliver_pending()["sms"] == 1


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_sweep_runs_on_a_real_worker_and_sends_once(celery_worker_process):
    c = city_make()
    app = application_make(c, c.grassroots[0][0], "draft", email="w@example.org")
    result = _submit(app)
    note = Notification.objects.get(event=result.event)
    notification_deliver_pending_task.delay()  # as beat does
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        note.refresh_from_db()
        if note.delivered_at:
            break
        time.sleep(0.2)
    assert note.emailed_at is not None and note.texted_at is not None and note.delivered_at is not None
    first = (note.emailed_at, note.texted_at, note.delivered_at)
    notification_deliver_pending_task.delay()  # beat again, and a redelivered message
    notification_deliver_pending_task.delay()
    time.sleep(2)
    note.refresh_from_db()
    assert (note.emailed_at, note.texted_at, note.delivered_at) == first


@pytest.mark.django_db
def test_messages_page_lists_own_messages_and_marks_read(client):
    c = city_make()
    mine = application_make(c, c.grassroots[0][0], "draft")
    other = application_make(c, c.grassroots[0][1], "draft")
    n1 = Notification.objects.create(user=mine.worker.user, application=mine, title="我的消息一")
    Notification.objects.create(user=mine.worker.user, application=mine, title="我的消息二")
    theirs = Notification.objects.create(user=other.worker.user, application=other, title="别人的消息")
    client.force_login(mine.worker.user)
    html = client.get(reverse("applications:messages")).content.decode()
    assert "我的消息一" in html and "我的消息二" in html and "别人的消息" not in html
    assert '<span class="badge">2</span>' in html
    client.post(reverse("applications:messages"), {"id": theirs.pk})  # not theirs to mark
    theirs.refresh_from_db()
    assert theirs.read_at is None
    client.post(reverse("applications:messages"), {"id": n1.pk})
    html = client.get(reverse("applications:messages")).content.decode()
    assert '<span class="badge">1</span>' in html
    client.post(reverse("applications:messages"), {"all": "1"})
    assert not Notification.objects.filter(user=mine.worker.user, read_at__isnull=True).exists()
