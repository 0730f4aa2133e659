"""Pause, outage of the online channel, resume, extend; objections and the final result
(issue 15 points 5 and 6). Run on SQLite and PostgreSQL."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from deliberation.exceptions import NotPermitted
from tests.factories.base import UserFactory
from tests.factories.votes import committee_staff, option_id, owners_estate, owners_poll
from votes import selectors, services
from votes.exceptions import PollStateError, VoteRefused
from votes.models import (
    BallotChannel,
    ChainHeadPublication,
    ObjectionChannel,
    Poll,
    PollEventKind,
    PollStatus,
    PollSuspension,
)
from votes.services import CastRequest, ballots_cast_batch

pytestmark = pytest.mark.django_db


@pytest.fixture
def estate():
    return owners_estate()


@pytest.fixture
def staff(estate):
    return committee_staff(estate.community)


@pytest.fixture
def poll(estate, staff):
    return owners_poll(estate, closes_at=timezone.now() + dt.timedelta(days=7))


def _yes(poll):
    return {"choice": option_id(poll, 0)}


def _key(poll, user):
    return selectors.voter_keys_for_user(poll, user)[0]


def _kinds(poll):
    return list(poll.events.values_list("kind", flat=True))


def test_pause_refuses_every_channel_with_poll_paused(estate, staff, poll):
    owner = estate.owners[0]
    services.poll_pause(poll=poll, actor=staff, reason="表决票选项印错,重新印制")
    poll.refresh_from_db()
    assert poll.status == PollStatus.OPEN and poll.is_paused
    with pytest.raises(VoteRefused) as online:
        services.ballot_cast(poll=poll, voter=owner, choice=_yes(poll))
    assert online.value.code == "poll_paused"
    assert "暂停" in online.value.message
    with pytest.raises(VoteRefused) as paper:
        services.ballot_cast(
            poll=poll,
            voter=_key(poll, owner),
            choice=_yes(poll),
            channel=BallotChannel.PAPER,
            entered_by=staff,
        )
    assert paper.value.code == "poll_paused"
    assert poll.ballots.count() == 0
    assert _kinds(poll)[-1] == PollEventKind.PAUSED


def test_outage_refuses_online_only_and_reconciles_after_resume(estate, staff, poll):
    """During an outage staff enter a paper ballot; after resume the same owner's online
    attempt is refused as already voted: nothing is counted twice."""
    owner, other = estate.owners[0], estate.owners[1]
    services.poll_pause(poll=poll, actor=staff, reason="市平台升级", online_only=True)
    poll.refresh_from_db()
    assert poll.suspension == PollSuspension.OUTAGE and not poll.is_paused
    with pytest.raises(VoteRefused) as online:
        services.ballot_cast(poll=poll, voter=owner, choice=_yes(poll))
    assert online.value.code == "poll_paused"
    receipt = services.ballot_cast(
        poll=poll,
        voter=_key(poll, owner),
        choice=_yes(poll),
        channel=BallotChannel.PAPER,
        entered_by=staff,
    )
    assert receipt.seq == 1
    services.poll_resume(poll=poll, actor=staff, reason="平台恢复")
    poll.refresh_from_db()
    assert poll.suspension == PollSuspension.NONE
    with pytest.raises(VoteRefused) as again:
        services.ballot_cast(poll=poll, voter=owner, choice={"choice": option_id(poll, 1)})
    assert again.value.code == "already_voted"
    services.ballot_cast(poll=poll, voter=other, choice=_yes(poll))
    assert poll.ballots.count() == 2
    assert _kinds(poll)[-2:] == [PollEventKind.OUTAGE, PollEventKind.RESUMED]
    # The chain head at the outage and at the resumption are on the public chain page.
    reasons = list(ChainHeadPublication.objects.filter(poll=poll).values_list("seq", flat=True))
    assert reasons == [0, 0, 1]


def test_batch_path_of_the_websocket_and_api_refuses_online_during_outage(estate, staff, poll):
    services.poll_pause(poll=poll, actor=staff, reason="故障", online_only=True)
    online, paper = ballots_cast_batch(
        [
            CastRequest(poll_id=poll.pk, choice=_yes(poll), voter_id=estate.owners[0].pk),
            CastRequest(
                poll_id=poll.pk,
                choice=_yes(poll),
                voter_key=_key(poll, estate.owners[1]),
                channel=BallotChannel.PAPER,
                entered_by_id=staff.pk,
            ),
        ]
    )
    assert online.code == "poll_paused" and online.receipt is None
    assert paper.code is None and paper.receipt is not None


def test_pause_needs_a_reason_and_an_open_poll(estate, staff, poll):
    with pytest.raises(ValidationError):
        services.poll_pause(poll=poll, actor=staff, reason="  ")
    services.poll_pause(poll=poll, actor=staff, reason="暂停")
    with pytest.raises(PollStateError):
        services.poll_pause(poll=poll, actor=staff, reason="再次暂停")
    # A pause may narrow to an outage (logged again), then resume.
    services.poll_pause(poll=poll, actor=staff, reason="只停网上", online_only=True)
    services.poll_resume(poll=poll, actor=staff, reason="恢复")
    with pytest.raises(PollStateError):
        services.poll_resume(poll=poll, actor=staff, reason="没暂停")
    closed = services.poll_close(poll=poll, actor=staff)
    with pytest.raises(PollStateError):
        services.poll_pause(poll=closed, actor=staff, reason="已截止")


def test_the_deadline_run_leaves_a_suspended_poll_open(estate, staff, poll):
    services.poll_pause(poll=poll, actor=staff, reason="暂停")
    later = timezone.now() + dt.timedelta(days=8)
    report = services.polls_close_due(now=later)
    assert report.closed == []
    poll.refresh_from_db()
    assert poll.status == PollStatus.OPEN


def test_resume_after_the_closing_time_needs_a_new_one_and_logs_the_extension(estate, staff, poll):
    services.poll_pause(poll=poll, actor=staff, reason="暂停")
    Poll.objects.filter(pk=poll.pk).update(closes_at=timezone.now() - dt.timedelta(minutes=1))
    with pytest.raises(ValidationError) as info:
        services.poll_resume(poll=poll, actor=staff, reason="恢复")
    assert "closes_at" in info.value.message_dict
    until = timezone.now() + dt.timedelta(days=3)
    services.poll_resume(poll=poll, actor=staff, reason="恢复并顺延", closes_at=until)
    poll.refresh_from_db()
    assert poll.closes_at == until and not poll.suspension
    assert _kinds(poll)[-2:] == [PollEventKind.RESUMED, PollEventKind.EXTENDED]
    services.ballot_cast(poll=poll, voter=estate.owners[0], choice=_yes(poll))


def test_closing_a_paused_poll_ends_the_pause(estate, staff, poll):
    services.poll_pause(poll=poll, actor=staff, reason="暂停")
    closed = services.poll_close(poll=poll, actor=staff)
    assert closed.status == PollStatus.CLOSED and closed.suspension == PollSuspension.NONE
    assert _kinds(closed)[-2:] == [PollEventKind.RESUMED, PollEventKind.CLOSED]


@pytest.fixture
def closed(estate, staff, poll):
    for owner in estate.owners:
        services.ballot_cast(poll=poll, voter=owner, choice=_yes(poll))
    return services.poll_close(poll=poll, actor=staff)


def test_objection_recorded_and_answered_with_who_and_when(estate, staff, closed):
    assert closed.stage_label == "初步结果(公示期)"
    objection = services.objection_record(
        poll=closed,
        actor=staff,
        objector_name="王秀英",
        unit_label="1号楼 301",
        text="我家的纸质票没有计入。",
        channel=ObjectionChannel.LETTER,
    )
    assert (objection.recorded_by, objection.is_answered, objection.is_late) == (
        staff,
        False,
        False,
    )
    answered = services.objection_answer(
        objection=objection, actor=staff, answer="经核对,该票已计入第 3 张。"
    )
    assert answered.answered_by == staff and answered.answered_at is not None
    with pytest.raises(PollStateError):
        services.objection_answer(objection=objection, actor=staff, answer="再答一次")
    assert _kinds(closed)[-2:] == [PollEventKind.OBJECTION, PollEventKind.ANSWERED]


def test_objection_input_is_checked_and_nothing_is_written(estate, staff, closed):
    with pytest.raises(ValidationError) as info:
        services.objection_record(
            poll=closed, actor=staff, objector_name=" ", text="", channel="fax"
        )
    assert set(info.value.message_dict) == {"objector_name", "text", "channel"}
    with pytest.raises(ValidationError) as future:
        services.objection_record(
            poll=closed,
            actor=staff,
            objector_name="李",
            text="有异议",
            channel=ObjectionChannel.PHONE,
            received_at=timezone.now() + dt.timedelta(days=1),
        )
    assert "received_at" in future.value.message_dict
    assert closed.objections.count() == 0


def test_only_committee_staff_record_objections_and_only_on_a_preliminary_result(
    estate, staff, poll
):
    with pytest.raises(PollStateError):
        services.objection_record(
            poll=poll, actor=staff, objector_name="李", text="异议", channel="phone"
        )
    closed = services.poll_close(poll=poll, actor=staff)
    with pytest.raises(NotPermitted):
        services.objection_record(
            poll=closed,
            actor=estate.owners[0],
            objector_name="李",
            text="异议",
            channel="phone",
        )
    with pytest.raises(NotPermitted):
        services.objection_record(
            poll=closed, actor=UserFactory(), objector_name="李", text="异议", channel="phone"
        )


def test_final_result_waits_for_the_period_and_for_every_answer(estate, staff, closed):
    objection = services.objection_record(
        poll=closed, actor=staff, objector_name="王", text="异议", channel="in_person"
    )
    # Before the objection period ends: refused, answered or not.
    with pytest.raises(PollStateError) as early:
        services.poll_finalise(poll=closed, actor=staff)
    assert "公示期" in early.value.message
    Poll.objects.filter(pk=closed.pk).update(
        objection_until=timezone.now() - dt.timedelta(seconds=1)
    )
    # After it, while an objection stands unanswered: refused, even with force.
    for force in (False, True):
        with pytest.raises(PollStateError) as open_objection:
            services.poll_finalise(poll=closed, actor=staff, force=force)
        assert "未答复" in open_objection.value.message
    # A late objection is recorded (marked late) and also needs its answer.
    late = services.objection_record(
        poll=closed, actor=staff, objector_name="赵", text="迟到的异议", channel="phone"
    )
    assert late.is_late
    services.objection_answer(objection=objection, actor=staff, answer="已核对")
    with pytest.raises(PollStateError):
        services.poll_finalise(poll=closed, actor=staff)
    services.objection_answer(objection=late, actor=staff, answer="已核对")
    final = services.poll_finalise(poll=closed, actor=staff)
    assert final.status == PollStatus.FINAL and final.stage_label == "最终结果"
    with pytest.raises(PollStateError):
        services.objection_record(
            poll=final, actor=staff, objector_name="钱", text="异议", channel="phone"
        )
