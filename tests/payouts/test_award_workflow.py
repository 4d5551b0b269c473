"""The one state machine of ``Award.status``: its table, its refusals, its audit, and that
nothing else in the code base writes the status."""

import re
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from payouts.award_workflow import TRANSITIONS, AwardAction, award_transition, award_transition_allowed
from payouts.models import Award, AwardStatus
from quotas.models import AuditLog

ROOT = Path(__file__).resolve().parents[2]
A = AwardStatus


def test_paid_and_ended_awards_have_no_way_out():
    for status in (A.PAID, A.REVOKED, A.VOID):
        assert not [action for (st, action) in TRANSITIONS if st == status], status


def test_every_unpaid_status_can_be_voided_or_revoked_and_only_those():
    for status in A.values:
        unpaid = status in (A.PROPOSED, A.PUBLISHED, A.FAILED, A.REISSUED)
        assert award_transition_allowed(status=status, action=AwardAction.VOID) is unpaid
        assert award_transition_allowed(status=status, action=AwardAction.REVOKE) is unpaid


def test_the_money_path():
    path = [
        (A.PROPOSED, AwardAction.PUBLISH, A.PUBLISHED),
        (A.PUBLISHED, AwardAction.FAIL, A.FAILED),
        (A.FAILED, AwardAction.REISSUE, A.REISSUED),
        (A.REISSUED, AwardAction.PAY, A.PAID),
    ]
    for status, action, target in path:
        assert TRANSITIONS[(status, action)] == target
    assert not award_transition_allowed(status=A.PROPOSED, action=AwardAction.PAY)  # never paid unlisted


@pytest.mark.django_db
def test_an_illegal_step_refuses_the_whole_call_and_writes_nothing(scenario):
    awards = list(Award.objects.filter(application=scenario.applications[0]).order_by("id"))
    Award.objects.filter(pk=awards[0].pk).update(status=A.PAID)
    awards[0].refresh_from_db()
    with pytest.raises(ValidationError, match="当前为“已发放”，不能作废"), transaction.atomic():
        award_transition(awards=awards, action=AwardAction.VOID, actor=None, reason="测试")
    assert sorted(Award.objects.filter(pk__in=[a.pk for a in awards]).values_list("status", flat=True)) == [
        A.PAID,
        A.PROPOSED,
        A.PROPOSED,
        A.PROPOSED,
    ]
    assert not AuditLog.objects.filter(action="award.void").exists()


@pytest.mark.django_db
def test_a_step_is_audited_once_with_its_awards_and_money(scenario):
    awards = list(Award.objects.filter(application=scenario.applications[1]))
    with transaction.atomic():
        award_transition(awards=awards, action=AwardAction.PUBLISH, actor=None)
    row = AuditLog.objects.get(action="award.publish")
    assert sorted(row.detail["awards"]) == sorted(a.pk for a in awards)
    assert row.detail["from"] == ["proposed"] and row.detail["to"] == "published" and row.detail["yuan"] == 4000


def test_award_transition_needs_the_callers_transaction():
    with pytest.raises(RuntimeError):
        award_transition(awards=[], action=AwardAction.PUBLISH, actor=None)


# Ways a module could write Award.status around the state machine.
BYPASSES = [
    re.compile(r"\.update\([^)]*\bstatus\s*=\s*AwardStatus"),
    re.compile(r"\baward\w*\.status\s*=\s*(AwardStatus|A)\."),
    re.compile(r"Award\.objects\.bulk_update\(.*[\"']status[\"']"),
    re.compile(r"UPDATE\s+\{?(X|\"?payouts_award\"?)\}?\s+SET[^;]*\bstatus\b", re.IGNORECASE),
    re.compile(r"Award\([^)]*status=AwardStatus\.(?!PROPOSED)"),
]


def test_nothing_else_writes_award_status():
    offenders = []
    for app in ("applications", "quotas", "reviews", "payouts"):
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts or path.name == "award_workflow.py":
                continue
            for n, line in enumerate(path.read_text().splitlines(), start=1):
                if any(p.search(line) for p in BYPASSES):
                    offenders.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert not offenders, offenders
