"""Proposal models and intake: every channel, options, constraints, masking, overdue, sanitising."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from deliberation.exceptions import InvalidInput, NotPermitted
from deliberation.models import Channel, Party, ProposalStatus, Second
from deliberation.proposals.selectors import proposal_public_author
from deliberation.proposals.services import (
    OptionInput,
    proposal_accept,
    proposal_second,
    proposal_submit,
)
from deliberation.proposals.triage import response_clock
from deliberation.registry.display import mask_name, public_name
from deliberation.sanitize import clean_rich_text
from tests.factories.base import BuildingFactory, CommunityFactory
from tests.factories.proposals import published, resident, staff, submitted, upload

pytestmark = pytest.mark.django_db


def test_resident_raises_a_matter_online_with_photos():
    community = CommunityFactory()
    author = resident(community)
    proposal = proposal_submit(
        community=community,
        author=author,
        title="楼道灯坏了",
        body="2号楼三单元楼道灯不亮。\n\n晚上很危险。",
        location="2号楼",
        photos=[upload("a.jpg", gps=True), upload("b.jpg")],
    )
    assert proposal.channel == Channel.ONLINE
    assert proposal.party == Party.RESIDENT
    assert proposal.entered_by is None
    assert proposal.status == ProposalStatus.SUBMITTED
    assert proposal.live is False  # nothing is public before moderation
    assert proposal.body == "<p>2号楼三单元楼道灯不亮。</p><p>晚上很危险。</p>"
    assert proposal.photos.count() == 2
    assert proposal.latest_revision is not None
    assert proposal.current_workflow_task_state is not None


@pytest.mark.parametrize("channel", ["hotline", "box", "visit", "photo", "meeting"])
def test_staff_enter_a_matter_on_a_residents_behalf(channel):
    community = CommunityFactory()
    author = resident(community)
    committee = staff(community)
    proposal = proposal_submit(
        community=community,
        author=author,
        entered_by=committee.user,
        channel=channel,
        title="来电反映",
        body="老人来电:单元门坏了。",
    )
    assert proposal.author == author
    assert proposal.entered_by == committee.user
    assert proposal.channel == channel
    first = proposal.transitions.get()
    assert first.actor == committee.user
    assert "代为录入" in first.note


def test_on_behalf_needs_a_channel_and_community_staff():
    community = CommunityFactory()
    author = resident(community)
    committee = staff(community)
    with pytest.raises(InvalidInput) as caught:
        proposal_submit(
            community=community, author=author, entered_by=committee.user, title="x", body="y"
        )
    assert "channel" in caught.value.fields
    other_resident = resident(community)
    with pytest.raises(NotPermitted):
        proposal_submit(
            community=community,
            author=author,
            entered_by=other_resident.user,
            channel="hotline",
            title="x",
            body="y",
        )


def test_property_staff_submit_a_proposal_with_several_options():
    community = CommunityFactory()
    building = BuildingFactory(community=community)
    manager = staff(community, Party.PROPERTY)
    proposal = proposal_submit(
        community=community,
        author=manager,
        title="停车方案",
        body="三选一",
        options=[
            OptionInput("划线停车", cost_estimate="36000", sharing_rule="area", pros="清晰"),
            OptionInput("错时共享", cost_estimate=Decimal("8000"), sharing_rule="equal"),
            OptionInput(
                "立体车库", cost_estimate="480000", sharing_rule="party", paying_party="property"
            ),
            OptionInput(
                "加装电梯", cost_estimate="600000", sharing_rule="floor", scope_building=building
            ),
        ],
    )
    options = list(proposal.options.order_by("sort_order"))
    assert [o.title for o in options] == ["划线停车", "错时共享", "立体车库", "加装电梯"]
    assert options[0].cost_estimate == Decimal("36000.00")
    assert options[2].paying_party == Party.PROPERTY
    assert options[3].scope_building == building
    assert proposal.party == Party.PROPERTY


def test_residents_cannot_attach_options_and_bad_options_write_nothing():
    community = CommunityFactory()
    author = resident(community)
    with pytest.raises(InvalidInput):
        proposal_submit(
            community=community, author=author, title="t", body="b", options=[OptionInput("a")]
        )
    manager = staff(community, Party.PROPERTY)
    with pytest.raises(InvalidInput):
        proposal_submit(
            community=community,
            author=manager,
            title="t",
            body="b",
            options=[OptionInput("a", cost_estimate="abc", sharing_rule="equal")],
        )
    assert community.proposals.count() == 0


def test_a_bad_photo_refuses_the_whole_matter():
    community = CommunityFactory()
    author = resident(community)
    bad = upload("fake.jpg")
    bad.file.seek(0)
    bad.file.write(b"not an image at all")
    bad.file.truncate()
    bad.size = len(b"not an image at all")
    with pytest.raises(InvalidInput):
        proposal_submit(community=community, author=author, title="t", body="b", photos=[bad])
    assert community.proposals.count() == 0


def test_rich_text_is_sanitised():
    html = clean_rich_text(
        '<p onclick="x()">好<script>alert(1)</script><a href="javascript:1">链接</a></p>'
    )
    assert "script" not in html and "onclick" not in html and "javascript" not in html
    assert clean_rich_text("a < b & c") == "<p>a &lt; b &amp; c</p>"
    proposal = submitted(body="<img src=x onerror=alert(1)><b>粗体</b>")
    assert "onerror" not in proposal.body and "<b>粗体</b>" in proposal.body


@pytest.mark.parametrize(
    ("name", "masked"),
    [("张秀英", "张*英"), ("张明", "张*"), ("欧阳秀英", "欧**英"), ("王", "王"), ("", "")],
)
def test_mask_name(name, masked):
    assert mask_name(name) == masked
    assert public_name(name, show_full_name=True) == name


def test_public_author_is_masked_unless_chosen():
    community = CommunityFactory()
    author = resident(community, user__display_name="李桂英")
    proposal = submitted(community, author=author)
    assert proposal_public_author(proposal) == "李*英"
    chosen = submitted(community, author=author, show_full_name=True)
    assert proposal_public_author(chosen) == "李桂英"


def test_overdue_is_computed_from_the_community_response_days():
    t0 = datetime(2026, 5, 1, 9, tzinfo=UTC)
    clock = response_clock(
        submitted_at=t0, response_days=3, responded_at=None, now=t0 + timedelta(days=2)
    )
    assert not clock.overdue and clock.days_left == 1
    late = response_clock(
        submitted_at=t0, response_days=3, responded_at=None, now=t0 + timedelta(days=4)
    )
    assert late.overdue and late.days_overdue == 1
    answered = response_clock(
        submitted_at=t0,
        response_days=3,
        responded_at=t0 + timedelta(days=1),
        now=t0 + timedelta(days=30),
    )
    assert not answered.overdue
    exact = response_clock(
        submitted_at=t0, response_days=3, responded_at=None, now=t0 + timedelta(days=3)
    )
    assert not exact.overdue  # the deadline itself is still in time


def test_database_guards_triage_fields():
    proposal = submitted()
    proposal.status = ProposalStatus.REJECTED
    with pytest.raises(IntegrityError), transaction.atomic():
        proposal.save(update_fields=["status"])
    proposal.status = ProposalStatus.MERGED
    with pytest.raises(IntegrityError), transaction.atomic():
        proposal.save(update_fields=["status"])


def test_second_once_per_resident():
    proposal = published()
    neighbour = resident(proposal.community)
    _second, created = proposal_second(proposal=proposal, user=neighbour.user)
    _again, created_again = proposal_second(proposal=proposal, user=neighbour.user)
    assert created and not created_again
    assert Second.objects.filter(proposal=proposal).count() == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        Second.objects.create(proposal=proposal, member=neighbour)


def test_second_needs_a_published_matter_and_a_resident():
    proposal = submitted()
    neighbour = resident(proposal.community)
    with pytest.raises(NotPermitted):
        proposal_second(proposal=proposal, user=neighbour.user)
    live = published(proposal.community)
    manager = staff(proposal.community, Party.PROPERTY)
    with pytest.raises(NotPermitted):
        proposal_second(proposal=live, user=manager.user)
    stranger = resident(CommunityFactory())
    with pytest.raises(NotPermitted):
        proposal_second(proposal=live, user=stranger.user)


def test_resident_cannot_triage():
    proposal = submitted()
    neighbour = resident(proposal.community)
    with pytest.raises(NotPermitted):
        proposal_accept(
            proposal=proposal, actor=neighbour.user, category="other", responsible_party="property"
        )
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.SUBMITTED


def test_staff_of_another_community_cannot_triage():
    proposal = submitted()
    elsewhere = staff(CommunityFactory())
    with pytest.raises(NotPermitted):
        proposal_accept(
            proposal=proposal, actor=elsewhere.user, category="other", responsible_party="property"
        )
