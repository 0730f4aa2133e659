"""Polls and electorates for the votes tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from deliberation.models import Community, Member, Party, Unit, User
from tests.factories.base import (
    BuildingFactory,
    CommunityFactory,
    MemberFactory,
    OwnershipFactory,
    UnitFactory,
    UserFactory,
)
from votes import services
from votes.models import Electorate, Kind, Method, Poll, Rule


@dataclass
class OwnersEstate:
    """A small estate: single owners, a co-owned unit, a two-unit owner, an unsold unit."""

    community: Community
    staff: User
    owners: list[User] = field(default_factory=list)  # one per single-owner unit
    co_owners: tuple[User, User] | None = None  # both own ``co_unit``
    co_unit: Unit | None = None
    two_unit_owner: User | None = None
    tenant: User | None = None  # a resident member who owns nothing
    unsold: list[Unit] = field(default_factory=list)


def owners_estate(single_units: int = 6, area: str = "80.00") -> OwnersEstate:
    community = CommunityFactory()
    building = BuildingFactory(community=community)
    staff = UserFactory(is_staff=True)
    MemberFactory(community=community, user=staff, party=Party.COMMITTEE, is_council_member=True)
    estate = OwnersEstate(community=community, staff=staff)
    for _ in range(single_units):
        unit = UnitFactory(building=building, area_m2=Decimal(area))
        estate.owners.append(OwnershipFactory(unit=unit).member.user)
    co_unit = UnitFactory(building=building, area_m2=Decimal("95.50"))
    first = OwnershipFactory(unit=co_unit).member
    second = OwnershipFactory(unit=co_unit).member
    estate.co_owners = (first.user, second.user)
    estate.co_unit = co_unit
    two = MemberFactory(community=community)
    for _ in range(2):
        OwnershipFactory(unit=UnitFactory(building=building, area_m2=Decimal("60.25")), member=two)
    estate.two_unit_owner = two.user
    estate.tenant = MemberFactory(community=community).user
    estate.unsold = [
        UnitFactory(building=building, area_m2=Decimal("70.00"), unsold=True) for _ in range(2)
    ]
    return estate


def residents(community: Community, count: int) -> list[User]:
    return [
        MemberFactory(community=community, party=Party.RESIDENT, verified=True).user
        for _ in range(count)
    ]


def resident_poll(
    community: Community,
    *,
    actor: User | None = None,
    method: str = Method.SINGLE,
    rule: str = Rule.PLURALITY,
    open_now: bool = True,
    options: list[str] | None = None,
    **kwargs,
) -> Poll:
    poll = services.poll_create(
        community=community,
        question=kwargs.pop("question", "小区中心花园增设长椅的位置"),
        kind=Kind.DELIBERATIVE,
        electorate=kwargs.pop("electorate", Electorate.RESIDENTS),
        method=method,
        rule=rule,
        actor=actor,
        options=options if options is not None else ["东侧", "西侧", "南侧"],
        **kwargs,
    )
    if open_now:
        poll = services.poll_open(poll=poll, actor=actor)
    return poll


def owners_poll(
    estate: OwnersEstate, *, rule: str = Rule.OWNERS_ORDINARY, open_now: bool = True, **kwargs
) -> Poll:
    poll = services.poll_create(
        community=estate.community,
        question=kwargs.pop("question", "使用维修资金更换屋面防水"),
        kind=Kind.OWNERS,
        electorate=Electorate.OWNERS,
        method=kwargs.pop("method", Method.YESNO),
        rule=rule,
        actor=estate.staff,
        **kwargs,
    )
    if open_now:
        poll = services.poll_open(poll=poll, actor=estate.staff)
    return poll


def option_id(poll: Poll, index: int = 0) -> int:
    return list(poll.options.order_by("sort_order", "pk").values_list("pk", flat=True))[index]


def member_of(community: Community, user: User) -> Member:
    return Member.objects.get(community=community, user=user)


def committee_staff(community: Community) -> User:
    """A committee staff member of ``community`` with admin access (runs and counts votes)."""
    from django.contrib.auth.models import Permission

    user = UserFactory()
    MemberFactory(community=community, user=user, party=Party.COMMITTEE, is_council_member=True)
    user.user_permissions.add(
        Permission.objects.get(codename="access_admin", content_type__app_label="wagtailadmin")
    )
    return User.objects.get(pk=user.pk)
