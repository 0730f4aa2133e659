"""A live-ready meeting: a community, a facilitator, council members of the four parties,
resident participants, and an agenda item carrying a yes/no poll of the attendees."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.utils import timezone

from deliberation.models import Community, Member, Party, Proposal, ProposalStatus, User
from meetings import services
from meetings.models import AgendaItem, Meeting
from tests.factories.base import CommunityFactory, MemberFactory, UserFactory
from votes import services as vote_services
from votes.models import Electorate, Kind, Method, Poll, Rule


@dataclass
class MeetingScene:
    community: Community
    facilitator: User
    council: dict[str, Member]  # one council member per party
    participants: list[User] = field(default_factory=list)  # resident members, not council
    outsider: User | None = None  # signed in, no membership
    meeting: Meeting | None = None
    items: list[AgendaItem] = field(default_factory=list)
    poll: Poll | None = None

    def member(self, user: User) -> Member:
        return Member.objects.get(community=self.community, user=user)


def accepted_proposal(community: Community, author: Member, title: str) -> Proposal:
    return Proposal.objects.create(
        community=community,
        title=title,
        body="测试议题内容",
        party=author.party,
        author=author,
        status=ProposalStatus.ACCEPTED,
    )


def meeting_scene(
    *,
    participants: int = 3,
    is_public: bool = True,
    open_meeting: bool = False,
    items: int = 2,
    show_running_tally: bool = True,
) -> MeetingScene:
    community = CommunityFactory()
    facilitator = UserFactory(display_name="主持人")
    council = {}
    for party in Party:
        user = facilitator if party == Party.COMMITTEE else UserFactory()
        council[party.value] = MemberFactory(
            community=community, user=user, party=party, is_council_member=True
        )
    scene = MeetingScene(community=community, facilitator=facilitator, council=council)
    for _ in range(participants):
        scene.participants.append(MemberFactory(community=community).user)
    scene.outsider = UserFactory()
    proposals = [
        accepted_proposal(community, council["resident"], f"议题{i + 1}") for i in range(items)
    ]
    poll = vote_services.poll_create(
        community=community,
        question="是否同意议题1的方案",
        kind=Kind.DELIBERATIVE,
        electorate=Electorate.ATTENDEES,
        method=Method.YESNO,
        rule=Rule.MAJORITY,
        actor=facilitator,
        proposal=proposals[0] if proposals else None,
        show_running_tally=show_running_tally,
    )
    scene.poll = poll
    scene.meeting = services.meeting_schedule(
        community=community,
        title="测试议事会",
        starts_at=timezone.now() + timedelta(hours=1),
        place="社区会议室",
        facilitator=facilitator,
        actor=facilitator,
        is_public=is_public,
        proposals=proposals,
        polls={proposals[0].pk: poll} if proposals else {},
        invitees=[scene.member(u) for u in scene.participants],
    )
    scene.items = list(scene.meeting.items.all())
    if open_meeting:
        scene.meeting = services.meeting_open(meeting=scene.meeting, actor=facilitator)
    return scene
