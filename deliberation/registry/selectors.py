"""Reads of the registry (members, households) that more than one caller needs."""

import re
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, Q
from django.utils.translation import gettext as _

from deliberation.models import (
    Building,
    Community,
    Member,
    Ownership,
    Party,
)


def household_unit_ids(*, community: Community, user: Any) -> list[int]:
    """The units the signed-in user owns in ``community`` (empty for non-owners)."""
    if not getattr(user, "is_authenticated", False):
        return []
    return list(
        Ownership.objects.filter(
            member__user=user, member__community=community, unit__building__community=community
        ).values_list("unit_id", flat=True)
    )


def member_by_phone(*, community: Community, phone: str) -> Member | None:
    """The community member with this phone number (staff entering a matter for them)."""
    phone = "".join(ch for ch in (phone or "") if ch.isdigit())
    if not phone:
        return None
    return (
        Member.objects.filter(community=community, user__phone__endswith=phone[-11:])
        .select_related("user")
        .first()
    )


def members_by_user(*, community: Community, user_ids: set[int]) -> list[Member]:
    """The community's members among ``user_ids``, with their user (one query)."""
    return list(
        Member.objects.filter(community=community, user_id__in=user_ids).select_related("user")
    )


@dataclass(frozen=True)
class ResidentHit:
    """A resident member found by staff, with the units they own (``3号楼-201``)."""

    member: Member
    units: tuple[str, ...]

    @property
    def label(self) -> str:
        phone = self.member.user.phone or ""
        parts = [str(self.member.user), *self.units]
        if phone:
            parts.append(_("尾号%(tail)s") % {"tail": phone[-4:]})
        return " · ".join(parts)


_UNIT_PATTERN = re.compile(r"^(?P<building>.+?(?:号楼|栋|幢|楼|座))-?(?P<number>[0-9A-Za-z]+)$")


def resident_lookup(*, community: Community, query: str, limit: int = 10) -> list[ResidentHit]:
    """Residents of ``community`` matching a unit (``3号楼-201``, ``3号楼201``, ``201``), a name
    or a phone number (at least 4 digits, matched at the end). Two queries."""
    needle = "".join((query or "").split()).replace("－", "-").replace("—", "-")
    if not needle:
        return []
    match = Q(user__display_name__icontains=needle) | Q(user__first_name__icontains=needle)
    match |= Q(user__last_name__icontains=needle)
    digits = "".join(ch for ch in needle if ch.isdigit())
    if len(digits) >= 4 and digits == needle:
        match |= Q(user__phone__endswith=digits)
    unit = _UNIT_PATTERN.match(needle)
    if unit:
        match |= Q(
            ownerships__unit__building__name=unit["building"],
            ownerships__unit__number=unit["number"],
        )
    elif "-" in needle:
        building, _sep, number = needle.rpartition("-")
        match |= Q(ownerships__unit__building__name=building, ownerships__unit__number=number)
    else:
        match |= Q(ownerships__unit__number=needle)
    ids = list(
        Member.objects.filter(match, community=community, party=Party.RESIDENT)
        .values_list("pk", flat=True)
        .distinct()[: limit + 1]
    )
    members = (
        Member.objects.filter(pk__in=ids[:limit])
        .select_related("user")
        .prefetch_related(
            Prefetch(
                "ownerships",
                queryset=Ownership.objects.filter(
                    unit__building__community=community
                ).select_related("unit__building"),
            )
        )
        .order_by("user__display_name", "pk")
    )
    return [
        ResidentHit(member, tuple(str(o.unit) for o in member.ownerships.all()))
        for member in members
    ]


def resident_get(*, community: Community, member_id: int) -> Member | None:
    """The resident member ``member_id`` of ``community`` (staff picked them from a lookup)."""
    return (
        Member.objects.filter(pk=member_id, community=community, party=Party.RESIDENT)
        .select_related("user")
        .first()
    )


_BUILDING_NUMBER = re.compile(r"([0-9A-Za-z]+)\s*(?:号楼|号|栋|幢|#|楼)")


def building_by_code(*, community: Community, code: str) -> Building | None:
    """The building of ``community`` whose code (or, failing that, name) is ``code`` exactly."""
    code = (code or "").strip()
    if not code:
        return None
    buildings = Building.objects.filter(community=community).select_related("grid")
    return (
        buildings.filter(code__iexact=code).first() or buildings.filter(name__iexact=code).first()
    )


def building_for_text(*, community: Community, text: str) -> Building | None:
    """The one building of ``community`` a location text names, or ``None`` (none or several).

    Tries, in order: the whole text as a code or name; a building name inside the text (the
    longest first, so "12号楼" wins over "2号楼"); a number before 号楼/栋/幢/# matched against
    the codes ("3号楼201" → code "3").
    """
    text = (text or "").strip()
    if not text:
        return None
    exact = building_by_code(community=community, code=text)
    if exact is not None:
        return exact
    buildings = list(Building.objects.filter(community=community).select_related("grid"))
    named = [b for b in buildings if b.name and b.name in text]
    if named:
        longest = max(len(b.name) for b in named)
        named = [b for b in named if len(b.name) == longest]
        return named[0] if len(named) == 1 else None
    numbers = {m.group(1).upper() for m in _BUILDING_NUMBER.finditer(text)}
    coded = [b for b in buildings if b.code and b.code.upper() in numbers]
    return coded[0] if len(coded) == 1 else None
