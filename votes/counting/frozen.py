"""Adapters for the stored forms: ``Poll.frozen_spec``, ``Poll.frozen_electorate`` and ballot
rows (used by ``votes.tally`` and ``votes.electorate``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from votes.counting.counter import count
from votes.counting.formatting import area_str
from votes.counting.owners import build_owner_voters
from votes.counting.result import Result
from votes.counting.spec import (
    CastBallot,
    CountingError,
    PollSpec,
    UnitRecord,
    Voter,
    checked_int,
    to_area,
)


def owner_voters_frozen(
    *, units: Iterable[Any], owners: Mapping[int, Sequence[int]]
) -> list[dict[str, Any]]:
    """``build_owner_voters`` on unit objects (``pk``, ``area_m2``, ``unsold``,
    ``area_source``, ``str()``) and ``{unit_id: [owner user ids]}``; returns the frozen JSON
    form ``{"key", "headcount", "area", "user_ids", "label", "units"}``."""
    records = [
        UnitRecord(
            id=u.pk,
            area=u.area_m2,
            unsold=bool(u.unsold),
            label=str(u),
            area_source=str(getattr(u, "area_source", "") or ""),
        )
        for u in units
    ]
    pairs = [(unit_id, user_id) for unit_id, ids in owners.items() for user_id in ids]
    return [voter_to_frozen(v) for v in build_owner_voters(records, pairs)]


def voter_to_frozen(voter: Voter) -> dict[str, Any]:
    """``voter`` in the frozen JSON form (areas as ``"1234.50"`` strings)."""
    return {
        "key": voter.key,
        "headcount": voter.headcount,
        "area": area_str(to_area(voter.area)),
        "user_ids": list(voter.user_ids),
        "label": voter.label,
        "units": [
            {
                "id": u.id,
                "label": u.label,
                "area": area_str(to_area(u.area)),
                "area_source": u.area_source,
            }
            for u in voter.units
        ],
    }


def _decimal(value: Any) -> Decimal:
    """A stored area as ``Decimal``; floats are refused (they cannot hold 0.01 m² exactly)."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float | bool):
        raise CountingError(f"area must be a Decimal or a string, never a float: {value!r}")
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise CountingError(f"area {value!r} is not a number") from exc


def voters_from_frozen(electorate: Iterable[Mapping[str, Any]]) -> list[Voter]:
    """``Poll.frozen_electorate`` as ``Voter``s (without their units; counting needs none)."""
    return [
        Voter(
            key=str(v["key"]),
            headcount=checked_int(v.get("headcount", 1), "headcount"),
            area=_decimal(v.get("area", "0.00")),
            label=str(v.get("label", "")),
            user_ids=tuple(int(u) for u in v.get("user_ids", [])),
        )
        for v in electorate
    ]


def count_frozen(
    *,
    spec: Mapping[str, Any],
    electorate: Sequence[Mapping[str, Any]],
    ballots: Iterable[Sequence[Any]],
    totals: tuple[int, Decimal] | None = None,
) -> Result:
    """Count from stored forms: ``Poll.frozen_spec``, ``Poll.frozen_electorate`` and ballot rows
    ``(seq, voter_key, choice, headcount, area, channel)``."""
    cast = [
        CastBallot(
            voter_key=voter_key,
            choice=choice,
            headcount=headcount,
            area=_decimal(area),
            channel=channel or "",
            seq=seq,
        )
        for seq, voter_key, choice, headcount, area, channel in ballots
    ]
    return count(PollSpec.from_frozen(spec), voters_from_frozen(electorate), cast, totals=totals)
