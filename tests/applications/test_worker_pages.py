"""The worker's pages say what the services will do: the check page, the timeline, the
withdraw page, the inbox, times in Beijing time."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from applications.models import Application, Notification, SeatStatus
from applications.services import application_submit
from quotas.models import AllocationMode, AuditLog

from .factories import make_program, make_ready_application, make_worker

pytestmark = pytest.mark.django_db


def _reasons_on(html: str) -> list[str]:
    block = re.search(r'id="submit-reasons".*?</ul>', html, re.S)
    return re.findall(r"<li>(.*?)</li>", block.group(0)) if block else []


def test_check_page_shows_the_reasons_the_submit_refuses(client, program, worker):
    today = timezone.localdate()
    app = make_ready_application(
        worker,
        program,
        enrolled_on=date(program.year - 1, 9, 1),  # last year's enrolment
        chsi_expires_on=today - timedelta(days=31),  # a report that expired a month ago
    )
    client.force_login(worker.user)
    page = client.get(reverse("applications:submit", args=[app.pk])).content.decode()
    shown = _reasons_on(page)
    assert any("年新入学" in r for r in shown), shown
    assert any("已过期31天" in r for r in shown), shown
    assert "还剩" not in page and 'id="submit-ready"' not in page

    response = client.post(reverse("applications:submit", args=[app.pk]), follow=True)
    refused = [str(m) for m in response.context["messages"]]
    assert refused == shown
    assert Application.objects.get(pk=app.pk).status == "draft"


def test_check_page_of_a_complete_draft_says_it_can_be_submitted(client, program, worker):
    app = make_ready_application(worker, program)
    client.force_login(worker.user)
    page = client.get(reverse("applications:submit", args=[app.pk])).content.decode()
    assert 'id="submit-ready"' in page and _reasons_on(page) == []


def test_check_page_names_a_missing_paper_like_the_submit(client, program, worker):
    app = make_ready_application(worker, program)
    app.attachments.filter(kind=program.required_documents[0]).update(is_current=False)
    client.force_login(worker.user)
    shown = _reasons_on(client.get(reverse("applications:submit", args=[app.pk])).content.decode())
    assert len(shown) == 1 and shown[0].startswith("缺少材料")


def test_timeline_shows_labels_not_status_codes(client, program, worker):
    app = application_submit(application=make_ready_application(worker, program), actor=worker.user)
    client.force_login(worker.user)
    page = client.get(reverse("applications:detail", args=[app.pk])).content.decode()
    timeline = re.search(r'<ol class="timeline">.*?</ol>', page, re.S).group(0)
    assert "创建申请草稿" in timeline
    assert "→" not in timeline and "— " not in timeline


def test_withdraw_page_says_the_kept_place_is_lost(client, tree, worker):
    seats = make_program(tree["city"], mode=AllocationMode.AT_SUBMISSION, slots=5)
    app = application_submit(application=make_ready_application(worker, seats), actor=worker.user)
    assert app.seat_status == SeatStatus.PLACED
    client.force_login(worker.user)
    page = client.get(reverse("applications:withdraw", args=[app.pk])).content.decode()
    assert "您已占用第1个补助名额" in page and "让给候补的职工" in page


def test_audit_entries_read_in_beijing_time():
    entry = AuditLog(at=datetime(2026, 12, 8, 9, 43, tzinfo=UTC), action="x")
    assert str(entry).startswith("2026-12-08 17:43")


def _unread_badge(client) -> str:
    page = client.get(reverse("applications:home")).content.decode()
    found = re.search(r'消息 <span class="badge">(\d+)</span>', page)
    return found.group(1) if found else "0"


def test_messages_carry_text_and_a_link_and_opening_one_reads_it(client, program, worker):
    app = application_submit(application=make_ready_application(worker, program), actor=worker.user)
    note = Notification.objects.get(user=worker.user, event__action="submit")
    assert "正在等待审核" in note.body  # not a bare title
    client.force_login(worker.user)
    unread = Notification.objects.filter(user=worker.user, read_at__isnull=True).count()
    assert _unread_badge(client) == str(unread)
    inbox = client.get(reverse("applications:messages")).content.decode()
    link = reverse("applications:message_open", args=[note.pk])
    assert f'href="{link}"' in inbox and note.body in inbox

    response = client.get(link)
    assert response.status_code == 302 and response.url == reverse("applications:detail", args=[app.pk])
    note.refresh_from_db()
    assert note.read_at is not None
    assert _unread_badge(client) == str(unread - 1)


def test_another_workers_message_cannot_be_opened(client, program, worker, tree):
    application_submit(application=make_ready_application(worker, program), actor=worker.user)
    note = Notification.objects.filter(user=worker.user).first()
    other = make_worker(tree["shop"])
    client.force_login(other.user)
    assert client.get(reverse("applications:message_open", args=[note.pk])).status_code == 404
    note.refresh_from_db()
    assert note.read_at is None
