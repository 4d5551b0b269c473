"""Automatic risk flags: each fires on its case only, and a page costs a fixed number of queries."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from applications.models import Application
from quotas.models import DocumentKind, EducationLevel
from reviews.flags import FlagCode, flags_for_applications

from .conftest import add_attachment, make_program, make_submitted, make_worker


def _codes(app):
    app = Application.objects.select_related("worker", "program").get(pk=app.pk)
    return sorted(f.code for f in flags_for_applications([app])[app.pk])


@pytest.mark.django_db
def test_clean_application_has_no_flags(tree, program):
    assert _codes(make_submitted(make_worker(tree.grassroots_a1), program)) == []


@pytest.mark.django_db
def test_same_person_same_level_in_any_programme_and_year(tree, program):
    worker = make_worker(tree.grassroots_a1)
    earlier = make_program(tree.city, year=program[0].year - 2)
    old = make_submitted(worker, earlier, level=EducationLevel.GAO_SHENG_ZHUAN, enrolled_on=date(earlier[0].year, 3, 1))
    new = make_submitted(worker, program, level=EducationLevel.DAZHUAN)
    assert _codes(new) == [FlagCode.SAME_PERSON_LEVEL]
    assert _codes(old) == [FlagCode.SAME_PERSON_LEVEL]
    # 本科 after 大专 is another level: allowed, no flag.
    bachelor = make_submitted(worker, make_program(tree.city), level=EducationLevel.BENKE)
    assert _codes(bachelor) == []
    # A withdrawn earlier claim does not count.
    Application.objects.filter(pk=old.pk).update(status="withdrawn")
    assert _codes(new) == []


@pytest.mark.django_db
def test_one_bank_card_for_two_people(tree, program):
    a = make_submitted(make_worker(tree.grassroots_a1, bank_card="6222 0202 0000 1111 222"), program)
    b = make_submitted(make_worker(tree.grassroots_b, bank_card="6222020200001111222"), program)
    assert _codes(a) == [FlagCode.SHARED_BANK_CARD]
    assert _codes(b) == [FlagCode.SHARED_BANK_CARD]


@pytest.mark.django_db
def test_enrolment_outside_programme_year(tree, program):
    app = make_submitted(make_worker(tree.grassroots_a1), program, enrolled_on=date(program[0].year - 1, 9, 1))
    assert _codes(app) == [FlagCode.ENROLMENT_OUTSIDE_YEAR]


@pytest.mark.django_db
def test_chsi_report_validity_at_submission(tree, program):
    # Submitted on 20 May (local noon): six calendar months → valid to 20 Nov at least.
    submitted = datetime(program[0].year, 5, 20, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    needed = date(program[0].year, 11, 20)
    days = (needed - submitted.date()).days
    short = make_submitted(make_worker(tree.grassroots_a1), program, chsi_days=days - 4, submitted_at=submitted)
    enough = make_submitted(make_worker(tree.grassroots_a1), program, chsi_days=days, submitted_at=submitted)
    assert _codes(short) == [FlagCode.CHSI_SHORT_VALIDITY]
    assert _codes(enough) == []
    app = Application.objects.select_related("worker", "program").get(pk=short.pk)
    [flag] = flags_for_applications([app])[app.pk]
    assert flag.detail == f"有效期至 {program[0].year}-11-16，提交时须至少到 {program[0].year}-11-20（6个月以上）"


@pytest.mark.django_db
def test_public_sector_worker_needs_rank_certificate(tree, program):
    app = make_submitted(make_worker(tree.grassroots_a1, public_sector=True), program)
    assert _codes(app) == [FlagCode.PUBLIC_SECTOR_NO_RANK_CERT]
    add_attachment(app, DocumentKind.RANK_CERTIFICATE)
    assert _codes(app) == []


@pytest.mark.django_db
def test_page_of_flags_costs_the_same_queries_whatever_its_size(tree, program):
    def page(n):
        for i in range(n):
            make_submitted(
                make_worker(tree.grassroots_a1, public_sector=True, bank_card=f"62220202{i % 3:011d}"),
                program,
                chsi_days=10,
            )
        return list(Application.objects.select_related("worker", "program").order_by("-id")[:n])

    small = page(3)
    with CaptureQueriesContext(connection) as q_small:
        flags_small = flags_for_applications(small)
    large = page(30)
    with CaptureQueriesContext(connection) as q_large:
        flags_large = flags_for_applications(large)
    assert all(flags_small[a.pk] for a in small) and all(flags_large[a.pk] for a in large)
    # 4 for the flags above, 3 for copied papers (reviews/copies.py), 1 for membership,
    # 2 for the report readings and the catalogue (reviews/report_check.py).
    assert len(q_small) == len(q_large) <= 10


@pytest.mark.django_db
def test_a_shared_card_names_the_other_application_and_links_it_in_scope(client, tree, program):
    """Issue 18: the flag says with whom (masked name, number), a link only within my scope."""
    from django.urls import reverse

    from .conftest import make_admin

    card = "6222020200001234567"
    mine = make_submitted(make_worker(tree.grassroots_a1, name="张三丰", bank_card=card), program)
    near = make_submitted(make_worker(tree.grassroots_a1, name="李四光", bank_card=card), program)
    far = make_submitted(make_worker(tree.other_grassroots, name="王五六", bank_card=card), program)
    flag = next(f for f in flags_for_applications([mine])[mine.pk] if f.code == FlagCode.SHARED_BANK_CARD)
    assert {(o.number, o.name_masked) for o in flag.others} == {(near.number, "李*光"), (far.number, "王*六")}
    client.force_login(make_admin(tree.grassroots_a1))
    html = client.get(reverse("admin:applications_application_change", args=[mine.pk])).content.decode()
    assert "李*光" in html and "王*六" in html and "李四光" not in html
    assert reverse("admin:applications_application_change", args=[near.pk]) in html
    assert reverse("admin:applications_application_change", args=[far.pk]) not in html  # another city's
    assert far.number in html
