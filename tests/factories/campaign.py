"""Campaign helpers: an owners' estate over several buildings, evidence files."""

from __future__ import annotations

import io
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from deliberation.models import Party
from tests.factories.base import (
    BuildingFactory,
    CommunityFactory,
    MemberFactory,
    OwnershipFactory,
    UnitFactory,
)
from tests.factories.votes import OwnersEstate, committee_staff, owners_poll
from votes.campaign.services import campaign_units_ensure
from votes.models import Poll


def photo(name: str = "slip.jpg", size: tuple[int, int] = (40, 30)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, "white").save(buffer, format="JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def pdf_scan(name: str = "slip.pdf") -> SimpleUploadedFile:
    data = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    return SimpleUploadedFile(name, data, content_type="application/pdf")


def campaign_estate(buildings: int = 2, per_building: int = 3) -> OwnersEstate:
    """``buildings`` buildings of ``per_building`` single-owner units (80 m² each), plus
    committee staff (``estate.staff``) with admin access."""
    community = CommunityFactory()
    staff = committee_staff(community)
    estate = OwnersEstate(community=community, staff=staff)
    for b in range(buildings):
        building = BuildingFactory(community=community, name=f"{b + 1}号楼")
        for _ in range(per_building):
            unit = UnitFactory(building=building, area_m2=Decimal("80.00"))
            estate.owners.append(
                OwnershipFactory(
                    unit=unit, member=MemberFactory(community=community, party=Party.RESIDENT)
                ).member.user
            )
    return estate


def campaign_poll(estate: OwnersEstate, **kwargs: object) -> Poll:
    poll = owners_poll(estate, **kwargs)
    campaign_units_ensure(poll=poll)
    return poll
