"""One vocabulary of audit actions: anything outside ``AuditAction`` is refused."""

import pytest

from quotas.audit import AUDIT_LABELS, AuditAction
from quotas.models import AuditLog
from quotas.services import audit_log_write


@pytest.mark.django_db
def test_unknown_action_is_refused_and_nothing_is_written():
    with pytest.raises(ValueError, match="unknown audit action"):
        audit_log_write(actor=None, action="allocation.ran", detail={})
    assert not AuditLog.objects.exists()


@pytest.mark.django_db
def test_known_action_is_written_with_its_chinese_label():
    row = audit_log_write(actor=None, action=AuditAction.PUBLICITY_CLOSE, detail={})
    assert AUDIT_LABELS[row.action] == "公示结束"


def test_every_action_has_a_chinese_label():
    for value, label in AuditAction.choices:
        assert label != value and any("\u4e00" <= ch <= "\u9fff" for ch in str(label)), value


@pytest.mark.django_db
def test_the_audit_admin_shows_and_filters_by_the_labels(client):
    from django.contrib.auth import get_user_model

    from quotas.models import UnionLevel
    from quotas.services import union_admin_create, union_create

    city = union_create(name="济南市总工会", code="370100", level=UnionLevel.CITY)
    user = get_user_model().objects.create_user(username="city-manager", password=None)
    union_admin_create(user=user, union=city, role="manager")
    audit_log_write(actor=user, action=AuditAction.PUBLICITY_OPEN, detail={})
    audit_log_write(actor=user, action=AuditAction.QUOTA_UPDATE, detail={})
    client.force_login(user)
    page = client.get("/admin/quotas/auditlog/?action=publicity.open").content.decode()
    assert "发布公示" in page  # the row and the filter, by label
    assert "publicity.open</td>" not in page
    assert page.count('class="field-action_label"') == 1  # only the filtered row
