"""Demo campaign (issue 15): an open owners' poll with online ballots, a canvasser for 2号楼,
a second committee account for four-eyes confirmation, and entries waiting to be confirmed.

Accounts (password ``sifang-demo-2026``): ``canvasser`` (楼栋长 of 2号楼, no admin access) and
``committee2`` (second committee staff member). Idempotent: keyed on the poll's question.
"""

from __future__ import annotations

import datetime as dt
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw

from deliberation.models import Building, Community, Party, User
from deliberation.registry.rules import Role
from deliberation.registry.services import staff_member_set
from demo.registry import DEMO_PASSWORD
from votes import services as vote_services
from votes.campaign import services
from votes.models import BallotChannel, CampaignUnit, Electorate, Kind, Method, Poll, Rule

QUESTION = "更换小区大门门禁系统(业主共同决定)"


def _account(
    community: Community, username: str, name: str, role: str, party: Party, title: str
) -> User:
    user, created = User.objects.get_or_create(username=username, defaults={"display_name": name})
    if created or not user.has_usable_password():
        user.set_password(DEMO_PASSWORD)
        user.save()
    staff_member_set(
        community=community,
        user=user,
        role=role,
        organisation="民主村社区居委会" if party == Party.COMMITTEE else "居民志愿者",
        title=title,
    )
    return user


def _slip(text: str) -> SimpleUploadedFile:
    """A stand-in photo of a signed ballot (the demo has no real paper)."""
    image = Image.new("RGB", (480, 640), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((20, 20, 460, 620), outline="black", width=3)
    draw.text((40, 40), text, fill="black")
    draw.line((60, 560, 300, 540), fill="navy", width=4)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=80)
    return SimpleUploadedFile("slip.jpg", buffer.getvalue(), content_type="image/jpeg")


@transaction.atomic
def seed_campaign(community: Community) -> Poll | None:
    committee = User.objects.filter(username="committee").first()
    if committee is None:
        return None
    second = _account(
        community, "committee2", "黄海燕", Role.FACILITATOR, Party.COMMITTEE, "副主任"
    )
    canvasser = _account(community, "canvasser", "吴德明", Role.RESIDENT, Party.RESIDENT, "楼栋长")
    poll = Poll.objects.filter(community=community, question=QUESTION).first()
    if poll is not None:
        return poll
    poll = vote_services.poll_create(
        community=community,
        question=QUESTION,
        kind=Kind.OWNERS,
        electorate=Electorate.OWNERS,
        method=Method.YESNO,
        rule=Rule.OWNERS_ORDINARY,
        closes_at=timezone.now() + dt.timedelta(days=14),
        actor=committee,
    )
    poll = vote_services.poll_open(poll=poll, actor=committee)
    services.campaign_units_ensure(poll=poll)
    yes = poll.options.order_by("sort_order", "pk").first()
    assert yes is not None
    # Online ballots from the owners of 1号楼 and most of 3号楼.
    for voter in poll.frozen_electorate:
        labels = " ".join(u["label"] for u in voter.get("units", []))
        if voter.get("user_ids") and ("1号楼" in labels or "3号楼-1" in labels):
            user = User.objects.get(pk=voter["user_ids"][0])
            vote_services.ballot_cast(poll=poll, voter=user, choice={"choice": yes.pk})
    building = Building.objects.get(community=community, name="2号楼")
    services.canvasser_assign(poll=poll, user=canvasser, building=building, actor=committee)
    rows = list(
        CampaignUnit.objects.filter(poll=poll, building__name="4号楼")
        .select_related("unit")
        .order_by("unit__number")[:3]
    )
    for row in rows[:2]:
        services.ballot_entry_submit(
            poll=poll,
            unit_id=row.unit_id,
            channel=BallotChannel.PAPER,
            choice={"choice": yes.pk},
            actor=committee,
            evidence=_slip(f"4-{row.unit.number} signed"),
            signer_name="业主本人",
        )
    # One already confirmed by the second staff member, so the list shows both names.
    confirmed = services.ballot_entry_submit(
        poll=poll,
        unit_id=rows[2].unit_id,
        channel=BallotChannel.PAPER,
        choice={"choice": yes.pk},
        actor=committee,
        evidence=_slip(f"4-{rows[2].unit.number} signed"),
        signer_name="业主本人",
    )
    services.ballot_entry_confirm(entry=confirmed, actor=second)
    return poll
