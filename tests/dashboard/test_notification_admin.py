"""Staff see, for their own part of the tree, whether the workers' SMS/email copies went
out, and a manager can send the ones that ran out of attempts again."""

import pytest
from django.urls import reverse

from applications.models import DELIVERY_MAX_ATTEMPTS, Notification
from applications.notifications import notification_deliver_pending
from quotas.models import AdminRole, AuditLog

from .factories import admin_make, application_make, city_make

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:applications_notification_changelist")


def _messages(c):
    mine = application_make(c, c.grassroots[0][0], "draft")
    other = application_make(c, c.grassroots[1][0], "draft")
    sent = Notification.objects.create(user=mine.worker.user, application=mine, title="已发送的消息")
    notification_deliver_pending()
    failed = Notification.objects.create(
        user=mine.worker.user, application=mine, title="发送失败的消息", delivery_attempts=DELIVERY_MAX_ATTEMPTS
    )
    waiting = Notification.objects.create(user=mine.worker.user, application=mine, title="等待发送的消息")
    elsewhere = Notification.objects.create(
        user=other.worker.user, application=other, title="别区的消息", delivery_attempts=DELIVERY_MAX_ATTEMPTS
    )
    return sent, failed, waiting, elsewhere


def test_county_admin_sees_its_own_messages_by_delivery_state(client):
    c = city_make()
    sent, failed, waiting, elsewhere = _messages(c)
    client.force_login(admin_make(c.counties[0]))
    page = client.get(CHANGELIST).content.decode()
    assert all(n.title in page for n in (sent, failed, waiting)) and elsewhere.title not in page
    assert "retry_failed" in page  # a manager has the action
    for state, shown in (("sent", sent), ("waiting", waiting), ("failed", failed)):
        page = client.get(CHANGELIST, {"delivery": state}).content.decode()
        titles = {n.title for n in (sent, failed, waiting)}
        assert shown.title in page and not any(t in page for t in titles - {shown.title})
    assert client.get(reverse("admin:applications_notification_change", args=[elsewhere.pk])).status_code == 404


def test_manager_sends_failed_messages_again_within_scope_only(client, sms_log):
    c = city_make()
    sent, failed, waiting, elsewhere = _messages(c)
    manager = admin_make(c.counties[0])
    client.force_login(manager)
    # A forged id from another county is not in the admin's queryset: it stays as it is.
    ids = [sent.pk, failed.pk, waiting.pk, elsewhere.pk]
    response = client.post(CHANGELIST, {"action": "retry_failed", "_selected_action": ids}, follow=True)
    assert "已安排重新发送 1 条消息" in response.content.decode()
    failed.refresh_from_db()
    elsewhere.refresh_from_db()
    assert failed.delivery_attempts == 0 and elsewhere.delivery_attempts == DELIVERY_MAX_ATTEMPTS
    assert AuditLog.objects.get(action="notification.retry").detail == {"notifications": [failed.pk]}
    before = len(sms_log)
    notification_deliver_pending()
    failed.refresh_from_db()
    assert failed.delivered_at is not None and len(sms_log) == before + 2  # the failed one and the waiting one


def test_reviewers_cannot_resend(client):
    c = city_make()
    _messages(c)
    client.force_login(admin_make(c.counties[0], role=AdminRole.REVIEWER))
    page = client.get(CHANGELIST).content.decode()
    assert "retry_failed" not in page
