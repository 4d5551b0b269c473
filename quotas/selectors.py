"""Reads: who an admin is, and which part of the union tree they may see."""

from collections.abc import Iterable
from typing import Protocol

from django.contrib.auth.base_user import AbstractBaseUser

from .models import COFUNDER_TIER, CoFunder, CoFunderStaff, Program, Union, UnionAdmin, UnionLevel

# Every admin hook of every app asks who the user is; a request's user object carries the
# answer so one page costs one look-up, not one per permission check.
UNION_ADMIN_CACHE_ATTR = "_qiuxue_union_admin"
COFUNDER_STAFF_CACHE_ATTR = "_qiuxue_cofunder_staff"


def union_admin_of(user: AbstractBaseUser | None) -> UnionAdmin | None:
    if user is None or not user.is_authenticated:
        return None
    if UNION_ADMIN_CACHE_ATTR in user.__dict__:
        return user.__dict__[UNION_ADMIN_CACHE_ATTR]
    admin = UnionAdmin.objects.select_related("union").filter(user=user).first()
    user.__dict__[UNION_ADMIN_CACHE_ATTR] = admin
    return admin


def union_admin_forget(user: AbstractBaseUser) -> None:
    """Drop the cached answer after the user's admin record changed."""
    user.__dict__.pop(UNION_ADMIN_CACHE_ATTR, None)
    user.__dict__.pop(COFUNDER_STAFF_CACHE_ATTR, None)


def cofunder_staff_of(user: AbstractBaseUser | None) -> CoFunderStaff | None:
    """The user's co-funder (university) staff record, if any; cached on the user like
    ``union_admin_of``. Such a user has no union and sees no part of the union tree."""
    if user is None or not user.is_authenticated:
        return None
    if COFUNDER_STAFF_CACHE_ATTR in user.__dict__:
        return user.__dict__[COFUNDER_STAFF_CACHE_ATTR]
    staff = CoFunderStaff.objects.select_related("cofunder__program__owner_union").filter(user=user).first()
    user.__dict__[COFUNDER_STAFF_CACHE_ATTR] = staff
    return staff


def has_cofunder_step(program: Program) -> bool:
    """The programme's review ends with a co-funder (university) step after the union tiers."""
    return COFUNDER_TIER in (program.review_tiers or [])


def cofunder_for_school(*, program: Program, school: str) -> CoFunder | None:
    """The co-funder of ``program`` whose schools include ``school`` (the one that reviews
    and pays that school's students), or None."""
    # A programme has a handful of co-funders: read them, match here (SQLite, the demo's
    # database, has no JSON containment lookup).
    school = (school or "").strip()
    return next((c for c in CoFunder.objects.filter(program=program).order_by("pk") if school in c.schools), None)


def union_scope_of(user: AbstractBaseUser | None) -> Union | None:
    """The root of the subtree this user may see; None means nothing at all.

    Superusers are not special-cased into seeing everything: a deployment's superuser is
    an operator account, and it must be attached to a union like everyone else.
    """
    admin = union_admin_of(user)
    return admin.union if admin else None


def unions_visible_to(user: AbstractBaseUser | None):
    scope = union_scope_of(user)
    if scope is None:
        return Union.objects.none()
    return Union.objects.subtree_of(scope)


def user_has_role(user: AbstractBaseUser | None, *roles: str) -> bool:
    admin = union_admin_of(user)
    return admin is not None and admin.role in roles


def county_of(union: Union) -> Union | None:
    """The county/district federation above (or at) a union: pays matching money."""
    for ancestor in Union.objects.ancestors_of(union).order_by("-depth"):
        if ancestor.level == UnionLevel.COUNTY:
            return ancestor
    return None


# A programme names its review tiers by these keys, lowest first. The middle tier is
# whichever unit sits directly under the city: a county federation, an industry union,
# a large-enterprise union or the city-organs committee.
TIER_LEVELS: dict[str, tuple[str, ...]] = {
    "grassroots": (UnionLevel.GRASSROOTS,),
    "township": (UnionLevel.TOWNSHIP,),
    "county": (UnionLevel.COUNTY, UnionLevel.INDUSTRY, UnionLevel.ENTERPRISE, UnionLevel.ORGANS),
    "city": (UnionLevel.CITY,),
    "province": (UnionLevel.PROVINCE,),
}


class UnionRank(Protocol):
    """What the review chain needs of a union: a plain ``Union`` or a lighter row."""

    id: int
    level: str
    depth: int


def review_chain_pick[U: UnionRank](*, ancestors: Iterable[U], tiers: list[str]) -> list[U]:
    """The unions that review a worker whose union has these ancestors (itself included),
    lowest first.

    A tier the worker's branch of the tree does not have (no township above a big
    enterprise's union, say) is skipped; the programme's top tier is always present.
    """
    by_depth = sorted(ancestors, key=lambda u: u.depth, reverse=True)
    chain: list[U] = []
    for tier in tiers:
        levels = TIER_LEVELS.get(tier, (tier,))
        match = next((u for u in by_depth if u.level in levels), None)
        if match is not None and all(u.id != match.id for u in chain):
            chain.append(match)
    return chain


def review_chain_for(*, union: Union, tiers: list[str]) -> list[Union]:
    """The unions that review a worker of ``union``, lowest first (see ``review_chain_pick``)."""
    return review_chain_pick(ancestors=Union.objects.ancestors_of(union), tiers=tiers)
