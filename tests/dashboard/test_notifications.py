import threading
import time

import pytest
from django.core import mail
from django.db import connection
from django.urls import reverse

from applications.models import Notification
from applications.notifications import notification_deliver
from applications.tasks import notification_deliver_task
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


@pytest.mark.django_db
def test_status_change_sends_in_app_email_and_sms_once(django_capture_on_commit_callbacks, sms_log):
    c = city_make()
    app = application_make(c, c.grassroots[0][0], "draft", email="worker@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        result = _submit(app)
    note = Notification.objects.get(event=result.event)
    assert note.user == app.worker.user and "提交申请" in note.title
    assert [m.to for m in mail.outbox] == [["worker@example.org"]]
    assert len(sms_log) == 1
    assert app.worker.phone not in sms_log[0].getMessage()  # masked in the log
    note.refresh_from_db()
    assert note.emailed_at is not None and note.texted_at is not None
    # The broker delivers the task again, and the task is retried: nothing more goes out.
    notification_deliver_task.apply(args=[note.pk])
    notification_deliver(notification_id=note.pk)
    assert len(mail.outbox) == 1 and len(sms_log) == 1


@pytest.mark.django_db
def test_worker_without_email_gets_sms_only(django_capture_on_commit_callbacks, sms_log):
    c = city_make()
    app = application_make(c, c.grassroots[0][0], "draft")
    with django_capture_on_commit_callbacks(execute=True):
        _submit(app)
    assert mail.outbox == [] and len(sms_log) == 1


@pytest.mark.django_db
def test_failed_email_is_released_and_sent_on_retry(settings, sms_log):
    settings.EMAIL_BACKEND = "tests.dashboard.backends.FlakyLocmemBackend"
    c = city_make()
    app = application_make(c, c.grassroots[0][0], "draft", email="w@example.org")
    note = Notification.objects.create(user=app.worker.user, application=app, title="测试")
    backends.failures_left["n"] = 1
    with pytest.raises(ConnectionError):
        notification_deliver(notification_id=note.pk)
    note.refresh_from_db()
    assert note.emailed_at is None  # the claim was given back
    assert notification_deliver(notification_id=note.pk) == {"email": True, "sms": True}
    assert notification_deliver(notification_id=note.pk) == {"email": False, "sms": False}
    assert len(mail.outbox) == 1 and len(sms_log) == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_deliveries_send_each_copy_once(settings, sms_log):
    # A slow mail server keeps the first sender busy while the others arrive: without the
    # atomic claim every thread would see emailed_at empty and send its own copy.
    settings.EMAIL_BACKEND = "tests.dashboard.backends.SlowLocmemBackend"
    c = city_make()
    app = application_make(c, c.grassroots[0][0], "draft", email="w@example.org")
    note = Notification.objects.create(user=app.worker.user, application=app, title="并发测试")
    barrier = threading.Barrier(6)
    errors = []

    def deliver():
        try:
            Notification.objects.filter(pk=note.pk).exists()  # connect first: race on the claim only
            barrier.wait()
            notification_deliver(notification_id=note.pk)
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(mail.outbox) == 1
    assert len(sms_log) == 1


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_delivery_runs_on_a_real_worker_once(celery_worker_process):
    c = city_make()
    app = application_make(c, c.grassroots[0][0], "draft", email="w@example.org")
    result = _submit(app)  # autocommit: on_commit fires now and enqueues to the worker
    note = Notification.objects.get(event=result.event)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        note.refresh_from_db()
        if note.emailed_at and note.texted_at:
            break
        time.sleep(0.2)
    assert note.emailed_at is not None and note.texted_at is not None
    first = (note.emailed_at, note.texted_at)
    notification_deliver_task.delay(note.pk)  # redelivery
    notification_deliver_task.delay(note.pk)
    time.sleep(2)
    note.refresh_from_db()
    assert (note.emailed_at, note.texted_at) == first


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
