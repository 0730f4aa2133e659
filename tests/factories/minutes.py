"""A closed meeting with everything the minutes print, built directly through the ORM."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from deliberation.models import (
    Community,
    Member,
    Party,
    Proposal,
    ProposalOption,
    Resolution,
    User,
)
from meetings.models import (
    AgendaItem,
    Attendance,
    Meeting,
    MeetingStatus,
    Note,
    PartyPosition,
    SpeakerRequest,
    SpeakerStatus,
    Stance,
)
from votes import counting
from votes.models import Option, Poll, PollStatus

SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass
class MinutesScene:
    community: Community
    meeting: Meeting
    facilitator: User
    members: dict[str, Member]
    poll: Poll
    options: list[Option]
    resolution: Resolution
    proposal: Proposal


def owners_result(options: list[Option], *, question: str = "南门停车采用哪个方案") -> dict:
    """The parking poll counted by ``votes.counting``: 200 owners with 17,000.00 m², of whom
    173 with 15,000.00 m² took part; 132 owners with 11,234.56 m² chose the first plan."""
    first, second = options
    spec = counting.PollSpec(
        kind="owners",
        method="single",
        rule="owners_ordinary",
        options=(
            counting.OptionSpec(id=first.pk, label=first.label, sort_order=0),
            counting.OptionSpec(id=second.pk, label=second.label, sort_order=1),
        ),
        question=question,
    )
    areas = (
        [Decimal("85.11")] * 131
        + [Decimal("85.15")]  # plan A: 132 owners, 11,234.56 m²
        + [Decimal("91.84")] * 41  # plan B: 41 owners, 3,765.44 m²
        + [Decimal("74.07")] * 26
        + [Decimal("74.18")]  # did not take part: 27 owners, 2,000.00 m²
    )
    voters = [counting.Voter(key=f"u{n}", area=area) for n, area in enumerate(areas)]
    channels = ["online"] * 120 + ["paper"] * 45 + ["proxy"] * 8
    ballots = [
        counting.CastBallot(
            voter_key=voter.key,
            choice={"choice": first.pk if n < 132 else second.pk},
            area=voter.area,
            channel=channels[n],
            seq=n + 1,
        )
        for n, voter in enumerate(voters[:173])
    ]
    return counting.count(spec, voters, ballots).to_dict()


def _member(community: Community, username: str, name: str, party: str, **extra) -> Member:
    user = User.objects.create(username=username, display_name=name)
    return Member.objects.create(community=community, user=user, party=party, **extra)


def build_minutes_scene(*, slug: str = "minzhu", name: str = "民主村") -> MinutesScene:
    community = Community.objects.create(name=name, slug=slug, district="示范街道")
    members = {
        "facilitator": _member(
            community,
            f"{slug}-zhoumin",
            "周敏",
            Party.COMMITTEE,
            organisation="民主村居委会",
            title="主任",
            is_council_member=True,
        ),
        "resident": _member(
            community, f"{slug}-wangxy", "王秀英", Party.RESIDENT, is_council_member=True
        ),
        "resident_private": _member(community, f"{slug}-zhaodh", "赵大海", Party.RESIDENT),
        "property": _member(
            community,
            f"{slug}-lijg",
            "李建国",
            Party.PROPERTY,
            organisation="幸福物业",
            title="项目经理",
        ),
        "department": _member(
            community, f"{slug}-chenzq", "陈志强", Party.DEPARTMENT, organisation="街道城管科"
        ),
    }
    facilitator = members["facilitator"].user
    starts = datetime(2026, 11, 20, 19, 0, tzinfo=SHANGHAI)
    meeting = Meeting.objects.create(
        community=community,
        title="2026年第四季度四方议事会",
        starts_at=starts,
        place="社区党群服务中心二楼会议室",
        facilitator=facilitator,
        status=MeetingStatus.CLOSED,
        closed_at=datetime(2026, 11, 20, 21, 5, tzinfo=SHANGHAI),
    )
    for key in ("facilitator", "resident", "resident_private", "property", "department"):
        Attendance.objects.create(meeting=meeting, member=members[key], marked_by=facilitator)

    proposal = Proposal.objects.create(
        community=community,
        title="南门停车秩序整治",
        body="南门晚间乱停车,消防通道经常被堵。",
        party=Party.RESIDENT,
        author=members["resident"],
        location="南门",
        live=True,
    )
    plan_a = ProposalOption.objects.create(
        proposal=proposal,
        title="方案一:划线停车",
        description="划设40个车位",
        sort_order=0,
        cost_estimate=Decimal("12000.00"),
        pros="费用低",
        cons="车位少",
    )
    plan_b = ProposalOption.objects.create(
        proposal=proposal,
        title="方案二:立体车库",
        description="建设机械式立体车库",
        sort_order=1,
        cost_estimate=Decimal("850000.00"),
    )
    poll = Poll.objects.create(
        community=community,
        proposal=proposal,
        question="南门停车采用哪个方案",
        kind="owners",
        electorate="owners",
        method="single",
        rule="owners_ordinary",
        status=PollStatus.CLOSED,
        total_headcount=200,
        total_area=Decimal("17000.00"),
        chain_head="9f2c" + "0" * 56 + "a1b2",
        created_by=facilitator,
    )
    options = [
        Option.objects.create(poll=poll, label=plan_a.title, proposal_option=plan_a, sort_order=0),
        Option.objects.create(poll=poll, label=plan_b.title, proposal_option=plan_b, sort_order=1),
    ]
    poll.result = owners_result(options)
    resolution = Resolution.objects.create(
        community=community,
        proposal=proposal,
        adopted_option=plan_a,
        decision="按方案一在南门划线停车,设置消防通道标识。",
        responsible_party=Party.PROPERTY,
        responsible_person=members["property"].user,
        deadline=date(2026, 12, 31),
        decided_at=datetime(2026, 11, 20, 20, 30, tzinfo=SHANGHAI),
    )
    poll.resolution = resolution
    poll.save()

    parking = AgendaItem.objects.create(
        meeting=meeting, proposal=proposal, title=proposal.title, poll=poll, sort_order=0
    )
    Note.objects.create(item=parking, author=facilitator, text="物业承诺一周内出具划线图纸。")
    SpeakerRequest.objects.create(
        item=parking,
        member=members["resident_private"],
        status=SpeakerStatus.DONE,
        started_at=datetime(2026, 11, 20, 19, 20, tzinfo=SHANGHAI),
    )
    SpeakerRequest.objects.create(
        item=parking,
        member=members["property"],
        status=SpeakerStatus.DONE,
        started_at=datetime(2026, 11, 20, 19, 25, tzinfo=SHANGHAI),
    )
    SpeakerRequest.objects.create(
        item=parking, member=members["department"], status=SpeakerStatus.WITHDRAWN
    )
    PartyPosition.objects.create(
        item=parking, party=Party.RESIDENT, stance=Stance.SUPPORT, statement="尽快实施"
    )
    PartyPosition.objects.create(
        item=parking, party=Party.PROPERTY, stance=Stance.CONDITIONAL, statement="需业委会同意收费"
    )
    PartyPosition.objects.create(item=parking, party=Party.COMMITTEE, stance=Stance.SUPPORT)

    other = AgendaItem.objects.create(meeting=meeting, title="楼道堆物清理", sort_order=1)
    Note.objects.create(item=other, author=facilitator, text="下月组织志愿者集中清理。")
    return MinutesScene(
        community=community,
        meeting=meeting,
        facilitator=facilitator,
        members=members,
        poll=poll,
        options=options,
        resolution=resolution,
        proposal=proposal,
    )
