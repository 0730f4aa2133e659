"""Demo meetings for ``seed_demo``: the quarterly meeting a week ahead, and a live-ready
meeting today that a person can run in two browser windows (facilitator ``committee``,
participants ``resident-rep``, ``property``, ``department``; password in ``demo.registry``).

Idempotent: meetings are keyed on community and title; an existing one is left as it is (it
may have been run already).
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from deliberation.models import Community, Member, Party, Proposal, User
from meetings import services
from meetings.models import AgendaItem, Meeting
from votes import services as vote_services
from votes.models import Electorate, Kind, Method, Poll, Rule

LIVE_TITLE = "四方议事会(现场演示)"
LIVE_QUESTION = "是否同意在3号楼北侧集中安装电动自行车充电桩(现场表决)"


@transaction.atomic
def seed_meetings(community: Community, proposals: list[Proposal]) -> Meeting:
    """One scheduled meeting a week ahead with the demo proposals on its agenda, and the
    live-ready meeting (``seed_live_meeting``)."""
    facilitator = User.objects.get(username="committee")
    start = (timezone.localtime() + timedelta(days=7)).replace(
        hour=19, minute=0, second=0, microsecond=0
    )
    meeting, _ = Meeting.objects.get_or_create(
        community=community,
        title="2026年第四季度四方议事会",
        defaults={
            "starts_at": start,
            "place": "社区党群服务中心二楼会议室",
            "facilitator": facilitator,
            "checkin_code": services.checkin_code_new(),
        },
    )
    for order, proposal in enumerate(proposals):
        AgendaItem.objects.get_or_create(
            meeting=meeting,
            proposal=proposal,
            defaults={"title": proposal.title, "sort_order": order},
        )
    seed_live_meeting(community, proposals)
    return meeting


@transaction.atomic
def seed_live_meeting(community: Community, proposals: list[Proposal]) -> Meeting:
    """A public meeting starting now: two agenda items, the first with a show-of-hands poll
    (attendees, yes/no/abstain, running tally shown), the four parties' staff and six
    residents invited."""
    existing = Meeting.objects.filter(community=community, title=LIVE_TITLE).first()
    if existing:
        return existing
    facilitator = User.objects.get(username="committee")
    residents = list(
        Member.objects.filter(community=community, party=Party.RESIDENT)
        .exclude(user__username="resident-rep")
        .order_by("pk")[:6]
    )
    meeting = services.meeting_schedule(
        community=community,
        title=LIVE_TITLE,
        starts_at=timezone.now().replace(second=0, microsecond=0),
        place="社区党群服务中心一楼议事厅",
        facilitator=facilitator,
        actor=facilitator,
        is_public=True,
        invitees=residents,
    )
    by_title = {p.title: p for p in proposals}
    charging = by_title.get("在3号楼北侧加装电动自行车充电桩")
    wall = by_title.get("沿街围墙改为通透式栏杆")
    poll = Poll.objects.filter(community=community, question=LIVE_QUESTION).first()
    if poll is None:
        poll = vote_services.poll_create(
            community=community,
            proposal=charging,
            question=LIVE_QUESTION,
            kind=Kind.DELIBERATIVE,
            electorate=Electorate.ATTENDEES,
            method=Method.YESNO,
            rule=Rule.MAJORITY,
            actor=facilitator,
            show_running_tally=True,
            decides_proposal=False,
        )
    services.agenda_item_add(
        meeting=meeting,
        actor=facilitator,
        title=charging.title if charging else "电动自行车充电桩",
        proposal=charging,
        poll=poll,
    )
    services.agenda_item_add(
        meeting=meeting,
        actor=facilitator,
        title=wall.title if wall else "沿街围墙改造",
        proposal=wall,
    )
    return meeting
