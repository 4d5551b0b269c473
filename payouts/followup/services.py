"""Writes for the study follow-up (跟踪服务): by hand, or from a school's list.

The school's list carries ID numbers; they are only hashed (HMAC) to find the worker and
never stored. An import is all or nothing: any row that cannot be matched or read is
reported and nothing is written.
"""

import hashlib
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from applications.models import Application
from applications.validators import ID_NUMBER_RE, id_number_normalise
from payouts.models import FollowUpSource, StudyFollowUp, StudyStatus
from qiuxue.crypto import hmac_index
from qiuxue.tables.reading import TableReadError, table_rows
from quotas.models import Program
from quotas.selectors import union_scope_of
from quotas.services import audit_log_write

from .selectors import FOLLOWED_STATUSES

STATUS_WORDS = {
    "在读": StudyStatus.STUDYING,
    "在校": StudyStatus.STUDYING,
    "在籍": StudyStatus.STUDYING,
    "毕业": StudyStatus.GRADUATED,
    "已毕业": StudyStatus.GRADUATED,
    "退学": StudyStatus.DROPPED_OUT,
    "已退学": StudyStatus.DROPPED_OUT,
    "休学": StudyStatus.SUSPENDED,
    "保留学籍": StudyStatus.SUSPENDED,
}
REQUIRED_COLUMNS = ("姓名", "身份证号", "状态")
MAX_IMPORT_BYTES = 5 * 1024 * 1024


class FollowUpError(Exception):
    """Refused input; ``errors`` lists every bad row so the school's list can be fixed at once."""

    def __init__(self, errors: list[str]):
        super().__init__("；".join(errors))
        self.errors = errors


@dataclass
class ImportResult:
    written: int


def _check_in_scope(*, application: Application, actor: AbstractBaseUser) -> None:
    scope = union_scope_of(actor)
    if scope is None or not application.worker.union.path.startswith(scope.path):
        raise FollowUpError([_("无权为该职工记录学习跟踪。")])
    if application.status not in FOLLOWED_STATUSES:
        raise FollowUpError([_("只有审核通过或已发放补助的申请需要学习跟踪。")])


def study_follow_up_record(
    *,
    application: Application,
    status: str,
    actor: AbstractBaseUser,
    note: str = "",
    school: str = "",
    recorded_at: datetime | None = None,
) -> StudyFollowUp:
    if status not in StudyStatus.values:
        raise FollowUpError([_("学习状态无效。")])
    _check_in_scope(application=application, actor=actor)
    with transaction.atomic():
        row = StudyFollowUp.objects.create(
            application=application,
            status=status,
            recorded_at=recorded_at or timezone.now(),
            recorded_by=actor,
            school=school or application.school,
            note=note,
            source=FollowUpSource.MANUAL,
        )
        audit_log_write(actor=actor, action="followup.record", obj=application, detail={"status": status})
    return row


def _read_rows(*, name: str, content: bytes) -> list[list[str]]:
    try:
        rows = table_rows(name=name, content=content)
    except TableReadError as exc:
        raise FollowUpError([str(exc)]) from None
    return [["" if v is None else str(v).strip() for v in row] for row in rows]


def _header(rows: list[list[str]]) -> tuple[int, dict[str, int]]:
    # Schools often put a title line above the header: take the first row naming our columns.
    for index, row in enumerate(rows[:10]):
        columns = {c: i for i, c in enumerate(row) if c}
        if all(c in columns for c in REQUIRED_COLUMNS):
            return index, columns
    raise FollowUpError([_("找不到表头：需要“姓名”“身份证号”“学校”“状态”列。")])


def follow_up_import(*, program: Program, name: str, content: bytes, actor: AbstractBaseUser) -> ImportResult:
    scope = union_scope_of(actor)
    if scope is None:
        raise FollowUpError([_("您不是工会管理员。")])
    if len(content) > MAX_IMPORT_BYTES:
        raise FollowUpError([_("文件过大（上限 5MB）。")])
    try:
        rows = _read_rows(name=name, content=content)
    except (UnicodeDecodeError, ValueError, KeyError, OSError) as exc:
        raise FollowUpError([_("文件无法读取：%(error)s") % {"error": exc}]) from exc
    header_at, col = _header(rows)
    parsed: list[tuple[int, str, str, str, str]] = []
    errors: list[str] = []
    for line, row in enumerate(rows[header_at + 1 :], start=header_at + 2):
        cell = lambda key, row=row: row[col[key]].strip() if key in col and col[key] < len(row) else ""  # noqa: E731
        person, id_number, school, word = (
            cell("姓名"),
            id_number_normalise(cell("身份证号")),
            cell("学校"),
            cell("状态"),
        )
        if not any((person, id_number, word)):
            continue
        # Full-width digits fold to ASCII (so the HMAC finds the worker); digits of other
        # scripts are refused like any other malformed number.
        if not ID_NUMBER_RE.fullmatch(id_number):
            errors.append(_("第%(line)d行：身份证号格式不正确。") % {"line": line})
            continue
        if word not in STATUS_WORDS:
            errors.append(_("第%(line)d行：无法识别的状态“%(word)s”。") % {"line": line, "word": word})
            continue
        parsed.append((line, person, hmac_index(id_number), school, STATUS_WORDS[word]))

    # One query for every row: applications of this programme, in scope, matched by HMAC.
    matches = {
        a.worker.id_number_hmac: a
        for a in Application.objects.in_subtree(scope)
        .filter(program=program, status__in=FOLLOWED_STATUSES, worker__id_number_hmac__in=[p[2] for p in parsed])
        .select_related("worker")
    }
    seen: set[str] = set()
    new_rows: list[StudyFollowUp] = []
    now = timezone.now()
    for line, person, digest, school, status in parsed:
        application = matches.get(digest)
        if application is None:
            errors.append(_("第%(line)d行：在本方案（本单位范围）中找不到该职工的获补助申请。") % {"line": line})
        elif application.worker.name != person:
            errors.append(_("第%(line)d行：姓名与身份证号不符。") % {"line": line})
        elif digest in seen:
            errors.append(_("第%(line)d行：同一人在名单中出现多次。") % {"line": line})
        else:
            seen.add(digest)
            new_rows.append(
                StudyFollowUp(
                    application=application,
                    status=status,
                    recorded_at=now,
                    recorded_by=actor,
                    school=school or application.school,
                    source=FollowUpSource.IMPORT,
                )
            )
    if errors:
        raise FollowUpError(errors)
    if not new_rows:
        raise FollowUpError([_("名单中没有数据行。")])
    with transaction.atomic():
        StudyFollowUp.objects.bulk_create(new_rows)
        audit_log_write(
            actor=actor,
            action="followup.import",
            obj=program,
            detail={"rows": len(new_rows), "file": name[:100], "sha256": hashlib.sha256(content).hexdigest()},
        )
    return ImportResult(written=len(new_rows))
