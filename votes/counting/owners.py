"""Owner voters: units grouped per SPC interpretation on 建筑物区分所有权, arts. 8–9."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from fractions import Fraction

from django.utils.translation import gettext as _

from votes.counting.formatting import area_str
from votes.counting.spec import (
    DEVELOPER_KEY,
    CountingError,
    UnitRecord,
    Voter,
    checked_int,
    to_area,
)


def build_owner_voters(
    units: Iterable[UnitRecord], ownerships: Iterable[tuple[int, int]]
) -> list[Voter]:
    """Group units into owner voters (SPC interpretation arts. 8–9).

    ``ownerships`` are ``(unit_id, owner_id)`` pairs. Sold units sharing an owner, directly or
    through co-owners, form one voter (union-find): headcount 1, areas summed, ``user_ids``
    all their owners. A sold unit with no recorded owner is its own voter (only staff can
    enter its ballot). All unsold units form one voter, the developer (key ``dev``), whatever
    owners are recorded on them; those owners become its ``user_ids``. Other keys are
    ``u<smallest unit id>``. Voters come in the order of their first unit, the developer last.
    Raises ``CountingError`` for a duplicate unit or an ownership of an unknown unit.
    """
    unit_list = list(units)
    by_id: dict[int, UnitRecord] = {}
    for unit in unit_list:
        checked_int(unit.id, "unit id")
        if unit.id in by_id:
            raise CountingError(f"unit {unit.id} appears twice")
        to_area(unit.area)
        by_id[unit.id] = unit
    owners_of: dict[int, set[int]] = {}
    for unit_id, owner_id in ownerships:
        if unit_id not in by_id:
            raise CountingError(f"ownership of unknown unit {unit_id}")
        owners_of.setdefault(unit_id, set()).add(owner_id)

    parent = {u.id: u.id for u in unit_list if not u.unsold}

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    first_unit_of_owner: dict[int, int] = {}
    for unit in unit_list:
        if unit.unsold:
            continue
        for owner in sorted(owners_of.get(unit.id, ())):
            if owner in first_unit_of_owner:
                a, b = find(first_unit_of_owner[owner]), find(unit.id)
                if a != b:
                    parent[max(a, b)] = min(a, b)
            else:
                first_unit_of_owner[owner] = unit.id

    groups: dict[int, list[UnitRecord]] = {}
    for unit in unit_list:
        if not unit.unsold:
            groups.setdefault(find(unit.id), []).append(unit)
    voters = [_group_voter(f"u{min(u.id for u in g)}", g, owners_of) for g in groups.values()]
    unsold = [u for u in unit_list if u.unsold]
    if unsold:
        developer = _group_voter(DEVELOPER_KEY, unsold, owners_of)
        label = _("开发商未售出或未交付的房屋(%(count)s 套)") % {"count": len(unsold)}
        voters.append(
            Voter(
                key=developer.key,
                headcount=1,
                area=developer.area,
                label=label,
                user_ids=developer.user_ids,
                units=developer.units,
            )
        )
    return voters


def _group_voter(key: str, units: Sequence[UnitRecord], owners_of: Mapping[int, set[int]]) -> Voter:
    area = sum((to_area(u.area) for u in units), Fraction(0))
    owner_ids = sorted({o for u in units for o in owners_of.get(u.id, ())})
    return Voter(
        key=key,
        headcount=1,
        area=Decimal(area_str(area)),
        label="、".join(u.label or str(u.id) for u in units),
        user_ids=tuple(owner_ids),
        units=tuple(units),
    )
