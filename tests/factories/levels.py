"""Levels factories: a district and street over communities, grids with their posts."""

from __future__ import annotations

import factory

from deliberation.models import (
    Building,
    Community,
    District,
    Grid,
    GridRole,
    GridRoleKind,
    Street,
    StreetStaff,
    User,
)
from tests.factories.base import BuildingFactory, CommunityFactory, UserFactory


class DistrictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = District
        django_get_or_create = ("code",)

    name = factory.Sequence(lambda n: f"测试区{n}")
    code = factory.Sequence(lambda n: f"district-{n}")


class StreetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Street
        django_get_or_create = ("code",)

    district = factory.SubFactory(DistrictFactory)
    name = factory.Sequence(lambda n: f"测试街道{n}")
    code = factory.Sequence(lambda n: f"street-{n}")
    hotline = "0571-12345"


class GridFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Grid

    community = factory.SubFactory(CommunityFactory)
    name = factory.Sequence(lambda n: f"第{n + 1}网格")
    code = factory.Sequence(lambda n: f"G{n + 1}")
    box_location = "小区东门"


def street_staff(street: Street, user: User | None = None) -> User:
    """A street command-centre staff member with admin access (the street role group)."""
    from deliberation.registry.services import street_staff_set

    user = user or UserFactory()
    street_staff_set(street=street, user=user, title="指挥中心")
    return User.objects.get(pk=user.pk)


def grid_worker(grid: Grid, user: User | None = None, phone: str = "13800001111") -> User:
    user = user or UserFactory()
    GridRole.objects.create(grid=grid, user=user, kind=GridRoleKind.WORKER, phone=phone)
    return user


def coded_building(community: Community, grid: Grid | None, code: str, **kwargs) -> Building:  # type: ignore[no-untyped-def]
    return BuildingFactory(community=community, grid=grid, code=code, name=f"{code}号楼", **kwargs)


__all__ = [
    "DistrictFactory",
    "GridFactory",
    "StreetFactory",
    "StreetStaff",
    "coded_building",
    "grid_worker",
    "street_staff",
]
