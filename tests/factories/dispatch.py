"""Dispatch factories: a street over communities, responsible units with staff, a matter ready to
dispatch, and the world the dispatch tests share."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import factory
from django.utils import timezone

from deliberation.models import (
    Community,
    District,
    Member,
    Party,
    Proposal,
    ResponsibleUnit,
    Street,
    StreetStaff,
    UnitKind,
    UnitStaff,
    User,
)
from deliberation.proposals.services import proposal_submit
from tests.factories.base import CommunityFactory, MemberFactory, UserFactory
from tests.factories.proposals import staff


class ResponsibleUnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ResponsibleUnit
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"测试责任单位{n}")
    kind = UnitKind.WATER

    @factory.post_generation
    def serves(obj, create, extracted, **kwargs):  # type: ignore[no-untyped-def]
        if create and extracted:
            obj.communities.set(extracted)


def street_with(*communities: Community, code: str = "test-street") -> Street:
    district, _ = District.objects.get_or_create(code="test-district", defaults={"name": "测试区"})
    street, _ = Street.objects.get_or_create(
        code=code, defaults={"district": district, "name": f"{code}街道"}
    )
    for community in communities:
        community.street = street
        community.save(update_fields=["street"])
    return street


def street_staff(street: Street, **kwargs) -> User:  # type: ignore[no-untyped-def]
    user = UserFactory(**kwargs)
    StreetStaff.objects.create(street=street, user=user, title="指挥中心")
    return user


def unit_staff(unit: ResponsibleUnit, **kwargs) -> User:  # type: ignore[no-untyped-def]
    user = UserFactory(**kwargs)
    UnitStaff.objects.create(unit=unit, user=user, title="调度员")
    return user


@dataclass
class DispatchWorld:
    community: Community
    other: Community  # same street, not served by ``water``
    street: Street
    committee: User
    street_user: User
    author: Member
    water: ResponsibleUnit
    power: ResponsibleUnit
    far: ResponsibleUnit  # serves only ``other``
    water_staff: User
    water_staff2: User
    power_staff: User
    far_staff: User
    proposal: Proposal
    now: dt.datetime


def dispatch_world() -> DispatchWorld:
    community = CommunityFactory(name="派件社区", slug="dispatch-home")
    other = CommunityFactory(name="邻近社区", slug="dispatch-other")
    street = street_with(community, other)
    committee = staff(community).user
    author = MemberFactory(community=community, party=Party.RESIDENT)
    water = ResponsibleUnitFactory(name="自来水公司", kind=UnitKind.WATER, serves=[community])
    power = ResponsibleUnitFactory(name="供电公司", kind=UnitKind.POWER, serves=[community, other])
    far = ResponsibleUnitFactory(name="远方物业", kind=UnitKind.PROPERTY, serves=[other])
    proposal = proposal_submit(
        community=community,
        author=author,
        title="3号楼水管漏水",
        body="楼道水管漏水",
        category="facilities",
    )
    return DispatchWorld(
        community=community,
        other=other,
        street=street,
        committee=committee,
        street_user=street_staff(street, display_name="街道调度"),
        author=author,
        water=water,
        power=power,
        far=far,
        water_staff=unit_staff(water, display_name="水司张工"),
        water_staff2=unit_staff(water, display_name="水司李工"),
        power_staff=unit_staff(power, display_name="电力王工"),
        far_staff=unit_staff(far, display_name="远方赵经理"),
        proposal=proposal,
        now=timezone.now().replace(microsecond=0),
    )
