"""CHSI report validity in calendar months (seeds 000/001: 学信网学籍在线验证报告"要求有效期为
6个月以上"), not 180 days: a submission on 20 May needs a report valid to 20 Nov."""

from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from applications.eligibility import chsi_reasons, months_after
from applications.models import ApplicationStatus
from applications.services import application_submit
from quotas.models import AdminRole, Program
from quotas.services import union_admin_create

from .factories import make_program, make_ready_application, make_worker

pytestmark = pytest.mark.django_db


def _program(months: int = 6) -> Program:
    program = Program(year=2026, name="测试", slug="t")
    program.chsi_valid_months = months
    return program


def test_report_to_16_nov_is_refused_on_20_may_and_the_message_says_the_date_needed():
    # 180 days after 20 May is 16 Nov: the old rule took it.
    reasons = chsi_reasons(program=_program(), chsi_expires_on=date(2026, 11, 16), on=date(2026, 5, 20))
    assert reasons == [
        "学信网报告有效期须至少到 2026-11-20（6个月以上），您的报告 2026-11-16 到期，请到学信网延长有效期后再提交。"
    ]


def test_report_to_20_nov_is_accepted_on_20_may():
    assert chsi_reasons(program=_program(), chsi_expires_on=date(2026, 11, 20), on=date(2026, 5, 20)) == []
    assert chsi_reasons(program=_program(), chsi_expires_on=date(2026, 11, 19), on=date(2026, 5, 20))


def test_month_end_overflow_goes_to_the_last_day_of_the_month():
    assert months_after(date(2026, 8, 31), 6) == date(2027, 2, 28)
    assert months_after(date(2027, 8, 31), 6) == date(2028, 2, 29)  # leap year
    assert months_after(date(2026, 12, 31), 2) == date(2027, 2, 28)
    assert months_after(date(2026, 1, 31), 12) == date(2027, 1, 31)
    # 31 Aug 2026 + 6 months = 28 Feb 2027. 27 Feb is 180 days later: old rule accepted it.
    on = date(2026, 8, 31)
    assert chsi_reasons(program=_program(), chsi_expires_on=date(2027, 2, 27), on=on)
    assert chsi_reasons(program=_program(), chsi_expires_on=date(2027, 2, 28), on=on) == []


def test_a_programme_set_to_three_months():
    three = _program(3)
    on = date(2026, 5, 20)
    assert chsi_reasons(program=three, chsi_expires_on=date(2026, 8, 20), on=on) == []
    assert chsi_reasons(program=three, chsi_expires_on=date(2026, 8, 19), on=on) == [
        "学信网报告有效期须至少到 2026-08-20（3个月以上），您的报告 2026-08-19 到期，请到学信网延长有效期后再提交。"
    ]
    # Six months would refuse what three accept.
    assert chsi_reasons(program=_program(6), chsi_expires_on=date(2026, 8, 20), on=on)


def test_submission_is_refused_one_day_short_of_six_calendar_months(tree, program):
    worker = make_worker(tree["shop"])
    today = timezone.localdate()
    needed = months_after(today, 6)
    app = make_ready_application(worker, program, chsi_expires_on=date.fromordinal(needed.toordinal() - 1))
    with pytest.raises(ValidationError) as exc:
        application_submit(application=app, actor=worker.user)
    assert f"学信网报告有效期须至少到 {needed.isoformat()}（6个月以上）" in " ".join(exc.value.messages)
    app.refresh_from_db()
    assert app.status == ApplicationStatus.DRAFT

    app.chsi_expires_on = needed
    app.save(update_fields=["chsi_expires_on"])
    assert application_submit(application=app, actor=worker.user).status == ApplicationStatus.IN_REVIEW


def test_a_three_month_programme_accepts_what_six_months_would_refuse(tree):
    program = make_program(tree["city"], chsi_valid_months=3)
    worker = make_worker(tree["shop"])
    app = make_ready_application(worker, program, chsi_expires_on=months_after(timezone.localdate(), 3))
    assert application_submit(application=app, actor=worker.user).status == ApplicationStatus.IN_REVIEW


def test_the_setting_is_on_the_programme_admin_form(client, tree, program):
    user = get_user_model().objects.create_user(username="city-chsi")
    union_admin_create(user=user, union=tree["city"], role=AdminRole.MANAGER)
    client.force_login(user)
    page = client.get(reverse("admin:quotas_program_change", args=[program.pk]))
    field = page.context["adminform"].form.fields["chsi_valid_months"]
    assert str(field.label) == "学信网报告最短有效期（月）"
    assert page.context["adminform"].form.initial["chsi_valid_months"] == 6
    assert 'name="chsi_valid_months"' in page.content.decode()
