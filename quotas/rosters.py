"""Member rosters (会员实名制): a union's manager imports its member list (XLSX or CSV with
姓名 and 身份证号, UTF-8 or GB18030), which is stored only as HMACs of the ID numbers
(``qiuxue.crypto.hmac_index``, the digest ``Worker.id_number_hmac`` holds) and masked
names. Reading is all-or-nothing: any invalid row refuses the whole file, listed by row.
An import replaces the union's roster in one transaction, audited with the counts.
"""

import re
import unicodedata
from dataclasses import dataclass, field

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _

from qiuxue.crypto import hmac_index
from qiuxue.id_numbers import id_check_char
from qiuxue.masking import mask_name
from qiuxue.tables.reading import TableReadError, table_rows

from .audit import AuditAction
from .models import MemberRoster, MemberRosterEntry, Union
from .permissions import may_import_roster
from .services import audit_log_write

NAME_HEADERS = ("姓名", "会员姓名")
ID_HEADERS = ("身份证号", "身份证号码", "公民身份号码", "证件号码")
_ID_RE = re.compile(r"^\d{17}[\dX]$")
# GB 11643 check character (the same rule as applications.validators, which this lower
# app may not import).
MAX_SHOWN_PROBLEMS = 50


@dataclass
class RosterReading:
    members: dict[str, str] = field(default_factory=dict)  # id-number HMAC -> masked name
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.members)


def _id_number(value) -> str:
    text = unicodedata.normalize("NFKC", str(value or "")).strip().upper().replace(" ", "").replace("-", "")
    if not _ID_RE.fullmatch(text):
        return ""
    if id_check_char(text[:17]) != text[17]:
        return ""
    return text


def _header(rows: list[list]) -> tuple[int, int, int] | None:
    for index, row in enumerate(rows[:10]):
        cells = [str(c or "").strip() for c in row]
        name_col = next((i for i, c in enumerate(cells) if c in NAME_HEADERS), None)
        id_col = next((i for i, c in enumerate(cells) if c in ID_HEADERS), None)
        if name_col is not None and id_col is not None:
            return index, name_col, id_col
    return None


def roster_read(*, name: str, content: bytes) -> RosterReading:
    """Read a roster file without writing anything; problems are Chinese, by row number."""
    reading = RosterReading()
    try:
        rows = table_rows(name=name, content=content)
    except TableReadError as exc:
        reading.problems.append(str(exc))
        return reading
    found = _header(rows)
    if found is None:
        reading.problems.append(_("找不到表头：名册须有“姓名”和“身份证号”两列。"))
        return reading
    start, name_col, id_col = found
    for number, row in enumerate(rows[start + 1 :], start=start + 2):
        cells = list(row) + [None] * (max(name_col, id_col) + 1 - len(row))
        person, raw_id = str(cells[name_col] or "").strip(), str(cells[id_col] or "").strip()
        if not person and not raw_id:
            continue  # blank line
        id_number = _id_number(raw_id)
        if not person:
            reading.problems.append(_("第 %(row)d 行：姓名为空。") % {"row": number})
        if not id_number:
            reading.problems.append(_("第 %(row)d 行：身份证号不正确（应为18位且校验位正确）。") % {"row": number})
            continue
        digest = hmac_index(id_number)
        if digest in reading.members:
            reading.problems.append(_("第 %(row)d 行：身份证号与前面的行重复。") % {"row": number})
            continue
        reading.members[digest] = mask_name(person)
    if not reading.members and not reading.problems:
        reading.problems.append(_("名册中没有会员。"))
    return reading


# Sent inside the import's transaction once the roster is replaced (``union=``). quotas is
# the lowest app and announces this way; the reviews app re-checks the membership flags of
# the applications under the union after the commit (a queued side effect, nothing the
# import's own correctness depends on).
roster_replaced = Signal()


def roster_count(*, union: Union) -> int | None:
    roster = MemberRoster.objects.filter(union=union).first()
    return roster.count if roster else None


def member_roster_import(
    *, union: Union, reading: RosterReading, actor: AbstractBaseUser, filename: str = ""
) -> MemberRoster:
    """Replace the union's roster with the members read; all or nothing."""
    may_import_roster(user=actor, union=union).require()
    return roster_replace(union=union, reading=reading, actor=actor, filename=filename)


def roster_replace(
    *, union: Union, reading: RosterReading, actor: AbstractBaseUser | None, filename: str = ""
) -> MemberRoster:
    """The write itself, without the permission check: ``member_roster_import`` for staff,
    the demo data (``applications/demo.py``) with no actor."""
    if not reading.ok:
        raise ValueError("a roster with problems is never written")
    now = timezone.now()
    with transaction.atomic():
        roster, _created = MemberRoster.objects.select_for_update().get_or_create(
            union=union, defaults={"imported_at": now}
        )
        before = MemberRosterEntry.objects.filter(union=union).count() if not _created else 0
        MemberRosterEntry.objects.filter(union=union).delete()
        MemberRosterEntry.objects.bulk_create(
            [
                MemberRosterEntry(union=union, id_number_hmac=digest, name_masked=masked, imported_at=now)
                for digest, masked in reading.members.items()
            ],
            batch_size=2000,
        )
        roster.imported_by, roster.imported_at = actor, now
        roster.count, roster.filename = len(reading.members), filename[:120]
        roster.save()
        audit_log_write(
            actor=actor,
            action=AuditAction.MEMBER_ROSTER_IMPORT,
            obj=roster,
            detail={"union": union.name, "count_before": before, "count_after": roster.count, "filename": filename},
        )
        roster_replaced.send(sender=MemberRoster, union=union)
    return roster
