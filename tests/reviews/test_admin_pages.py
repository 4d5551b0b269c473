"""The review admin pages: the queue, the review page, bulk actions, overview, previews."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from applications.models import Application, ApplicationStatus
from quotas.models import AuditLog, DocumentKind
from reviews.flags import FlagCode
from reviews.models import ReviewDecision

from .conftest import add_attachment, make_admin, make_submitted, make_worker

CHANGELIST = "admin:applications_application_changelist"
S = ApplicationStatus


def change_url(app):
    return reverse("admin:applications_application_change", args=[app.pk])


@pytest.fixture
def grassroots_client(client, tree):
    user = make_admin(tree.grassroots_a1)
    client.force_login(user)
    client.user = user
    return client


@pytest.mark.django_db
def test_review_page_shows_masked_data_flags_history_and_documents(grassroots_client, tree, program):
    worker = make_worker(tree.grassroots_a1, id_number="370102199003071234", public_sector=True)
    app = make_submitted(worker, program, chsi_days=20)
    att = add_attachment(app, DocumentKind.CHSI_REPORT)
    page = grassroots_client.get(change_url(app))
    assert page.status_code == 200
    html = page.content.decode()
    assert "370102199003071234" not in html
    assert "3701**********1234" in html
    assert worker.phone not in html and worker.phone[:3] + "****" + worker.phone[-4:] in html
    assert "学信网报告有效期不足" in html and "机关事业单位职工未上传职级证明" in html
    assert reverse("reviews:attachment_preview", args=[att.pk]) in html
    assert "提交申请" in html  # the history row of the submission


@pytest.mark.django_db
def test_approve_from_the_review_page_needs_acknowledged_flags(grassroots_client, tree, program):
    app = make_submitted(make_worker(tree.grassroots_a1, public_sector=True), program)
    refused = grassroots_client.post(change_url(app), {"decision": "approve", "approve-reason": "同意"}, follow=True)
    assert "风险提示未确认" in refused.content.decode()
    app.refresh_from_db()
    assert app.current_tier_id == tree.grassroots_a1.pk
    done = grassroots_client.post(
        change_url(app),
        {
            "decision": "approve",
            "approve-reason": "同意",
            "approve-acknowledged_flags": [FlagCode.PUBLIC_SECTOR_NO_RANK_CERT],
        },
    )
    assert done.status_code == 302
    app.refresh_from_db()
    assert app.current_tier_id == tree.township_a.pk


@pytest.mark.django_db
def test_return_and_reject_from_the_review_page(grassroots_client, tree, program):
    a = make_submitted(make_worker(tree.grassroots_a1), program)
    b = make_submitted(make_worker(tree.grassroots_a1), program)
    missing = grassroots_client.post(change_url(a), {"decision": "return", "return-reason": "请补充"})
    assert "请勾选需要修改的项目或材料" in missing.content.decode()
    grassroots_client.post(
        change_url(a), {"decision": "return", "return-reason": "请补充", "return-fields_to_fix": ["doc:chsi"]}
    )
    no_reason = grassroots_client.post(change_url(b), {"decision": "reject", "reject-reason": ""})
    assert "驳回必须填写原因" in no_reason.content.decode()
    grassroots_client.post(change_url(b), {"decision": "reject", "reject-reason": "非会员"})
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.status, a.return_fields, b.status) == (S.RETURNED, ["doc:chsi"], S.REJECTED)


@pytest.mark.django_db
def test_bulk_approve_has_a_confirmation_page_and_a_result_list(grassroots_client, tree, program):
    clean = make_submitted(make_worker(tree.grassroots_a1), program)
    flagged = make_submitted(make_worker(tree.grassroots_a1, public_sector=True), program)
    url = reverse(CHANGELIST)
    ids = [clean.pk, flagged.pk]
    confirm = grassroots_client.post(url, {"action": "approve_selected", "_selected_action": ids})
    assert confirm.status_code == 200
    assert 'name="confirm" value="yes"' in confirm.content.decode()
    assert ReviewDecision.objects.count() == 0
    result = grassroots_client.post(
        url, {"action": "approve_selected", "_selected_action": ids, "confirm": "yes", "reason": "同意"}
    )
    html = result.content.decode()
    assert result.status_code == 200
    assert "办理成功 1 件，未办理 1 件" in html
    clean.refresh_from_db()
    flagged.refresh_from_db()
    assert clean.current_tier_id == tree.township_a.pk and flagged.current_tier_id == tree.grassroots_a1.pk
    grassroots_client.post(
        url,
        {
            "action": "approve_selected",
            "_selected_action": [flagged.pk],
            "confirm": "yes",
            f"ack_{flagged.pk}": FlagCode.PUBLIC_SECTOR_NO_RANK_CERT,
        },
    )
    flagged.refresh_from_db()
    assert flagged.current_tier_id == tree.township_a.pk


@pytest.mark.django_db
def test_bulk_reject_and_return_need_reasons(grassroots_client, tree, program):
    apps = [make_submitted(make_worker(tree.grassroots_a1), program) for _ in range(2)]
    url = reverse(CHANGELIST)
    page = grassroots_client.post(
        url, {"action": "reject_selected", "_selected_action": [apps[0].pk], "confirm": "yes"}
    )
    assert "驳回必须填写原因" in page.content.decode()
    grassroots_client.post(
        url, {"action": "reject_selected", "_selected_action": [apps[0].pk], "confirm": "yes", "reason": "重复申请"}
    )
    grassroots_client.post(
        url,
        {
            "action": "return_selected",
            "_selected_action": [apps[1].pk],
            "confirm": "yes",
            "reason": "补材料",
            "fields_to_fix": ["doc:id_front"],
        },
    )
    assert [a.status for a in Application.objects.filter(pk__in=[x.pk for x in apps]).order_by("pk")] == [
        S.REJECTED,
        S.RETURNED,
    ]


@pytest.mark.django_db
def test_queue_is_my_tier_by_default_and_history_is_a_filter(client, tree, program):
    county = make_admin(tree.county_a)
    at_grassroots = make_submitted(make_worker(tree.grassroots_a1), program)
    at_county = make_submitted(make_worker(tree.grassroots_a2), program)
    Application.objects.filter(pk=at_county.pk).update(current_tier=tree.county_a)
    client.force_login(county)
    mine = client.get(reverse(CHANGELIST))
    assert [o.pk for o in mine.context["cl"].result_list] == [at_county.pk]
    below = client.get(reverse(CHANGELIST), {"queue": "below"})
    assert [o.pk for o in below.context["cl"].result_list] == [at_grassroots.pk]
    # Read-only below: the review page has no decision form.
    page = client.get(change_url(at_grassroots))
    assert page.status_code == 200 and 'name="decision"' not in page.content.decode()
    assert 'name="decision"' in client.get(change_url(at_county)).content.decode()


@pytest.mark.django_db
def test_search_by_name_or_number_never_by_id_number(grassroots_client, tree, program):
    a = make_submitted(make_worker(tree.grassroots_a1, name="李四光", id_number="370102198001011111"), program)
    make_submitted(make_worker(tree.grassroots_a1, name="王五"), program)
    url = reverse(CHANGELIST)
    by_name = grassroots_client.get(url, {"q": "四光"})
    assert [o.pk for o in by_name.context["cl"].result_list] == [a.pk]
    by_number = grassroots_client.get(url, {"q": a.number})
    assert [o.pk for o in by_number.context["cl"].result_list] == [a.pk]
    by_id = grassroots_client.get(url, {"q": "370102198001011111"})
    assert list(by_id.context["cl"].result_list) == []


@pytest.mark.django_db
def test_changelist_queries_do_not_grow_with_the_page(client, tree, program):
    city = make_admin(tree.city)
    client.force_login(city)
    url = reverse(CHANGELIST)

    def queries_for(n):
        for i in range(n):
            app = make_submitted(make_worker(tree.grassroots_b, public_sector=i % 2 == 0), program, chsi_days=30)
            Application.objects.filter(pk=app.pk).update(current_tier=tree.city)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200
        return len(ctx), len(response.context["cl"].result_list)

    q5, rows5 = queries_for(5)
    q40, rows40 = queries_for(35)
    assert (rows5, rows40) == (5, 40)
    assert q5 == q40


@pytest.mark.django_db
def test_overview_counts_per_tier_and_unit(client, tree, program):
    county = make_admin(tree.county_a)
    for _ in range(3):
        make_submitted(make_worker(tree.grassroots_a1), program)
    moved = make_submitted(make_worker(tree.grassroots_a2), program)
    Application.objects.filter(pk=moved.pk).update(current_tier=tree.county_a)
    make_submitted(make_worker(tree.grassroots_b), program)  # another county: not counted
    client.force_login(county)
    index = client.get(reverse("admin:index")).content.decode()
    overview_url = reverse("admin:reviews_reviewoverview_changelist")
    assert overview_url in index
    page = client.get(overview_url)
    data = page.context["overview"]
    assert data["total"] == 4
    assert {r["current_tier__name"]: r["n"] for r in data["by_tier"]} == {"甲公司工会": 3, "历下区总工会": 1}
    assert {r["name"]: (r["n"], r["mine"]) for r in data["by_unit"]} == {"解放路街道工会": (4, 1)}
    assert 'class="rv-bar" style="width: 100%"' in page.content.decode()


@pytest.mark.django_db
def test_attachment_preview_is_inline_nosniff_and_audited(grassroots_client, tree, program):
    app = make_submitted(make_worker(tree.grassroots_a1), program)
    att = add_attachment(app, DocumentKind.ID_FRONT, content=b"\x89PNG\r\n\x1a\nfake", content_type="image/png")
    url = reverse("reviews:attachment_preview", args=[att.pk])
    for expected in (1, 2):
        response = grassroots_client.get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == b"\x89PNG\r\n\x1a\nfake"
        assert response["Content-Type"] == "image/png"
        assert response["Content-Disposition"].startswith("inline")
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["X-Frame-Options"] == "SAMEORIGIN"
        logs = AuditLog.objects.filter(action="attachment.view", object_id=str(att.pk))
        assert logs.count() == expected
    assert logs.first().actor == grassroots_client.user


@pytest.mark.django_db
def test_history_names_steps_outside_the_state_machine(grassroots_client, tree, program):
    from applications.models import ApplicationEvent

    app = make_submitted(make_worker(tree.grassroots_a1), program)
    ApplicationEvent.objects.create(application=app, action="seat_promote", detail={"label": "候补递补占得名额"})
    html = grassroots_client.get(change_url(app)).content.decode()
    assert "候补递补占得名额" in html and "seat_promote" not in html


@pytest.mark.django_db
def test_history_masks_the_workers_account_which_is_the_phone(grassroots_client, tree, program):
    """Issue 18: a worker signs in with the phone number, so the history's 办理人 of the
    worker's own steps was the full number; it is now 申请人本人 with the masked phone."""
    worker = make_worker(tree.grassroots_a1)
    worker.user.username = worker.phone
    worker.user.save(update_fields=["username"])
    app = make_submitted(worker, program)
    html = grassroots_client.get(change_url(app)).content.decode()
    assert worker.phone not in html
    assert f"申请人本人（{worker.phone[:3]}****{worker.phone[-4:]}）" in html


@pytest.mark.django_db
def test_papers_replaced_since_the_last_decision_carry_the_badge(grassroots_client, tree, program):
    from reviews.models import ReviewDecision as Decision

    app = make_submitted(make_worker(tree.grassroots_a1), program)
    old = add_attachment(app, DocumentKind.ID_FRONT)
    assert "重新上传" not in grassroots_client.get(change_url(app)).content.decode()  # no decision yet
    grassroots_client.post(
        change_url(app), {"decision": "return", "return-reason": "请补充", "return-fields_to_fix": ["doc:chsi"]}
    )
    assert Decision.objects.filter(application=app).exists()
    new = add_attachment(app, DocumentKind.CHSI_REPORT)
    html = grassroots_client.get(change_url(app)).content.decode()
    assert html.count("重新上传") == 1
    badge_at = html.index("重新上传")
    assert html.rfind(reverse("reviews:attachment_thumbnail", args=[new.pk]), 0, badge_at) > html.rfind(
        reverse("reviews:attachment_thumbnail", args=[old.pk]), 0, badge_at
    )
