"""Issue 19 "computed once", issue 18 "flags to look at": the risk flags are computed when
an application is submitted (or what they read changes), stored, and read by the queue,
the review page, the risk filter and the desk. Nothing is checked on a page view."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from applications.models import Application, ReportReading, ReportReadingStatus
from applications.report_readings import report_reading_run
from applications.workflow import Action, application_transition
from quotas.models import AdminRole, DocumentKind
from quotas.rosters import member_roster_import, roster_read
from reviews import services
from reviews.flag_checks import STALE_AFTER, flag_checks_run, flag_checks_sweep, stored_flags_for
from reviews.flag_types import FlagCode
from reviews.models import FlagCheck, FlagCheckState
from tests.applications.factories import make_id_number
from tests.chsi_pdfs import report_pdf

from .conftest import add_attachment, make_admin, make_submitted, make_worker

QUEUE = reverse("admin:applications_application_changelist")


def stored(app) -> dict[str, list[int]]:
    check = FlagCheck.objects.get(application=app)
    assert check.state == FlagCheckState.DONE
    return {f["code"]: [o["pk"] for o in f["others"]] for f in check.flags}


def same_file(app):
    add_attachment(app, DocumentKind.ADMISSION_LETTER, content=b"%PDF-1.4\n% one scan, two workers\n")


@pytest.mark.django_db(transaction=True)
def test_submission_stores_the_flags_of_both_sides_and_a_withdrawal_clears_them(tree, program):
    first = make_submitted(make_worker(tree.grassroots_a1, name="李四"), program, prepare=same_file)
    assert stored(first) == {}  # checked after its commit: alone, nothing to see
    second_worker = make_worker(tree.grassroots_b, name="王小明")
    second = make_submitted(second_worker, program, prepare=same_file)
    # The second submission's task names the first, then checks the first again.
    assert stored(second)[FlagCode.COPIED_FILE] == [first.pk]
    assert stored(first)[FlagCode.COPIED_FILE] == [second.pk]
    application_transition(application=second, action=Action.WITHDRAW, actor=second_worker.user)
    assert FlagCode.COPIED_FILE not in stored(first)


@pytest.mark.django_db(transaction=True)
def test_a_changed_card_and_a_reimported_roster_are_checked_again(tree, program):
    from applications.services import ProfileData, worker_profile_save

    a = make_submitted(make_worker(tree.grassroots_a1), program)
    b_worker = make_worker(tree.grassroots_b)
    b = make_submitted(b_worker, program)
    assert FlagCode.SHARED_BANK_CARD not in stored(a)
    card = "6222020200000000000"
    from applications.validators import luhn_check_digit

    card = card[:-1] + luhn_check_digit(card[:-1])
    a_worker = a.worker
    for worker in (a_worker, b_worker):
        worker_profile_save(
            user=worker.user,
            data=ProfileData(
                name=worker.name,
                employer=worker.employer,
                union=worker.union,
                bank_name="工商银行",
                id_number="",
                bank_card=card,
                position="一线",
                is_frontline=True,
            ),
        )
    assert stored(a)[FlagCode.SHARED_BANK_CARD] == [b.pk] and stored(b)[FlagCode.SHARED_BANK_CARD] == [a.pk]

    program_row = program[0]
    program_row.requires_membership = True
    program_row.save(update_fields=["requires_membership"])
    manager = make_admin(tree.grassroots_a1, AdminRole.MANAGER)
    reading = roster_read(name="m.csv", content=f"姓名,身份证号\n赵六,{make_id_number()}\n".encode())
    member_roster_import(union=tree.grassroots_a1, reading=reading, actor=manager)
    assert FlagCode.NOT_MEMBER in stored(a)  # a roster that does not list the worker
    assert FlagCode.NOT_MEMBER not in stored(b)  # another union's roster: not b's concern


@pytest.mark.django_db
def test_a_report_being_read_is_a_flag_until_the_reading_is_stored(tree, program, django_capture_on_commit_callbacks):
    worker = make_worker(tree.grassroots_a1, name="张三")
    pdf = report_pdf(name="张三", major="会计")  # the application says 机电一体化技术

    def with_report(app):
        att = add_attachment(app, DocumentKind.CHSI_REPORT, content=pdf)
        ReportReading.objects.create(attachment=att)  # queued, not read yet

    app = make_submitted(worker, program, prepare=with_report)
    flag_checks_run(application_ids=[app.pk])
    assert FlagCode.REPORT_PENDING in stored(app)
    reviewer = make_admin(tree.grassroots_a1)
    with pytest.raises(services.ReviewRefused, match="学信网报告核对中"):
        services.application_approve(application=app, reviewer=reviewer)
    # The reading's task stores it and announces it: the flags follow after its commit.
    with django_capture_on_commit_callbacks(execute=True):
        report_reading_run(attachment_id=app.attachments.get().pk)
    assert ReportReading.objects.get().status == ReportReadingStatus.READ
    flags = stored(app)
    assert FlagCode.REPORT_PENDING not in flags and FlagCode.REPORT_MISMATCH in flags


@pytest.mark.django_db
def test_the_queue_and_the_review_page_read_the_stored_flags_without_checking(client, tree, program):
    reviewer = make_admin(tree.grassroots_a1)
    client.force_login(reviewer)
    apps = [make_submitted(make_worker(tree.grassroots_a1, public_sector=True), program) for _ in range(3)]
    program[0].public_sector_documents = [DocumentKind.RANK_CERTIFICATE]
    program[0].save(update_fields=["public_sector_documents"])
    flag_checks_run(application_ids=[a.pk for a in apps])
    # What the page shows is the stored row: rewrite it and the page says what it says.
    FlagCheck.objects.filter(application=apps[0]).update(
        flags=[{"code": FlagCode.SHARED_PHONE, "detail": "存储的核对结果", "others": []}],
        codes=f"|{FlagCode.SHARED_PHONE}|",
    )
    with CaptureQueriesContext(connection) as queries:
        page = client.get(QUEUE)
        review = client.get(reverse("admin:applications_application_change", args=[apps[0].pk]))
    assert page.status_code == 200 and review.status_code == 200
    text = page.content.decode()
    assert "存储的核对结果" in text and text.count('<span class="rv-flag" title="职级证明缺失">') == 2
    assert "存储的核对结果" in review.content.decode()
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    # The checks' own look-ups across other workers never run on a page view: the
    # copied-paper hashes, the shared card and phone, the same person's other claims.
    assert "reviews_flagcheck" in sql
    assert '"phash_b0" IN' not in sql and '"bank_card_hmac" IN' not in sql and '"id_number_hmac" IN' not in sql


@pytest.mark.django_db
def test_a_check_in_progress_says_so_on_the_queue_and_the_page(client, tree, program):
    reviewer = make_admin(tree.grassroots_a1)
    client.force_login(reviewer)
    app = make_submitted(make_worker(tree.grassroots_a1), program)
    FlagCheck.objects.create(application=app, state=FlagCheckState.PENDING)
    assert stored_flags_for([app])[app.pk].pending
    assert "核对中" in client.get(QUEUE).content.decode()
    page = client.get(reverse("admin:applications_application_change", args=[app.pk])).content.decode()
    assert 'id="rv-flags-pending"' in page


@pytest.mark.django_db
def test_risk_filter_and_desk_count_read_the_stored_flags(client, tree, program):
    reviewer = make_admin(tree.grassroots_a1)
    client.force_login(reviewer)
    clean = make_submitted(make_worker(tree.grassroots_a1), program)
    flagged = make_submitted(make_worker(tree.grassroots_a1, public_sector=True), program)
    pending = make_submitted(make_worker(tree.grassroots_a1), program)
    program[0].public_sector_documents = [DocumentKind.RANK_CERTIFICATE]
    program[0].save(update_fields=["public_sector_documents"])
    flag_checks_run(application_ids=[clean.pk, flagged.pk])
    FlagCheck.objects.create(application=pending, state=FlagCheckState.PENDING)

    def rows(**params):
        response = client.get(QUEUE, {"queue": "mine", **params})
        return {o.pk for o in response.context["cl"].result_list}

    assert rows(risk="any") == {flagged.pk}
    assert rows(risk=FlagCode.PUBLIC_SECTOR_NO_RANK_CERT) == {flagged.pk}
    assert rows(risk=FlagCode.SHARED_PHONE) == set()
    assert rows(risk="none") == {clean.pk}
    assert rows(risk="pending") == {pending.pk}
    index = client.get(reverse("admin:index")).content.decode()
    assert 'data-desk="flags"' in index and 'data-desk="flags_pending"' in index
    from tests.reviews.test_desk import desk_rows

    desk = {key: (url, n) for key, url, n in desk_rows(client)}
    assert desk["flags"][1] == 1 and desk["flags_pending"][1] == 1
    assert rows(**dict(p.split("=") for p in desk["flags"][0].split("?")[1].split("&"))) == {flagged.pk}


@pytest.mark.django_db
def test_the_sweep_runs_checks_whose_task_was_lost(tree, program):
    app = make_submitted(make_worker(tree.grassroots_a1), program)
    FlagCheck.objects.create(application=app, state=FlagCheckState.PENDING, queued_at=timezone.now())
    assert flag_checks_sweep() == 0  # still within its time: its task may be running
    assert flag_checks_sweep(now=timezone.now() + STALE_AFTER + STALE_AFTER) == 1
    assert FlagCheck.objects.get(application=app).state == FlagCheckState.DONE
    assert Application.objects.get(pk=app.pk).flag_check.checked_at is not None


@pytest.mark.django_db
def test_the_review_pages_membership_is_the_stored_one(client, tree, program):
    reviewer = make_admin(tree.grassroots_a1)
    manager = make_admin(tree.grassroots_a1, AdminRole.MANAGER)
    client.force_login(reviewer)
    app = make_submitted(make_worker(tree.grassroots_a1), program)
    reading = roster_read(name="m.csv", content=f"姓名,身份证号\n赵六,{make_id_number()}\n".encode())
    member_roster_import(union=tree.grassroots_a1, reading=reading, actor=manager)
    flag_checks_run(application_ids=[app.pk])
    stored_row = FlagCheck.objects.get(application=app)
    assert stored_row.membership["status"] == "off"  # a roster that does not list the worker
    assert stored_row.membership["unions"][0]["union_name"] == tree.grassroots_a1.name
    stored_row.membership["unions"][0]["union_name"] = "存储的会员核对"
    stored_row.save(update_fields=["membership"])
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("admin:applications_application_change", args=[app.pk])).content.decode()
    assert "存储的会员核对" in page and "不在册" in page
    assert "quotas_memberrosterentry" not in " ".join(q["sql"] for q in queries.captured_queries)
