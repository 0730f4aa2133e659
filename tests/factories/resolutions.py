"""Factories for the resolution side: a proposal to decide, a resolution, staff and residents."""

import datetime as dt

import factory
from django.utils import timezone

from deliberation.models import (
    Category,
    Party,
    Proposal,
    ProposalStatus,
    Resolution,
    ResolutionStatus,
)

from .base import CommunityFactory, MemberFactory


class DecidedProposalFactory(factory.django.DjangoModelFactory):
    """A published proposal that has reached a decision."""

    class Meta:
        model = Proposal

    community = factory.SubFactory(CommunityFactory)
    title = factory.Sequence(lambda n: f"议题{n}:修缮车棚")
    body = "车棚顶棚漏雨,请求修缮。"
    category = Category.FACILITIES
    party = Party.RESIDENT
    author = factory.SubFactory(MemberFactory, community=factory.SelfAttribute("..community"))
    status = ProposalStatus.DECIDED
    responsible_party = Party.PROPERTY
    live = True


class ResolutionFactory(factory.django.DjangoModelFactory):
    """An in-progress resolution (built directly; the services are tested separately)."""

    class Meta:
        model = Resolution

    proposal = factory.SubFactory(DecidedProposalFactory)
    community = factory.SelfAttribute("proposal.community")
    decision = factory.Sequence(lambda n: f"决议{n}:由物业在一个月内完成修缮")
    responsible_party = Party.PROPERTY
    deadline = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=30))
    status = ResolutionStatus.IN_PROGRESS
    decided_at = factory.LazyFunction(timezone.now)


def staff_member(community, party=Party.PROPERTY, **kwargs):
    """A staff member of ``party`` in ``community``."""
    return MemberFactory(community=community, party=party, **kwargs)


def resident(community, **kwargs):
    return MemberFactory(community=community, party=Party.RESIDENT, **kwargs)
