"""Reads of a campaign: progress overall and per building, the not-yet-voted list, entries,
and the alerts. Each is a fixed number of SQL queries whatever the number of units.

Progress counts owners who *took part* (a ``Participation`` row: confirmed ballots of every
channel, secret polls included); pending staff entries are shown apart and count nowhere.
Headcount is per owner (voter key; every owners' voter has headcount 1, DESIGN.md "Votes"),
area per unit. Per building, an owner with units in two buildings appears in both.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext

from deliberation.models import Ownership
from votes.counting import Threshold, area_str, participation_thresholds, percent_str
from votes.models import (
    BallotChannel,
    BallotEntry,
    CampaignUnit,
    CanvassAssignment,
    EntryStatus,
    Participation,
    PhoneCall,
    Poll,
    ProxyAuthorisation,
)

ZERO = Decimal("0.00")
# How old the campaign view's numbers may be (seconds): every open view polls them.
PROGRESS_FRESH_SECONDS = 2
# A copy older than that is still served while one request recomputes it (at most this old).
PROGRESS_STALE_SECONDS = 30


def _annotated(poll: Poll) -> QuerySet[CampaignUnit]:
    voted = Participation.objects.filter(poll_id=poll.pk, voter_key=OuterRef("voter_key"))
    pending = BallotEntry.objects.filter(
        poll_id=poll.pk, voter_key=OuterRef("voter_key"), status=EntryStatus.PENDING
    )
    return CampaignUnit.objects.filter(poll_id=poll.pk).annotate(
        voted=Exists(voted), pending=Exists(pending)
    )


def _share(part: int | Decimal, whole: int | Decimal) -> str:
    if not whole:
        return "—"
    return percent_str(Fraction(part) / Fraction(whole)) + "%"


@dataclass(frozen=True)
class BuildingProgress:
    building_id: int
    name: str
    units: int
    voted_units: int
    pending_units: int
    owners: int
    voted_owners: int
    area: Decimal
    voted_area: Decimal

    @property
    def share_owners(self) -> str:
        return _share(self.voted_owners, self.owners)

    @property
    def share_area(self) -> str:
        return _share(self.voted_area, self.area)

    @property
    def reached(self) -> bool:
        """Both 2/3 marks reached within this building (a guide for canvassing only)."""
        return 3 * self.voted_owners >= 2 * self.owners and 3 * self.voted_area >= 2 * self.area

    def to_dict(self) -> dict[str, Any]:
        return {
            "building": self.building_id,
            "name": self.name,
            "units": self.units,
            "voted_units": self.voted_units,
            "pending_units": self.pending_units,
            "owners": self.owners,
            "voted_owners": self.voted_owners,
            "area": area_str(self.area),
            "voted_area": area_str(self.voted_area),
            "share_owners": self.share_owners,
            "share_area": self.share_area,
            "reached": self.reached,
        }


@dataclass(frozen=True)
class Alert:
    """One person (signer ID, canvasser account, proxy holder) behind many owners' ballots."""

    kind: str  # "signer", "canvasser", "proxy"
    who: str
    owners: int


@dataclass(frozen=True)
class Progress:
    ht: int
    at: Decimal
    hp: int
    ap: Decimal
    pending: int
    head: Threshold
    area: Threshold
    need_owners: int
    need_area: Decimal
    buildings: list[BuildingProgress]
    alerts: list[Alert] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ht": self.ht,
            "at": area_str(self.at),
            "hp": self.hp,
            "ap": area_str(self.ap),
            "pending": self.pending,
            "head": {"met": self.head.met, "text": self.head.text},
            "area": {"met": self.area.met, "text": self.area.text},
            "share_owners": _share(self.hp, self.ht),
            "share_area": _share(self.ap, self.at),
            "need_owners": self.need_owners,
            "need_area": area_str(self.need_area),
            "buildings": [b.to_dict() for b in self.buildings],
            "alerts": [{"kind": a.kind, "who": a.who, "owners": a.owners} for a in self.alerts],
        }


def campaign_progress(poll: Poll) -> Progress:
    """Participation now against both 2/3 marks, overall and per building, with the alerts.

    Ht and At are the totals frozen at open; Hp and Ap come from one aggregate query.
    """
    units = _annotated(poll)
    overall = units.aggregate(
        hp=Count("voter_key", distinct=True, filter=Q(voted=True)),
        ap=Coalesce(Sum("area", filter=Q(voted=True)), ZERO),
    )
    ht = int(poll.total_headcount or 0)
    at = Decimal(poll.total_area or 0)
    hp, ap = int(overall["hp"]), Decimal(overall["ap"])
    head, area, need_head, need_cents = participation_thresholds(
        ht=ht, at=int(at * 100), hp=hp, ap=int(ap * 100)
    )
    rows = (
        units.values("building_id", "building__name")
        .annotate(
            units=Count("pk"),
            voted_units=Count("pk", filter=Q(voted=True)),
            pending_units=Count("pk", filter=Q(pending=True, voted=False)),
            owners=Count("voter_key", distinct=True),
            voted_owners=Count("voter_key", distinct=True, filter=Q(voted=True)),
            area_sum=Coalesce(Sum("area"), ZERO),
            voted_area=Coalesce(Sum("area", filter=Q(voted=True)), ZERO),
        )
        .order_by("building__name")
    )
    buildings = [
        BuildingProgress(
            building_id=row["building_id"],
            name=row["building__name"],
            units=row["units"],
            voted_units=row["voted_units"],
            pending_units=row["pending_units"],
            owners=row["owners"],
            voted_owners=row["voted_owners"],
            area=Decimal(row["area_sum"]),
            voted_area=Decimal(row["voted_area"]),
        )
        for row in rows
    ]
    return Progress(
        ht=ht,
        at=at,
        hp=hp,
        ap=ap,
        pending=sum(b.pending_units for b in buildings),
        head=head,
        area=area,
        need_owners=need_head,
        need_area=(Decimal(need_cents) / 100).quantize(Decimal("0.01")),
        buildings=buildings,
        alerts=campaign_alerts(poll),
    )


def campaign_progress_shared(poll: Poll) -> tuple[Progress, float]:
    """``campaign_progress`` computed at most once per ``PROGRESS_FRESH_SECONDS`` per poll
    across processes (Django's cache: Redis in production), and when it was computed (epoch).

    Hundreds of committee staff watch one campaign: each open view polls every few seconds, so
    computing per request cost one aggregation over every unit per request, and under a ballot
    burst the views queued behind each other for seconds (docs/performance.md). When the copy is
    older than the window, one request (``cache.add`` lock) recomputes it while the others get
    the copy they have, at most ``PROGRESS_STALE_SECONDS`` old; without a copy, each computes.
    """
    opened = poll.opened_at.timestamp() if poll.opened_at else 0
    key = f"campaign:progress-shared:{poll.pk}:{opened}"
    held = cache.get(key)
    now = time.time()
    if held is not None:
        computed_at, progress = held
        if now - computed_at < PROGRESS_FRESH_SECONDS:
            return progress, computed_at
        if not cache.add(f"{key}:lock", 1, PROGRESS_STALE_SECONDS):
            return progress, computed_at
    progress = campaign_progress(poll)
    computed_at = time.time()
    cache.set(key, (computed_at, progress), PROGRESS_STALE_SECONDS)
    cache.delete(f"{key}:lock")
    return progress, computed_at


def campaign_alerts(poll: Poll, threshold: int | None = None) -> list[Alert]:
    """Who accounts for ballots of more than ``threshold`` owners (default
    ``SIFANG_CAMPAIGN_ALERT_UNITS``): one signer ID on entries, one canvasser account on
    door-to-door entries, one proxy holder (entries and registered proxies). Rejected entries
    do not count. Three grouped queries (one owner with several units counts once, so a
    person's own home never adds up)."""
    limit = settings.SIFANG_CAMPAIGN_ALERT_UNITS if threshold is None else threshold
    live = BallotEntry.objects.filter(poll_id=poll.pk).exclude(status=EntryStatus.REJECTED)
    alerts: list[Alert] = []
    signers = (
        live.exclude(signer_id_hash="")
        .values("signer_id_hash", "signer_id_tail")
        .annotate(owners=Count("voter_key", distinct=True))
        .filter(owners__gt=limit)
        .order_by("-owners")
    )
    for row in signers:
        alerts.append(Alert("signer", "****" + row["signer_id_tail"], row["owners"]))
    canvassers = (
        live.filter(channel=BallotChannel.DOOR)
        .values("entered_by_id", "entered_by__display_name", "entered_by__username")
        .annotate(owners=Count("voter_key", distinct=True))
        .filter(owners__gt=limit)
        .order_by("-owners")
    )
    for entered in canvassers:
        who = entered["entered_by__display_name"] or entered["entered_by__username"]
        alerts.append(Alert("canvasser", who, entered["owners"]))
    holders: dict[str, set[str]] = {}
    proxy_rows = list(
        live.filter(channel=BallotChannel.PROXY)
        .exclude(proxy_name="")
        .values_list("proxy_name", "voter_key")
    ) + list(
        ProxyAuthorisation.objects.filter(poll_id=poll.pk)
        .exclude(proxy_name="")
        .values_list("proxy_name", "voter_key")
    )
    for name, key in proxy_rows:
        holders.setdefault(name.strip(), set()).add(key)
    for name, keys in sorted(holders.items(), key=lambda kv: -len(kv[1])):
        if len(keys) > limit:
            alerts.append(Alert("proxy", name, len(keys)))
    return alerts


@dataclass(frozen=True)
class WaitingUnit:
    """A unit whose owner has not taken part: for canvassing and calls (never a choice)."""

    unit_id: int
    building_id: int
    building: str
    number: str
    floor: int
    area: Decimal
    code: str
    pending: bool
    owners: list[str]
    phones: list[str]
    calls: int


def _mask(name: str) -> str:
    return name[:1] + "*" * max(1, len(name) - 1) if name else ""


def not_voted_units(
    poll: Poll, *, building_ids: list[int] | None = None, with_contacts: bool = False
) -> list[WaitingUnit]:
    """Units whose owner has not voted yet, by building and unit number; three queries.

    ``with_contacts``: full owner names and phone numbers (committee staff calling owners);
    otherwise names are masked to the first character (printed lists, canvassers).
    """
    units = _annotated(poll).filter(voted=False).select_related("unit", "building")  # type: ignore[misc]
    if building_ids is not None:
        units = units.filter(building_id__in=building_ids)
    rows = list(units.order_by("building__name", "unit__floor", "unit__number"))
    owners: dict[int, list[tuple[str, str]]] = {}
    for unit_id, name, username, phone in Ownership.objects.filter(
        unit_id__in=[r.unit_id for r in rows]
    ).values_list(
        "unit_id", "member__user__display_name", "member__user__username", "member__user__phone"
    ):
        owners.setdefault(unit_id, []).append((name or username, phone or ""))
    calls: dict[int, int] = {}
    if with_contacts:
        calls = dict(
            PhoneCall.objects.filter(poll_id=poll.pk, unit_id__in=[r.unit_id for r in rows])
            .values("unit_id")
            .annotate(n=Count("pk"))
            .values_list("unit_id", "n")
        )
    out = []
    for row in rows:
        people = owners.get(row.unit_id, [])
        out.append(
            WaitingUnit(
                unit_id=row.unit_id,
                building_id=row.building_id,
                building=row.building.name,
                number=row.unit.number,
                floor=row.unit.floor,
                area=row.area,
                code=row.code,
                pending=bool(getattr(row, "pending", False)),
                owners=[p[0] if with_contacts else _mask(p[0]) for p in people],
                phones=[p[1] for p in people if p[1]] if with_contacts else [],
                calls=calls.get(row.unit_id, 0),
            )
        )
    return out


def unit_by_code(poll: Poll, code: str) -> CampaignUnit | None:
    """The unit a printed ballot's code names, in this poll only."""
    if not code:
        return None
    return (
        CampaignUnit.objects.filter(poll_id=poll.pk, code=code)
        .select_related("unit", "building")
        .first()
    )


def campaign_unit(poll: Poll, unit_id: int) -> CampaignUnit | None:
    return (
        CampaignUnit.objects.filter(poll_id=poll.pk, unit_id=unit_id)
        .select_related("unit", "building")
        .first()
    )


def entries(poll: Poll, *, status: str | None = None, limit: int = 200) -> list[BallotEntry]:
    """Staff entries, newest first, with who entered and who confirmed (two queries)."""
    rows = BallotEntry.objects.filter(poll_id=poll.pk).select_related(
        "unit__building", "entered_by", "decided_by", "call"
    )
    if status:
        rows = rows.filter(status=status)
    return list(rows.order_by("-entered_at", "-pk")[:limit])


def entry_counts(poll: Poll) -> dict[str, int]:
    counts = dict(
        BallotEntry.objects.filter(poll_id=poll.pk)
        .values("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    return {status: counts.get(status, 0) for status in EntryStatus.values}


def assignments(poll: Poll) -> list[CanvassAssignment]:
    return list(
        CanvassAssignment.objects.filter(poll_id=poll.pk)
        .select_related("user", "building")
        .order_by("building__name", "user__username")
    )


def campaign_units_for_print(poll: Poll, building_id: int) -> list[CampaignUnit]:
    """Every unit of a building with its code (printed ballots), by floor and number."""
    return list(
        CampaignUnit.objects.filter(poll_id=poll.pk, building_id=building_id)
        .select_related("unit", "building")
        .order_by("unit__floor", "unit__number")
    )


@dataclass(frozen=True)
class PublicEntry:
    """One staff-entered ballot that counts, as the public result shows it: never a choice."""

    unit: str  # empty when the poll does not publish its ballot list
    channel: str
    entered_by: str
    confirmed_by: str  # empty: the poll's rules waived the second person (phone ballots)
    confirmed_at: Any


@dataclass(frozen=True)
class PublicEntries:
    """Staff-entered ballots of an owners' poll for its public result: how many per channel,
    and per entry who entered and who confirmed it (staff, by name and role)."""

    counts: list[tuple[str, str, int]]  # (channel, label, confirmed entries)
    rows: list[PublicEntry]
    show_units: bool
    pending: int

    @property
    def total(self) -> int:
        return sum(n for _c, _l, n in self.counts)


def _staff_label(user: Any, role: str) -> str:
    return f"{user}({role})" if user is not None else ""


def public_entries(poll: Poll, *, show_units: bool) -> PublicEntries:
    """The confirmed staff entries of ``poll`` (two queries whatever their number).

    ``show_units``: list each entry's unit, only where the poll publishes its ballot list
    (units are who took part; a poll that publishes aggregates only keeps them to itself).
    The choice is never part of it (a named poll publishes choices in its declared ballot
    list, without staff names). ``pending``: entries never confirmed, which count nowhere.
    """
    rows = list(
        BallotEntry.objects.filter(poll_id=poll.pk, status=EntryStatus.CONFIRMED)
        .select_related("unit__building", "entered_by", "decided_by")
        .order_by("decided_at", "pk")
    )
    pending = BallotEntry.objects.filter(poll_id=poll.pk, status=EntryStatus.PENDING).count()
    counted: dict[str, int] = {}
    out: list[PublicEntry] = []
    for entry in rows:
        counted[entry.channel] = counted.get(entry.channel, 0) + 1
        entered_role = (
            gettext("扫楼人员") if entry.channel == BallotChannel.DOOR else gettext("社区工作人员")
        )
        out.append(
            PublicEntry(
                unit=str(entry.unit) if show_units and entry.unit is not None else "",
                channel=str(BallotChannel(entry.channel).label),
                entered_by=_staff_label(entry.entered_by, entered_role),
                confirmed_by=_staff_label(entry.decided_by, gettext("社区工作人员")),
                confirmed_at=entry.decided_at,
            )
        )
    counts = [
        (str(channel.value), str(channel.label), counted.get(channel, 0))
        for channel in (
            BallotChannel.PAPER,
            BallotChannel.DOOR,
            BallotChannel.PROXY,
            BallotChannel.PHONE,
        )
    ]
    return PublicEntries(counts=counts, rows=out, show_units=show_units, pending=pending)
