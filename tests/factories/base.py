"""Shared factories for the community registry. Add-only: other areas build on these."""

from decimal import Decimal

import factory

from deliberation.models import Building, Community, Member, Ownership, Party, Unit, User


class CommunityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Community
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"测试社区{n}")
    slug = factory.Sequence(lambda n: f"community-{n}")
    district = "示范街道"


class BuildingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Building

    community = factory.SubFactory(CommunityFactory)
    name = factory.Sequence(lambda n: f"{n + 1}号楼")
    floors = 6


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit

    building = factory.SubFactory(BuildingFactory)
    number = factory.Sequence(lambda n: f"{(n % 6) + 1}{n:03d}")
    floor = factory.LazyAttribute(lambda o: int(o.number[0]))
    area_m2 = Decimal("88.50")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Sequence(lambda n: f"用户{n}")
    phone = factory.Sequence(lambda n: f"137{n:08d}")
    password = factory.PostGenerationMethodCall("set_password", "sifang-test-pass")

    @factory.post_generation
    def _save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class MemberFactory(factory.django.DjangoModelFactory):
    """A member of a community; ``party`` defaults to resident."""

    class Meta:
        model = Member

    community = factory.SubFactory(CommunityFactory)
    user = factory.SubFactory(UserFactory)
    party = Party.RESIDENT
    verified = True


class OwnershipFactory(factory.django.DjangoModelFactory):
    """An owner of a unit: the member belongs to the unit's community."""

    class Meta:
        model = Ownership

    unit = factory.SubFactory(UnitFactory)
    member = factory.SubFactory(
        MemberFactory, community=factory.SelfAttribute("..unit.building.community")
    )
