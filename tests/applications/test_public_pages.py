"""The public home page and the help page (常见问题), read without an account: every
owner's open and coming programmes with money per funder, levels, places, windows, papers
and the contact from the programme's set-up (the seeds' numbers in the demo)."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from applications.models import Application, SeatStatus
from quotas.demo import load_quota_demo
from quotas.models import AdminRole, AllocationMode, Batch, FundingSource, Program
from quotas.services import union_admin_create

from .factories import make_program, make_ready_application, make_worker

pytestmark = pytest.mark.django_db


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _window(program: Program, *, opens_in: int, days: int = 30) -> None:
    """Move the programme's windows (the demo's are in 2022-2026) around today."""
    now = timezone.now()
    Batch.objects.filter(program=program).delete()
    Batch.objects.create(
        program=program,
        number=1,
        apply_opens=now + timedelta(days=opens_in),
        apply_closes=now + timedelta(days=opens_in + days),
        review_opens=now + timedelta(days=opens_in),
        review_closes=now + timedelta(days=opens_in + days + 10),
    )


@pytest.fixture
def demo():
    result = load_quota_demo()
    p = result.programs
    _window(p["xianan-2026"], opens_in=-5)  # open now
    _window(p["jinan-2024"], opens_in=20)  # coming
    _window(p["conghua-2023"], opens_in=-5)  # open now
    return p  # Linyi keeps its 2022 windows: closed, not listed


def test_anonymous_home_lists_open_and_coming_programmes_of_every_owner(client, demo):
    page = client.get(reverse("applications:home")).content.decode()
    text = _text(page)
    assert demo["xianan-2026"].name in text and demo["conghua-2023"].name in text
    assert demo["jinan-2024"].name in text and "即将开始" in text
    assert demo["linyi-2022"].name not in text  # its windows are over
    # money per funder, levels, places left, papers, window
    assert "区总工会助学金 1000元" in text and "高校助学金 1000元" in text and "合计每人最多 2000元" in text
    assert "省总工会补助 1000元" in text and "市总工会补助 1000元" in text
    assert "区总工会学习补助 500元" in text
    assert "高升专、专升本" in text
    assert "共100名， 剩余100名" in text
    assert "助学推荐表" in text and "录取通知书" in text and "学信网学籍在线验证报告" in text
    assert "职级证明" in text  # Jinan's extra paper for public-sector staff
    # the contact from the set-up (seed 004), and the honest line for Xian'an (seed 003 has none)
    assert "18502096387" in text
    assert "通知未公布咨询电话，请向所在基层工会或咸安区总工会咨询。" in text
    assert reverse("applications:help") in page and reverse("applications:register") in page


def test_places_left_counts_the_placed_seats(client, tree):
    program = make_program(tree["city"], mode=AllocationMode.AT_SUBMISSION, slots=3)
    worker = make_worker(tree["shop"])
    app = make_ready_application(worker, program)
    Application.objects.filter(pk=app.pk).update(seat_status=SeatStatus.PLACED, seat_rank=1)
    text = _text(client.get(reverse("applications:home")).content.decode())
    assert "共3名， 剩余2名" in text


def test_home_page_costs_the_same_queries_whatever_the_number_of_programmes(client, tree):
    make_program(tree["city"], mode=AllocationMode.AT_SUBMISSION)
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("applications:home"))
    for _ in range(5):
        p = make_program(tree["city"], mode=AllocationMode.AT_SUBMISSION)
        FundingSource.objects.create(
            program=p, name="高校助学金", payer_name="某高校", amount_yuan=1000, total_slots=50
        )
    with CaptureQueriesContext(connection) as six:
        client.get(reverse("applications:home"))
    assert len(six) == len(one), [q["sql"] for q in six]


def test_help_page_explains_the_report_the_stamp_first_come_and_who_to_call(client, demo):
    response = client.get(reverse("applications:help"))
    assert response.status_code == 200
    text = _text(response.content.decode())
    for step in ("chsi.com.cn", "学信档案", "在线验证报告", "“申请”", "“查看”", "在线验证码", "有效期"):
        assert step in text, step
    assert "盖章" in text and "基层工会" in text and "助学推荐表" in text
    assert "先到先得" in text and "候补" in text
    # every programme's contact as set up, Linyi's too (its window is over: people still call)
    assert "4000123318" in text and "0531-85826289" in text  # Jinan, seed 001
    assert "0539-8276723" in text  # Linyi, seed 000
    assert "020-66334530" in text  # Conghua, seed 004
    assert "本方案的通知没有公布咨询电话，请向您所在的基层工会或咸安区总工会咨询。" in text


def test_contact_is_edited_in_the_programme_set_up(client, tree):
    program = make_program(tree["city"], contact="市总工会：0531-12345678")
    user = get_user_model().objects.create_user(username="city-contact")
    union_admin_create(user=user, union=tree["city"], role=AdminRole.MANAGER)
    client.force_login(user)
    page = client.get(reverse("admin:quotas_program_change", args=[program.pk]))
    field = page.context["adminform"].form.fields["contact"]
    assert str(field.label) == "咨询联系方式"
    assert 'name="contact"' in page.content.decode() and "0531-12345678" in page.content.decode()


def test_worker_pages_link_home_and_help(client, worker):
    client.force_login(worker.user)
    page = client.get(reverse("applications:profile")).content.decode()
    assert f'href="{reverse("applications:help")}"' in page and f'href="{reverse("applications:home")}"' in page
