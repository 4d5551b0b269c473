"""会员核对: is the applicant on the member roster (``quotas.rosters``) of their union or of
a union above it? For a page of applications in two queries, whatever its size.

Per union of the chain (the worker's union first, then each one above): 在册 (on its
roster), 不在册 (it has a roster, the worker is not on it) or 未导入名册 (no roster). The
summary is 在册 if on any roster, 不在册 if some union has a roster and none lists the
worker, else 未导入名册. Compared by the ID number's HMAC only: a roster holds no number.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from applications.models import Application
from quotas.models import PATH_SEGMENT_WIDTH, MemberRosterEntry, Union

ON, OFF, NONE = "on", "off", "none"
STATUS_LABELS = {ON: _("在册"), OFF: _("不在册"), NONE: _("未导入名册")}


@dataclass(frozen=True)
class UnionMembership:
    union_name: str
    status: str
    roster_count: int | None

    @property
    def label(self) -> str:
        return str(STATUS_LABELS[self.status])


@dataclass(frozen=True)
class Membership:
    status: str
    unions: list[UnionMembership]

    @property
    def label(self) -> str:
        return str(STATUS_LABELS[self.status])

    def as_dict(self) -> dict:
        """Stored with the flags (``FlagCheck.membership``): the review page reads this."""
        return {
            "status": self.status,
            "unions": [
                {"union_name": u.union_name, "status": u.status, "roster_count": u.roster_count} for u in self.unions
            ],
        }

    @classmethod
    def from_dict(cls, data: dict) -> "Membership":
        return cls(data["status"], [UnionMembership(**u) for u in data.get("unions", [])])


def _chain_paths(path: str) -> list[str]:
    width = PATH_SEGMENT_WIDTH + 1
    return [path[: i * width] for i in range(len(path) // width, 0, -1)]  # own union first


def membership_for_applications(applications: Iterable[Application]) -> dict[int, Membership]:
    """Needs ``worker`` loaded (``select_related``)."""
    apps = list(applications)
    chains = {a.pk: _chain_paths(a.union_path) for a in apps}
    paths = {p for chain in chains.values() for p in chain}
    unions = {
        u["path"]: u
        for u in Union.objects.filter(path__in=paths).values("pk", "path", "name", "member_roster__count").order_by()
    }
    with_roster = [u["pk"] for u in unions.values() if u["member_roster__count"] is not None]
    listed: dict[str, set[int]] = defaultdict(set)
    if with_roster:
        for digest, union_id in (
            MemberRosterEntry.objects.filter(
                id_number_hmac__in={a.worker.id_number_hmac for a in apps}, union_id__in=with_roster
            )
            .values_list("id_number_hmac", "union_id")
            .order_by()
        ):
            listed[digest].add(union_id)
    result = {}
    for app in apps:
        rows = []
        for path in chains[app.pk]:
            u = unions.get(path)
            if u is None:
                continue
            count = u["member_roster__count"]
            status = NONE if count is None else (ON if u["pk"] in listed[app.worker.id_number_hmac] else OFF)
            rows.append(UnionMembership(u["name"], status, count))
        statuses = {r.status for r in rows}
        overall = ON if ON in statuses else (OFF if OFF in statuses else NONE)
        result[app.pk] = Membership(overall, rows)
    return result
