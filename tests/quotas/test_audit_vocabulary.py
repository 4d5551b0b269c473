"""One vocabulary of audit actions: anything outside ``AuditAction`` is refused."""

import pytest

from quotas.audit import AuditAction
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
    assert row.get_action_display() == "公示结束"


def test_every_action_has_a_chinese_label():
    for value, label in AuditAction.choices:
        assert label != value and any("\u4e00" <= ch <= "\u9fff" for ch in str(label)), value
