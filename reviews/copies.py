"""Copied papers (复制材料): the same file, the same picture or the same 学信网 验证码 under
two different workers. Each check is one query for the whole page of the queue.

- same file: ``Attachment.sha256`` of the stored (re-encoded) file, exact;
- same picture: the dHash of the stored picture within ``phash.MAX_DISTANCE`` bits, found
  through the four indexed 16-bit bands with one-bit probes (see ``applications/phash.py``);
- same 验证码: ``Application.chsi_code``, compared trimmed and upper-cased.

"Another worker" is another ``Worker`` row (one per real person, by ID-number HMAC): the
same person's own earlier application is the same-person flag's business, not this one.
The flag names the other application by its number and the worker's masked name.
"""

from collections import defaultdict

from django.db.models import Q
from django.db.models.functions import Trim, Upper
from django.utils.translation import gettext as _

from applications import phash
from applications.models import Application, ApplicationStatus, Attachment
from qiuxue.masking import mask_name

from .flag_types import Flag, FlagCode, OtherApplication

# A near-uniform picture (a blank page, a solid colour) hashes to almost all zeros or
# ones: every blank page would "match" every other, and two identical blank files prove
# nothing either, so such pictures are compared neither by hash nor by file.
_MIN_BITS, _MAX_BITS = 5, 59


def _blank(h: str) -> bool:
    return bool(h) and not _MIN_BITS <= int(h, 16).bit_count() <= _MAX_BITS


_SHOWN = 3


def _other(number: str | None, pk: int, name: str) -> OtherApplication:
    return OtherApplication(pk=pk, number=number or f"草稿#{pk}", name_masked=mask_name(name))


def _add(result, code: str, hits: dict[int, dict[int, OtherApplication]]) -> None:
    for app_pk, others in hits.items():
        if others:
            shown = tuple(others.values())[:_SHOWN]
            # The others are named by the flag itself (masked, linked where in scope).
            detail = str(_("涉及%(n)d件其他申请") % {"n": len(others)})
            result[app_pk].append(Flag(code, detail, shown))


def _current_papers(apps: list[Application]) -> list[tuple]:
    return list(
        Attachment.objects.filter(application__in=apps, is_current=True)
        .values_list("application_id", "sha256", "phash")
        .order_by()
    )


def _others(filter_q: Q, fields: tuple[str, ...]):
    return (
        Attachment.objects.filter(filter_q)
        .exclude(application__status=ApplicationStatus.WITHDRAWN)
        .values_list(
            *fields, "application_id", "application__number", "application__worker_id", "application__worker__name"
        )
        .order_by()
    )


def flag_copied_files(apps: list[Application], result, *, papers: list[tuple]) -> None:
    worker_of = {a.pk: a.worker_id for a in apps}
    mine = defaultdict(set)  # sha256 -> application ids on this page
    for app_pk, sha, h in papers:
        if not _blank(h):
            mine[sha].add(app_pk)
    if not mine:
        return
    hits: dict[int, dict[int, OtherApplication]] = defaultdict(dict)
    for sha, other_pk, number, worker_id, name in _others(Q(sha256__in=list(mine)), ("sha256",)):
        for app_pk in mine[sha]:
            if worker_id != worker_of[app_pk]:
                hits[app_pk][other_pk] = _other(number, other_pk, name)
    _add(result, FlagCode.COPIED_FILE, hits)


def flag_copied_pictures(apps: list[Application], result, *, papers: list[tuple]) -> None:
    worker_of = {a.pk: a.worker_id for a in apps}
    mine = [(app_pk, h) for app_pk, _sha, h in papers if h and not _blank(h)]
    if not mine:
        return
    probes: list[set[int]] = [set() for _ in range(phash.BANDS)]
    for _app_pk, h in mine:
        for i, band in enumerate(phash.bands(h)):
            probes[i].update(phash.probes(band))
    query = Q()
    for i, values in enumerate(probes):
        query |= Q(**{f"phash_b{i}__in": sorted(values)})
    hits: dict[int, dict[int, OtherApplication]] = defaultdict(dict)
    for other_hash, other_pk, number, worker_id, name in _others(query, ("phash",)):
        for app_pk, h in mine:
            if worker_id != worker_of[app_pk] and phash.distance(h, other_hash) <= phash.MAX_DISTANCE:
                hits[app_pk][other_pk] = _other(number, other_pk, name)
    _add(result, FlagCode.COPIED_PICTURE, hits)


def flag_shared_chsi_code(apps: list[Application], result) -> None:
    mine = defaultdict(set)
    for app in apps:
        if app.chsi_code and app.chsi_code.strip():
            mine[app.chsi_code.strip().upper()].add(app.pk)
    if not mine:
        return
    worker_of = {a.pk: a.worker_id for a in apps}
    others = (
        Application.objects.annotate(code_norm=Upper(Trim("chsi_code")))
        .filter(code_norm__in=list(mine))
        .exclude(status=ApplicationStatus.WITHDRAWN)
        .values_list("code_norm", "pk", "number", "worker_id", "worker__name")
        .order_by()
    )
    hits: dict[int, dict[int, OtherApplication]] = defaultdict(dict)
    for value, other_pk, number, worker_id, name in others:
        for app_pk in mine[value]:
            if worker_id != worker_of[app_pk]:
                hits[app_pk][other_pk] = _other(number, other_pk, name)
    _add(result, FlagCode.SHARED_CHSI_CODE, hits)


def flag_copies(apps: list[Application], result) -> None:
    papers = _current_papers(apps)
    flag_copied_files(apps, result, papers=papers)
    flag_copied_pictures(apps, result, papers=papers)
    flag_shared_chsi_code(apps, result)
