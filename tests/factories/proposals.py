"""Proposal factories and helpers: residents, staff with the triage role, submitted/published
proposals through the real services, and test images (with EXIF GPS when asked)."""

import io
from decimal import Decimal

import factory
from django.contrib.auth.models import Group, Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from deliberation.models import (
    Category,
    Channel,
    Community,
    Member,
    Party,
    Proposal,
    ProposalOption,
    ProposalStatus,
)
from deliberation.proposals.services import proposal_publish, proposal_submit
from tests.factories.base import CommunityFactory, MemberFactory, UserFactory

TRIAGE_GROUP = "测试-社区工作人员"


def triage_group() -> Group:
    """A role group with what triage staff need: admin access and the proposal permissions."""
    group, _ = Group.objects.get_or_create(name=TRIAGE_GROUP)
    perms = Permission.objects.filter(
        content_type__app_label="deliberation",
        codename__in=["view_proposal", "change_proposal", "publish_proposal"],
    ) | Permission.objects.filter(content_type__app_label="wagtailadmin", codename="access_admin")
    group.permissions.add(*perms)
    return group


def resident(community: Community, **kwargs) -> Member:  # type: ignore[no-untyped-def]
    return MemberFactory(community=community, party=Party.RESIDENT, **kwargs)


def staff(community: Community, party: str = Party.COMMITTEE, *, triage: bool = True, **kwargs):  # type: ignore[no-untyped-def]
    """A staff member of ``party``; committee staff get the triage role group by default."""
    kwargs.setdefault("organisation", f"{community.name}{party}")
    member = MemberFactory(community=community, party=party, **kwargs)
    if triage and party == Party.COMMITTEE:
        member.user.groups.add(triage_group())
    return member


def image_bytes(*, size=(800, 600), fmt="JPEG", gps: bool = False, color=(200, 40, 40)) -> bytes:  # type: ignore[no-untyped-def]
    image = Image.new("RGB", size, color)
    out = io.BytesIO()
    kwargs = {}
    if gps:
        exif = Image.Exif()
        exif[0x010F] = "TestCam"  # Make
        gps_ifd = {1: "N", 2: (31.0, 14.0, 2.0), 3: "E", 4: (121.0, 28.0, 5.0)}
        exif[0x8825] = gps_ifd
        kwargs["exif"] = exif.tobytes()
    image.save(out, format=fmt, **kwargs)
    return out.getvalue()


def upload(name: str = "photo.jpg", **kwargs) -> SimpleUploadedFile:  # type: ignore[no-untyped-def]
    return SimpleUploadedFile(name, image_bytes(**kwargs), content_type="image/jpeg")


def submitted(  # type: ignore[no-untyped-def]
    community: Community | None = None, *, author: Member | None = None, **kwargs
) -> Proposal:
    community = community or CommunityFactory()
    author = author or resident(community)
    values = {
        "title": "3号楼北侧加装充电桩",
        "body": "电动自行车在楼道充电有火灾隐患。",
        "category": Category.CHARGING,
        "location": "3号楼北侧",
    }
    values.update(kwargs)
    return proposal_submit(community=community, author=author, **values)


def published(
    community: Community | None = None, *, by: Member | None = None, **kwargs
) -> Proposal:  # type: ignore[no-untyped-def]
    proposal = submitted(community, **kwargs)
    by = by or staff(proposal.community)
    return proposal_publish(proposal=proposal, actor=by.user)


class ProposalFactory(factory.django.DjangoModelFactory):
    """A bare row (no revision, no workflow) for bulk data such as the 1,000-proposal list."""

    class Meta:
        model = Proposal

    community = factory.SubFactory(CommunityFactory)
    author = factory.SubFactory(MemberFactory, community=factory.SelfAttribute("..community"))
    party = Party.RESIDENT
    channel = Channel.ONLINE
    category = Category.OTHER
    title = factory.Sequence(lambda n: f"议题{n}")
    body = "<p>内容</p>"
    status = ProposalStatus.ACCEPTED
    live = True


class OptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProposalOption

    proposal = factory.SubFactory(ProposalFactory)
    title = factory.Sequence(lambda n: f"方案{n}")
    cost_estimate = Decimal("12000.00")
    sharing_rule = "equal"


__all__ = [
    "OptionFactory",
    "ProposalFactory",
    "UserFactory",
    "image_bytes",
    "published",
    "resident",
    "staff",
    "submitted",
    "triage_group",
    "upload",
]
