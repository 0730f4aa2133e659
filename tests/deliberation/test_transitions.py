"""The proposal transition table and ``proposal_transition`` (who, when, note; row lock)."""

import pytest

from deliberation.exceptions import TransitionNotAllowed
from deliberation.models import Category, Party, ProposalStatus, ProposalTransition
from deliberation.proposals.services import proposal_transition
from deliberation.proposals.transitions import TRANSITIONS, check_transition
from tests.factories.proposals import staff, submitted

S = ProposalStatus

ALLOWED = [
    (S.SUBMITTED, S.ACCEPTED, {"category": Category.PARKING, "responsible_party": Party.PROPERTY}),
    (S.SUBMITTED, S.ANSWERED, {"answer": "已修好"}),
    (S.SUBMITTED, S.REJECTED, {"reject_reason": "不属于小区事务"}),
    (S.SUBMITTED, S.MERGED, {"merged_into": object()}),
    (S.ACCEPTED, S.SCHEDULED, {}),
    (S.SCHEDULED, S.DECIDED, {}),
    (S.SCHEDULED, S.NOT_ADOPTED, {}),
    (S.SCHEDULED, S.ACCEPTED, {}),
    (S.NOT_ADOPTED, S.SCHEDULED, {}),
]
REFUSED = [
    (S.SUBMITTED, S.SCHEDULED, {}),
    (S.SUBMITTED, S.DECIDED, {}),
    (S.REJECTED, S.ACCEPTED, {"category": "parking", "responsible_party": "property"}),
    (S.DECIDED, S.SCHEDULED, {}),
    (S.MERGED, S.ACCEPTED, {"category": "parking", "responsible_party": "property"}),
    (S.SUBMITTED, S.ACCEPTED, {"category": "parking"}),  # no responsible party
    (S.SUBMITTED, S.ANSWERED, {"answer": "   "}),  # blank answer
    (S.SUBMITTED, S.REJECTED, {}),  # no reason
    (S.ACCEPTED, S.SCHEDULED, {"answer": "x"}),  # a field the target does not set
    (S.SUBMITTED, "bogus", {}),
]


@pytest.mark.parametrize(("src", "dst", "fields"), ALLOWED)
def test_table_allows(src, dst, fields):
    assert check_transition(src, dst, fields).allowed


@pytest.mark.parametrize(("src", "dst", "fields"), REFUSED)
def test_table_refuses(src, dst, fields):
    result = check_transition(src, dst, fields)
    assert not result.allowed
    assert result.reason


def test_final_statuses_have_no_way_out():
    for status in (S.ANSWERED, S.REJECTED, S.MERGED, S.DECIDED):
        assert TRANSITIONS[status] == frozenset()


@pytest.mark.django_db
def test_transition_records_who_when_and_note():
    proposal = submitted()
    committee = staff(proposal.community)
    proposal_transition(
        proposal=proposal,
        to_status=S.ACCEPTED,
        actor=committee.user,
        note="转物业办理",
        category=Category.PARKING,
        responsible_party=Party.PROPERTY,
    )
    proposal.refresh_from_db()
    assert proposal.status == S.ACCEPTED
    assert proposal.category == Category.PARKING
    assert proposal.responsible_party == Party.PROPERTY
    assert proposal.responded_at is not None
    steps = list(ProposalTransition.objects.filter(proposal=proposal).order_by("at", "pk"))
    assert [(t.from_status, t.to_status) for t in steps] == [
        ("", S.SUBMITTED),
        (S.SUBMITTED, S.ACCEPTED),
    ]
    last = steps[-1]
    assert last.actor == committee.user
    assert last.note == "转物业办理"
    assert last.at is not None


@pytest.mark.django_db
def test_refused_transition_changes_nothing():
    proposal = submitted()
    with pytest.raises(TransitionNotAllowed):
        proposal_transition(proposal=proposal, to_status=S.DECIDED, actor=None)
    proposal.refresh_from_db()
    assert proposal.status == S.SUBMITTED
    assert proposal.transitions.count() == 1


@pytest.mark.django_db
def test_transition_reads_the_locked_row_not_a_stale_object():
    """Two staff acting on the same matter: the second sees the first's change and is refused."""
    proposal = submitted()
    committee = staff(proposal.community)
    stale = type(proposal).objects.get(pk=proposal.pk)
    proposal_transition(
        proposal=proposal, to_status=S.ANSWERED, actor=committee.user, answer="已答复"
    )
    with pytest.raises(TransitionNotAllowed):
        proposal_transition(
            proposal=stale, to_status=S.REJECTED, actor=committee.user, reject_reason="重复"
        )
    stale.refresh_from_db()
    assert stale.status == S.ANSWERED


@pytest.mark.django_db
def test_meetings_and_votes_path_scheduled_decided():
    proposal = submitted()
    committee = staff(proposal.community)
    proposal_transition(
        proposal=proposal,
        to_status=S.ACCEPTED,
        actor=committee.user,
        category=Category.CHARGING,
        responsible_party=Party.PROPERTY,
    )
    proposal_transition(
        proposal=proposal, to_status=S.SCHEDULED, actor=committee.user, note="列入议程"
    )
    proposal_transition(proposal=proposal, to_status=S.DECIDED, actor=None, note="表决通过")
    proposal.refresh_from_db()
    assert proposal.status == S.DECIDED
    assert proposal.transitions.count() == 4
