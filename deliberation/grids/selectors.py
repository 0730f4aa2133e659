"""Reads of the grid level: the grids a person enters for, visit logs, contact-card rows."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from deliberation import scope
from deliberation.models import (
    Building,
    Community,
    Grid,
    GridRole,
    Proposal,
    Unit,
    VisitLog,
)
from deliberation.scope import GRID_WORKER_KINDS, AnyUser


def grids_for_intake(user: AnyUser, community: Community) -> QuerySet[Grid]:
    """The grids of ``community`` the user enters box rounds and visits for: the grids they work
    (grid leader or worker), or every grid of the community for its committee."""
    grids = Grid.objects.filter(community=community).order_by("code")
    if scope.is_committee_member(user, community):
        return grids
    return grids.filter(pk__in=scope.worker_grids(user).values("pk"))


def visit_logs(grids: QuerySet[Grid], *, limit: int = 50) -> list[VisitLog]:
    """The latest visit-log entries of ``grids`` with their grid, building and matter."""
    return list(
        VisitLog.objects.filter(grid__in=grids)
        .select_related("grid", "building", "proposal")
        .order_by("-visited_on", "-pk")[:limit]
    )


def buildings_of_grids(grids: QuerySet[Grid]) -> list[Building]:
    return list(Building.objects.filter(grid__in=grids).select_related("grid").order_by("name"))


@dataclass(frozen=True)
class CardWorker:
    post: str  # 网格长 or 网格员
    name: str
    phone: str


@dataclass(frozen=True)
class ContactCard:
    """One household's 民情联系卡: its unit, the grid, the grid's workers, the hotlines."""

    unit: Unit
    grid: Grid | None
    workers: tuple[CardWorker, ...]
    community_hotline: str
    street_hotline: str


def contact_cards(building: Building) -> list[ContactCard]:
    """One card per unit of ``building`` (three queries, whatever its size)."""
    grid = building.grid
    workers: tuple[CardWorker, ...] = ()
    if grid is not None:
        roles = (
            GridRole.objects.filter(grid=grid, kind__in=GRID_WORKER_KINDS)
            .select_related("user")
            .order_by("kind", "pk")
        )
        workers = tuple(
            CardWorker(
                role.get_kind_display(), str(role.user), role.phone or (role.user.phone or "")
            )
            for role in roles
        )
    community = building.community
    street = community.street
    street_hotline = street.hotline if street is not None else ""
    units = Unit.objects.filter(building=building).order_by("floor", "number")
    return [
        ContactCard(unit, grid, workers, community_hotline(community), street_hotline)
        for unit in units
    ]


def community_hotline(community: Community) -> str:
    """The number residents call: the committee's hotline setting, else the street's."""
    if community.hotline:
        return community.hotline
    return community.street.hotline if community.street is not None else ""


def proposal_for_receipt(*, community: Community, pk: int) -> Proposal | None:
    return (
        Proposal.objects.filter(community=community, pk=pk)
        .select_related("community", "grid", "building", "community__street")
        .first()
    )
