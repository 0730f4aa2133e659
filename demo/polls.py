"""Demo polls: a closed owners' poll on the parking plans and a council (deliberative) poll.

Idempotent: each poll is keyed on its community and question; an existing poll is left as is.
Ballots go through the casting service like real ones, so the chain verifies.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from deliberation.models import Community, Proposal, User
from votes import services
from votes.models import BallotChannel, Electorate, Kind, Method, Poll, Rule

PARKING_QUESTION = "小区停车管理方案(业主共同决定)"
COUNCIL_QUESTION = "是否建议在3号楼北侧集中安装电动自行车充电桩"


def _staff(community: Community) -> User | None:
    return (
        User.objects.filter(memberships__community=community, username="committee").first()
        or User.objects.filter(is_superuser=True).first()
    )


def _backdate(poll: Poll, *, opened_days_ago: int, closed_days_ago: int) -> None:
    """Demo only: move the timeline into the past so the page reads like a finished vote."""
    now = timezone.now()
    opened = now - dt.timedelta(days=opened_days_ago)
    closed = now - dt.timedelta(days=closed_days_ago)
    fields = {"opens_at": opened, "opened_at": opened, "closes_at": closed, "closed_at": closed}
    if poll.objection_until:
        fields["objection_until"] = closed + dt.timedelta(days=poll.community.objection_days)
    Poll.objects.filter(pk=poll.pk).update(**fields)
    delta = now - closed
    for event in poll.events.all():
        event.at = opened if event.kind in ("created", "opened") else event.at - delta
        event.save(update_fields=["at"])


def seed_parking_poll(community: Community, proposal: Proposal) -> Poll:
    """Owners' joint decision (art. 278 items 7–8: double 3/4) among the three parking plans.

    About four in five owner voters take part: most online, some on signed paper ballots and a
    few by proxy, entered by committee staff. Plan 2 is chosen by a large majority.
    """
    existing = Poll.objects.filter(community=community, question=PARKING_QUESTION).first()
    if existing:
        return existing
    staff = _staff(community)
    poll = services.poll_create(
        community=community,
        proposal=proposal,
        question=PARKING_QUESTION,
        kind=Kind.OWNERS,
        electorate=Electorate.OWNERS,
        method=Method.SINGLE,
        rule=Rule.OWNERS_SPECIAL,
        actor=staff,
        decides_proposal=True,
        closes_at=timezone.now() + dt.timedelta(days=14),
    )
    poll = services.poll_open(poll=poll, actor=staff)
    plans = list(poll.options.order_by("sort_order", "pk").values_list("pk", flat=True))
    voters = [v for v in poll.frozen_electorate if v["user_ids"]]
    for index, voter in enumerate(voters):
        if index % 5 == 4:  # one in five does not take part
            continue
        bucket = index % 25
        choice = plans[1] if bucket < 19 else plans[0] if bucket < 22 else plans[2]
        if index % 6 == 1:
            channel, note = BallotChannel.PAPER, ""
        elif index % 15 == 7:
            channel, note = BallotChannel.PROXY, "书面授权委托书(业主签字,原件存居委会)"
        else:
            channel, note = BallotChannel.ONLINE, ""
        if channel == BallotChannel.ONLINE:
            voter_user = User.objects.get(pk=voter["user_ids"][0])
            services.ballot_cast(poll=poll, voter=voter_user, choice={"choice": choice})
        else:
            services.ballot_cast(
                poll=poll,
                voter=voter["key"],
                choice={"choice": choice},
                channel=channel,
                entered_by=staff,
                proxy_note=note,
            )
    poll = services.poll_close(poll=poll, actor=staff)
    _backdate(poll, opened_days_ago=16, closed_days_ago=2)
    return Poll.objects.get(pk=poll.pk)


def seed_council_poll(community: Community, proposal: Proposal | None) -> Poll:
    """The council's own recommendation (协商意见): members, yes/no/abstain, simple majority."""
    existing = Poll.objects.filter(community=community, question=COUNCIL_QUESTION).first()
    if existing:
        return existing
    staff = _staff(community)
    poll = services.poll_create(
        community=community,
        proposal=proposal,
        question=COUNCIL_QUESTION,
        kind=Kind.DELIBERATIVE,
        electorate=Electorate.MEMBERS,
        method=Method.YESNO,
        rule=Rule.MAJORITY,
        actor=staff,
        show_running_tally=True,
        decides_proposal=False,
    )
    poll = services.poll_open(poll=poll, actor=staff)
    yes, _no, abstain = poll.options.order_by("sort_order", "pk").values_list("pk", flat=True)
    for index, voter in enumerate(poll.frozen_electorate):
        choice = abstain if index == len(poll.frozen_electorate) - 1 else yes
        if index % 2:  # half of them on the council's paper show of hands, entered by staff
            services.ballot_cast(
                poll=poll,
                voter=voter["key"],
                choice={"choice": choice},
                channel=BallotChannel.IN_PERSON,
                entered_by=staff,
            )
        else:
            user = User.objects.get(pk=voter["user_ids"][0])
            services.ballot_cast(poll=poll, voter=user, choice={"choice": choice})
    poll = services.poll_close(poll=poll, actor=staff)
    _backdate(poll, opened_days_ago=6, closed_days_ago=6)
    return Poll.objects.get(pk=poll.pk)


@transaction.atomic
def seed_polls(community: Community, proposals: list[Proposal]) -> list[Poll]:
    """Both demo polls; ``proposals`` as returned by ``demo.registry.seed_proposals``."""
    parking = next((p for p in proposals if p.category == "parking"), proposals[0])
    charging = next((p for p in proposals if p.category == "charging"), None)
    return [seed_parking_poll(community, parking), seed_council_poll(community, charging)]
