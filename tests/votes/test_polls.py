"""Poll lifecycle: creation rules, freeze on open, refused changes, extension, close, finalise."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from deliberation.models import Party, ProposalOption
from tests.factories.base import CommunityFactory, MemberFactory, UserFactory
from tests.factories.votes import option_id, owners_estate, owners_poll, resident_poll, residents
from votes import services
from votes.exceptions import PollFrozen, PollStateError
from votes.models import Electorate, Kind, Method, Poll, PollEvent, PollStatus, Rule, Secrecy

pytestmark = pytest.mark.django_db


@pytest.fixture
def community():
    return CommunityFactory()


def test_yesno_poll_gets_for_against_abstain(community):
    poll = resident_poll(community, method=Method.YESNO, options=[], open_now=False)
    assert [(o.label, o.meaning) for o in poll.options.all()] == [
        ("赞成", "yes"),
        ("反对", "no"),
        ("弃权", "abstain"),
    ]


def test_options_come_from_the_proposal(community):
    from deliberation.models import Party, Proposal

    author = MemberFactory(community=community, party=Party.PROPERTY)
    proposal = Proposal.objects.create(
        community=community, title="停车方案", body="三选一", party=Party.PROPERTY, author=author
    )
    plans = [
        ProposalOption.objects.create(proposal=proposal, title=t, sort_order=i)
        for i, t in enumerate(["方案一", "方案二", "方案三"])
    ]
    poll = services.poll_create(
        community=community,
        proposal=proposal,
        question="选择停车方案",
        kind=Kind.DELIBERATIVE,
        electorate=Electorate.MEMBERS,
        method=Method.SINGLE,
        rule=Rule.PLURALITY,
        actor=None,
    )
    assert [o.proposal_option_id for o in poll.options.all()] == [p.pk for p in plans]
    assert [o.label for o in poll.options.all()] == ["方案一", "方案二", "方案三"]


@pytest.mark.parametrize(
    ("kind", "electorate", "rule", "secrecy", "field"),
    [
        (Kind.OWNERS, Electorate.RESIDENTS, Rule.OWNERS_ORDINARY, Secrecy.NAMED, "electorate"),
        (Kind.OWNERS, Electorate.OWNERS, Rule.PLURALITY, Secrecy.NAMED, "rule"),
        (Kind.OWNERS, Electorate.OWNERS, Rule.OWNERS_SPECIAL, Secrecy.SECRET, "secrecy"),
        (Kind.DELIBERATIVE, Electorate.RESIDENTS, Rule.OWNERS_SPECIAL, Secrecy.NAMED, "rule"),
        (Kind.DELIBERATIVE, Electorate.OWNERS, Rule.PLURALITY, Secrecy.NAMED, "electorate"),
    ],
)
def test_kinds_are_never_mixed(community, kind, electorate, rule, secrecy, field):
    with pytest.raises(ValidationError) as info:
        services.poll_create(
            community=community,
            question="问题",
            kind=kind,
            electorate=electorate,
            method=Method.YESNO,
            rule=rule,
            secrecy=secrecy,
            actor=None,
        )
    assert field in info.value.message_dict


def test_majority_share_must_be_a_proper_fraction(community):
    with pytest.raises(ValidationError):
        resident_poll(community, rule=Rule.MAJORITY, majority=(3, 2), open_now=False)
    poll = resident_poll(community, rule=Rule.MAJORITY, majority=(2, 3), open_now=False)
    assert (poll.majority_numerator, poll.majority_denominator) == (2, 3)


def test_open_freezes_rule_options_and_denominators():
    estate = owners_estate(single_units=6)
    poll = owners_poll(estate, rule=Rule.OWNERS_SPECIAL)
    # 6 single owners + 1 co-owned unit + 1 two-unit owner + the developer = 9 owner voters.
    assert poll.total_headcount == 9
    assert str(poll.total_area) == f"{6 * 80 + 95.5 + 2 * 60.25 + 2 * 70:.2f}"
    assert poll.status == PollStatus.OPEN
    assert poll.frozen_spec["rule"] == Rule.OWNERS_SPECIAL
    assert poll.frozen_spec["option_ids"] == [option_id(poll, i) for i in range(3)]
    assert PollEvent.objects.get(poll=poll, kind="opened").data["total_headcount"] == 9


@pytest.mark.parametrize(
    "change",
    [
        {"rule": Rule.OWNERS_ORDINARY},
        {"electorate": Electorate.RESIDENTS},
        {"method": Method.SINGLE},
        {"kind": Kind.DELIBERATIVE},
        {"question": "换一个问题"},
        {"majority_numerator": 2},
    ],
)
def test_changes_after_open_are_refused(change):
    estate = owners_estate()
    poll = owners_poll(estate, rule=Rule.OWNERS_SPECIAL)
    with pytest.raises(PollFrozen):
        services.poll_update(poll=poll, actor=estate.staff, **change)
    poll.refresh_from_db()
    assert poll.rule == Rule.OWNERS_SPECIAL
    assert poll.frozen_spec["rule"] == Rule.OWNERS_SPECIAL


def test_options_cannot_change_after_open():
    estate = owners_estate()
    poll = owners_poll(estate)
    with pytest.raises(PollFrozen):
        services.poll_update(poll=poll, actor=estate.staff, options=["甲", "乙"])
    assert poll.options.count() == 3


def test_new_owner_after_open_does_not_change_denominators():
    from tests.factories.base import OwnershipFactory, UnitFactory

    estate = owners_estate()
    poll = owners_poll(estate)
    before = (poll.total_headcount, poll.total_area)
    unit = UnitFactory(building=estate.co_unit.building)
    newcomer = OwnershipFactory(unit=unit).member.user
    poll.refresh_from_db()
    assert (poll.total_headcount, poll.total_area) == before
    from votes.exceptions import VoteRefused

    with pytest.raises(VoteRefused) as info:
        services.ballot_cast(poll=poll, voter=newcomer, choice={"choice": option_id(poll)})
    assert info.value.code == "not_eligible"


def test_draft_may_change(community):
    poll = resident_poll(community, open_now=False)
    services.poll_update(poll=poll, actor=None, rule=Rule.MAJORITY, options=["甲", "乙"])
    poll.refresh_from_db()
    assert poll.rule == Rule.MAJORITY
    assert [o.label for o in poll.options.all()] == ["甲", "乙"]


def test_opening_twice_is_refused(community):
    residents(community, 1)
    poll = resident_poll(community)
    with pytest.raises(PollStateError):
        services.poll_open(poll=poll, actor=None)


def test_empty_electorate_cannot_open(community):
    poll = resident_poll(community, open_now=False)
    with pytest.raises(PollStateError):
        services.poll_open(poll=poll, actor=None)


def test_attendees_poll_takes_the_callers_list(community):
    present = residents(community, 3)
    absent = residents(community, 1)[0]
    poll = resident_poll(community, electorate=Electorate.ATTENDEES, open_now=False)
    poll = services.poll_open(
        poll=poll, actor=None, eligible_user_ids=lambda: [u.pk for u in present]
    )
    assert poll.total_headcount == 3
    assert poll.eligible_user_ids == sorted(u.pk for u in present)
    from votes.exceptions import VoteRefused

    with pytest.raises(VoteRefused) as info:
        services.ballot_cast(poll=poll, voter=absent, choice={"choice": option_id(poll)})
    assert info.value.code == "not_eligible"
    services.ballot_cast(poll=poll, voter=present[0], choice={"choice": option_id(poll)})


def test_council_poll_counts_only_members(community):
    council = [MemberFactory(community=community, is_council_member=True).user for _ in range(4)]
    residents(community, 5)
    poll = resident_poll(community, electorate=Electorate.MEMBERS)
    assert poll.total_headcount == 4
    assert {v["user_ids"][0] for v in poll.frozen_electorate} == {u.pk for u in council}


def test_extend_an_open_poll_is_logged(community):
    residents(community, 2)
    staff = UserFactory()
    closes = timezone.now() + dt.timedelta(days=1)
    poll = resident_poll(community, closes_at=closes)
    with pytest.raises(ValidationError):
        services.poll_extend(poll=poll, actor=staff, closes_at=closes, reason="参与不足")
    with pytest.raises(ValidationError):
        services.poll_extend(
            poll=poll, actor=staff, closes_at=closes + dt.timedelta(days=3), reason=" "
        )
    later = closes + dt.timedelta(days=3)
    poll = services.poll_extend(poll=poll, actor=staff, closes_at=later, reason="参与不足")
    assert poll.closes_at == later
    event = PollEvent.objects.get(poll=poll, kind="extended")
    assert event.note == "参与不足" and event.actor == staff


def _proposal_for(estate, status="scheduled"):
    from deliberation.models import Proposal, ProposalOption

    author = MemberFactory(community=estate.community, party=Party.PROPERTY)
    proposal = Proposal.objects.create(
        community=estate.community,
        title="南侧围墙改为通透式栏杆",
        body="改建附属设施",
        party=Party.PROPERTY,
        author=author,
        status=status,
        responsible_party=Party.PROPERTY,
    )
    ProposalOption.objects.create(proposal=proposal, title="改为栏杆")
    return proposal


def _vote(estate, poll, yes_count, no_count):
    yes, no = option_id(poll, 0), option_id(poll, 1)
    voters = [*estate.owners, estate.co_owners[0], estate.two_unit_owner]
    for voter in voters[:yes_count]:
        services.ballot_cast(poll=poll, voter=voter, choice={"choice": yes})
    for voter in voters[yes_count : yes_count + no_count]:
        services.ballot_cast(poll=poll, voter=voter, choice={"choice": no})


def test_owners_poll_preliminary_then_final_after_objection_period():
    from deliberation.models import Resolution

    estate = owners_estate()
    estate.community.objection_days = 5
    estate.community.save()
    proposal = _proposal_for(estate)
    poll = owners_poll(estate, rule=Rule.OWNERS_SPECIAL, proposal=proposal)
    assert poll.decides_proposal
    _vote(estate, poll, yes_count=7, no_count=1)
    poll = services.poll_close(poll=poll, actor=estate.staff)
    assert poll.status == PollStatus.CLOSED
    assert poll.preliminary_result["verdict"] == "passed"
    assert poll.objection_until - poll.closed_at == dt.timedelta(days=5)
    with pytest.raises(PollStateError):
        services.poll_finalise(poll=poll, actor=estate.staff)
    Poll.objects.filter(pk=poll.pk).update(objection_until=timezone.now())
    poll = services.poll_finalise(poll=poll, actor=estate.staff)
    assert poll.status == PollStatus.FINAL
    assert poll.result["verdict"] == "passed"
    proposal.refresh_from_db()
    assert proposal.status == "decided"
    resolution = Resolution.objects.get(proposal=proposal)
    assert poll.resolution == resolution
    assert resolution.responsible_party == Party.PROPERTY
    assert resolution.adopted_option is None  # yes/no poll: no plan chosen among several


def test_failed_owners_poll_marks_proposal_not_adopted():
    estate = owners_estate()
    proposal = _proposal_for(estate)
    poll = owners_poll(estate, rule=Rule.OWNERS_SPECIAL, proposal=proposal)
    _vote(estate, poll, yes_count=4, no_count=4)
    poll = services.poll_close(poll=poll, actor=estate.staff)
    assert poll.result["verdict"] == "failed"
    poll = services.poll_finalise(poll=poll, actor=estate.staff, force=True)
    proposal.refresh_from_db()
    assert proposal.status == "not_adopted"


def test_short_of_participation_can_be_extended_and_reopened():
    estate = owners_estate()
    proposal = _proposal_for(estate)
    poll = owners_poll(estate, proposal=proposal)
    _vote(estate, poll, yes_count=3, no_count=0)
    poll = services.poll_close(poll=poll, actor=estate.staff)
    assert poll.result["verdict"] == "no_verdict"
    until = timezone.now() + dt.timedelta(days=7)
    poll = services.poll_extend(
        poll=poll, actor=estate.staff, closes_at=until, reason="参与表决人数不足三分之二"
    )
    assert poll.status == PollStatus.OPEN and poll.result is None
    assert poll.preliminary_result["verdict"] == "no_verdict"  # kept for the record
    # Ballots cast before the extension stay; the rest may now vote.
    voters = estate.owners[3:]
    for voter in voters:
        services.ballot_cast(poll=poll, voter=voter, choice={"choice": option_id(poll)})
    poll = services.poll_close(poll=poll, actor=estate.staff)
    assert poll.result["participating"]["ballots"] == 6
    kinds = list(PollEvent.objects.filter(poll=poll).values_list("kind", flat=True))
    assert kinds == ["created", "opened", "closed", "extended", "closed"]


def test_a_passed_poll_cannot_be_reopened():
    estate = owners_estate()
    poll = owners_poll(estate)
    _vote(estate, poll, yes_count=8, no_count=0)
    poll = services.poll_close(poll=poll, actor=estate.staff)
    with pytest.raises(PollStateError):
        services.poll_extend(
            poll=poll,
            actor=estate.staff,
            closes_at=timezone.now() + dt.timedelta(days=3),
            reason="再投一次",
        )


def test_finalise_refuses_a_broken_chain():
    from django.db import connection

    estate = owners_estate()
    poll = owners_poll(estate)
    _vote(estate, poll, yes_count=7, no_count=0)
    poll = services.poll_close(poll=poll, actor=estate.staff)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE votes_ballot SET area = 999 WHERE poll_id = %s AND seq = 2", [poll.pk]
        )
    with pytest.raises(PollStateError) as info:
        services.poll_finalise(poll=poll, actor=estate.staff, force=True)
    assert "seq 2" in info.value.message
    poll.refresh_from_db()
    assert poll.status == PollStatus.CLOSED


def test_close_due_polls_closes_only_polls_past_their_time(community):
    from django.core.management import call_command

    residents(community, 2)
    due = resident_poll(community, question="到期")
    running = resident_poll(community, question="未到期")
    Poll.objects.filter(pk=due.pk).update(closes_at=timezone.now() - dt.timedelta(minutes=1))
    Poll.objects.filter(pk=running.pk).update(closes_at=timezone.now() + dt.timedelta(days=1))
    call_command("close_due_polls")
    due.refresh_from_db()
    running.refresh_from_db()
    assert due.status == PollStatus.FINAL and due.result is not None
    assert running.status == PollStatus.OPEN
