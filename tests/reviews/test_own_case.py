"""Nobody decides their own case (issue 11 case 3): not under their own account, not for
the same person (same ID number) under another account, not when the claim names their
bank card or phone. The refusal says why, nothing is written, and the case stays at the
tier for a colleague."""

import pytest
from django.urls import reverse

from applications.models import ApplicationStatus
from quotas.models import AdminRole, UnionAdmin
from quotas.services import union_admin_create
from reviews import services
from reviews.models import ReviewDecision
from reviews.services import ReviewRefused

from .conftest import make_admin, make_submitted, make_user, make_worker

CHANGELIST = "admin:applications_application_changelist"


def staff(union, **numbers):
    user = make_user(f"staff-{union.code}-{len(numbers)}-{UnionAdmin.objects.count()}")
    union_admin_create(user=user, union=union, role=AdminRole.REVIEWER, **numbers)
    return user


def assert_untouched(app, tier):
    app.refresh_from_db()
    assert app.status == ApplicationStatus.IN_REVIEW and app.current_tier_id == tier.pk
    assert not ReviewDecision.objects.filter(application=app).exists()
    assert not app.events.exclude(action="submit").exists()


@pytest.mark.django_db
def test_own_account_cannot_decide_its_own_application(tree, program):
    worker = make_worker(tree.grassroots_a1)
    # An account that is both (made before staff and worker accounts were kept apart).
    UnionAdmin.objects.create(user=worker.user, union=tree.grassroots_a1, role=AdminRole.REVIEWER)
    app = make_submitted(worker, program)
    for decide in (
        lambda: services.application_approve(application=app, reviewer=worker.user, reason="同意"),
        lambda: services.application_reject(application=app, reviewer=worker.user, reason="不同意"),
        lambda: services.application_return(
            application=app, reviewer=worker.user, reason="改", fields=["doc:id_front"]
        ),
    ):
        with pytest.raises(ReviewRefused, match=r"本人账号.*回避"):
            decide()
    assert_untouched(app, tree.grassroots_a1)
    # A colleague of the same tier decides it.
    services.application_approve(application=app, reviewer=make_admin(tree.grassroots_a1), reason="同意")
    app.refresh_from_db()
    assert app.current_tier_id == tree.township_a.pk


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("numbers", "why"),
    [
        ({"id_number": "370102199001999991"}, "同一人（身份证号相同）"),
        ({"bank_card": "6222 0202 0099 9999 991"}, "银行卡"),
        ({"phone": "１３９９９９９９９９１"}, "手机号"),  # full-width digits fold to the same number
    ],
)
def test_same_person_card_or_phone_cannot_decide(tree, program, numbers, why):
    worker = make_worker(
        tree.grassroots_a1, id_number="370102199001999991", bank_card="6222020200999999991", phone="13999999991"
    )
    app = make_submitted(worker, program)
    reviewer = staff(tree.grassroots_a1, **numbers)
    with pytest.raises(ReviewRefused, match=why):
        services.application_approve(application=app, reviewer=reviewer, reason="同意")
    assert_untouched(app, tree.grassroots_a1)
    # Someone else's case is decided by the same reviewer as usual.
    other = make_submitted(make_worker(tree.grassroots_a1), program)
    services.application_approve(application=other, reviewer=reviewer, reason="同意")


@pytest.mark.django_db
def test_the_review_page_and_the_bulk_action_show_the_refusal_and_keep_the_case(client, tree, program):
    worker = make_worker(tree.grassroots_a1, id_number="370102199001888881")
    mine = make_submitted(worker, program)
    theirs = make_submitted(make_worker(tree.grassroots_a1), program)
    reviewer = staff(tree.grassroots_a1, id_number="370102199001888881")
    client.force_login(reviewer)
    page = client.post(
        reverse("admin:applications_application_change", args=[mine.pk]),
        {"decision": "approve", "approve-reason": "同意"},
        follow=True,
    )
    assert "您须回避" in page.content.decode()
    assert_untouched(mine, tree.grassroots_a1)
    url = reverse(CHANGELIST)
    result = client.post(
        url,
        {"action": "reject_selected", "_selected_action": [mine.pk, theirs.pk], "confirm": "yes", "reason": "不符"},
    )
    html = result.content.decode()
    assert "办理成功 1 件，未办理 1 件" in html and "您须回避" in html
    assert_untouched(mine, tree.grassroots_a1)
    theirs.refresh_from_db()
    assert theirs.status == ApplicationStatus.REJECTED
    # Still in the tier's queue for another reviewer.
    colleague = make_admin(tree.grassroots_a1)
    client.force_login(colleague)
    queue = client.get(url)
    assert mine.number in queue.content.decode()
