"""Dispatch to responsible units (issue 14 points 3 and 6): send, claim by name, return with a
reason, feedback, completion, transfer, escalation to the street, with a controlled clock
(every service takes ``now=``)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command

from deliberation.dispatch import services as svc
from deliberation.dispatch.limits import (
    DEFAULT_LIMITS,
    DispatchClock,
    Limits,
    due_times,
    overdue_reason,
)
from deliberation.dispatch.selectors import unit_queue
from deliberation.dispatch.transitions import TRANSITIONS, check_transition
from deliberation.exceptions import InvalidInput, NotPermitted, TransitionNotAllowed
from deliberation.models import (
    Dispatch,
    DispatchEvent,
    DispatchLimit,
    DispatchStatus,
    Notification,
    NotificationKind,
    ProposalStatus,
)
from deliberation.proposals.selectors import proposal_timeline
from deliberation.proposals.services import proposal_answer, proposal_submit
from tests.factories.base import MemberFactory
from tests.factories.dispatch import DispatchWorld, dispatch_world
from tests.factories.proposals import staff

H = dt.timedelta(hours=1)


# --- pure cores ----------------------------------------------------------------------------------

T0 = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("status", "first_feedback", "at", "expected"),
    [
        ("dispatched", None, T0 + 24 * H, ""),  # exactly at the claim limit: in time
        ("dispatched", None, T0 + 24 * H + dt.timedelta(seconds=1), "claim_overdue"),
        ("claimed", None, T0 + 24 * H + H, ""),  # claimed: the claim limit no longer counts
        ("claimed", None, T0 + dt.timedelta(days=7, seconds=1), "feedback_overdue"),
        ("claimed", T0 + H, T0 + dt.timedelta(days=30), ""),  # reported back in time
        ("completed", None, T0 + dt.timedelta(days=30), ""),
        ("returned", None, T0 + dt.timedelta(days=30), ""),
        ("transferred", None, T0 + dt.timedelta(days=30), ""),
    ],
)
def test_overdue_is_computed_from_the_clock(status, first_feedback, at, expected) -> None:
    due = due_times(T0, DEFAULT_LIMITS)
    clock = DispatchClock(status, due.claim, due.feedback, first_feedback)
    assert overdue_reason(clock, at) == expected


def test_due_times_follow_the_limits() -> None:
    due = due_times(T0, Limits(claim_hours=4, feedback_days=2, return_hours=8))
    assert (due.claim, due.return_, due.feedback) == (T0 + 4 * H, T0 + 8 * H, T0 + 48 * H)


def test_transition_table() -> None:
    assert check_transition("dispatched", "claimed", {"claimed_by": 1}).allowed
    assert not check_transition("dispatched", "returned", {"return_reason": " "}).allowed
    assert not check_transition("returned", "claimed", {"claimed_by": 1}).allowed
    assert not check_transition("completed", "transferred", {}).allowed
    assert not check_transition("dispatched", "completed", {"completion_report": "x"}).allowed
    finals = {s for s, targets in TRANSITIONS.items() if not targets}
    assert finals == {"returned", "transferred", "completed"}


# --- the services --------------------------------------------------------------------------------


@pytest.fixture
def w(db) -> DispatchWorld:
    return dispatch_world()


def _kinds(user) -> list[str]:
    return list(Notification.objects.filter(recipient=user).values_list("kind", flat=True))


def _send(w: DispatchWorld, unit=None, actor=None, at=None) -> Dispatch:
    return svc.dispatch_create(
        proposal=w.proposal, unit=unit or w.water, actor=actor or w.committee, now=at or w.now
    )


def test_dispatch_sets_due_times_and_tells_the_unit(w: DispatchWorld) -> None:
    dispatch = _send(w)
    assert dispatch.status == DispatchStatus.DISPATCHED
    assert dispatch.claim_due_at == w.now + 24 * H
    assert dispatch.feedback_due_at == w.now + dt.timedelta(days=7)
    assert _kinds(w.water_staff) == [NotificationKind.DISPATCH_ASSIGNED]
    assert _kinds(w.water_staff2) == [NotificationKind.DISPATCH_ASSIGNED]
    assert _kinds(w.power_staff) == []
    assert list(dispatch.events.values_list("kind", flat=True)) == ["dispatched"]


def test_limits_per_street_and_category(w: DispatchWorld) -> None:
    svc.dispatch_limit_set(
        actor=w.street_user,
        street=w.street,
        category="facilities",
        claim_hours=2,
        feedback_days=3,
        return_hours=1,
    )
    dispatch = _send(w)
    assert dispatch.claim_due_at == w.now + 2 * H
    assert dispatch.return_due_at == w.now + H
    assert dispatch.feedback_due_at == w.now + dt.timedelta(days=3)
    with pytest.raises(NotPermitted):
        svc.dispatch_limit_set(
            actor=w.committee,
            street=w.street,
            category="facilities",
            claim_hours=1,
            feedback_days=1,
            return_hours=1,
        )
    with pytest.raises(InvalidInput) as bad:
        svc.dispatch_limit_set(
            actor=w.street_user,
            street=w.street,
            category="parking",
            claim_hours=0,
            feedback_days=1,
            return_hours=1,
        )
    assert "claim_hours" in bad.value.fields
    assert not DispatchLimit.objects.filter(category="parking").exists()


def test_dispatch_to_a_unit_not_serving_the_community_is_refused(w: DispatchWorld) -> None:
    with pytest.raises(InvalidInput) as refused:
        _send(w, unit=w.far)
    assert "自来水公司" not in refused.value.message
    assert "远方物业」不服务派件社区" in refused.value.message
    assert "unit" in refused.value.fields
    assert not Dispatch.objects.exists()
    assert Notification.objects.filter(recipient=w.far_staff).count() == 0


def test_who_may_dispatch(w: DispatchWorld) -> None:
    other_committee = staff(w.other).user
    for outsider in (w.author.user, w.water_staff, other_committee):
        with pytest.raises(NotPermitted):
            _send(w, actor=outsider)
    assert _send(w, actor=w.street_user).dispatched_by == w.street_user


def test_one_active_dispatch_per_matter(w: DispatchWorld) -> None:
    _send(w)
    with pytest.raises(TransitionNotAllowed):
        _send(w, unit=w.power)
    assert Dispatch.objects.count() == 1


def test_closed_matter_cannot_be_dispatched(w: DispatchWorld) -> None:
    proposal_answer(proposal=w.proposal, actor=w.committee, answer="已当场修好")
    w.proposal.refresh_from_db()
    assert w.proposal.status == ProposalStatus.ANSWERED
    with pytest.raises(TransitionNotAllowed):
        _send(w)


def test_claim_by_name_tells_the_author(w: DispatchWorld) -> None:
    dispatch = _send(w)
    claimed = svc.dispatch_claim(dispatch=dispatch, actor=w.water_staff, now=w.now + H)
    assert (claimed.status, claimed.claimed_by, claimed.claimed_at) == (
        DispatchStatus.CLAIMED,
        w.water_staff,
        w.now + H,
    )
    assert _kinds(w.author.user) == [NotificationKind.DISPATCH_CLAIMED]
    note = Notification.objects.get(recipient=w.author.user)
    assert "水司张工" in note.body
    with pytest.raises(TransitionNotAllowed) as second:
        svc.dispatch_claim(dispatch=dispatch, actor=w.water_staff2, now=w.now + 2 * H)
    assert second.value.code == "already_claimed"
    assert Dispatch.objects.get(pk=dispatch.pk).claimed_by == w.water_staff


def test_other_units_cannot_touch_the_dispatch(w: DispatchWorld) -> None:
    dispatch = _send(w)
    for outsider in (w.power_staff, w.committee, w.author.user):
        with pytest.raises(NotPermitted):
            svc.dispatch_claim(dispatch=dispatch, actor=outsider, now=w.now)
        with pytest.raises(NotPermitted):
            svc.dispatch_return(dispatch=dispatch, actor=outsider, reason="不归我们", now=w.now)
    assert Dispatch.objects.get(pk=dispatch.pk).status == DispatchStatus.DISPATCHED


def test_claim_after_the_limit_is_refused(w: DispatchWorld) -> None:
    dispatch = _send(w)
    with pytest.raises(TransitionNotAllowed) as late:
        svc.dispatch_claim(dispatch=dispatch, actor=w.water_staff, now=w.now + 25 * H)
    assert late.value.code == "claim_late"
    assert "超过认领期限" in late.value.message
    assert Dispatch.objects.get(pk=dispatch.pk).status == DispatchStatus.DISPATCHED


def test_return_needs_a_reason_and_its_limit(w: DispatchWorld) -> None:
    dispatch = _send(w)
    with pytest.raises(InvalidInput) as blank:
        svc.dispatch_return(dispatch=dispatch, actor=w.water_staff, reason="  ", now=w.now)
    assert "reason" in blank.value.fields
    with pytest.raises(TransitionNotAllowed) as late:
        svc.dispatch_return(dispatch=dispatch, actor=w.water_staff, reason="x", now=w.now + 25 * H)
    assert late.value.code == "return_late"
    returned = svc.dispatch_return(
        dispatch=dispatch, actor=w.water_staff, reason="属于楼内管道,归物业", now=w.now + H
    )
    assert (returned.status, returned.return_reason) == ("returned", "属于楼内管道,归物业")
    assert returned.escalated_at is None  # a first return does not escalate


def test_second_return_escalates_and_a_third_is_refused(w: DispatchWorld) -> None:
    first = _send(w)
    svc.dispatch_return(dispatch=first, actor=w.water_staff, reason="不归供水", now=w.now + H)
    second = _send(w, unit=w.power, at=w.now + 2 * H)
    svc.dispatch_return(dispatch=second, actor=w.power_staff, reason="不归供电", now=w.now + 3 * H)
    second.refresh_from_db()
    assert second.escalation_reason == "returned_twice"
    assert second.escalated_at == w.now + 3 * H
    assert _kinds(w.street_user) == [NotificationKind.DISPATCH_ESCALATED]
    # Escalated: the street sends it again, not the committee.
    with pytest.raises(NotPermitted):
        _send(w, at=w.now + 4 * H)
    third = _send(w, actor=w.street_user, at=w.now + 4 * H)
    with pytest.raises(TransitionNotAllowed) as refused:
        svc.dispatch_return(
            dispatch=third, actor=w.water_staff, reason="还是不归", now=w.now + 5 * H
        )
    assert refused.value.code == "too_many_returns"
    assert Dispatch.objects.get(pk=third.pk).status == DispatchStatus.DISPATCHED
    claimed = svc.dispatch_claim(dispatch=third, actor=w.water_staff, now=w.now + 5 * H)
    assert claimed.status == DispatchStatus.CLAIMED


def test_feedback_and_completion_reach_the_author(w: DispatchWorld) -> None:
    dispatch = _send(w)
    with pytest.raises(TransitionNotAllowed):
        svc.dispatch_feedback(dispatch=dispatch, actor=w.water_staff, note="在修", now=w.now)
    svc.dispatch_claim(dispatch=dispatch, actor=w.water_staff, now=w.now + H)
    with pytest.raises(InvalidInput):
        svc.dispatch_feedback(dispatch=dispatch, actor=w.water_staff, note="", now=w.now)
    svc.dispatch_feedback(
        dispatch=dispatch, actor=w.water_staff2, note="已派维修班组到场", now=w.now + 2 * H
    )
    svc.dispatch_feedback(
        dispatch=dispatch, actor=w.water_staff, note="更换阀门", now=w.now + 3 * H
    )
    done = svc.dispatch_complete(
        dispatch=dispatch, actor=w.water_staff, report="已更换水管,恢复供水", now=w.now + 4 * H
    )
    assert done.status == DispatchStatus.COMPLETED
    assert done.first_feedback_at == w.now + 2 * H
    assert _kinds(w.author.user).count(NotificationKind.DISPATCH_FEEDBACK) == 3
    bodies = list(
        Notification.objects.filter(recipient=w.author.user).values_list("body", flat=True)
    )
    assert "已更换水管,恢复供水" in bodies


def test_transfer_is_logged_and_needs_a_serving_unit(w: DispatchWorld) -> None:
    dispatch = _send(w)
    with pytest.raises(InvalidInput):
        svc.dispatch_transfer(dispatch=dispatch, to_unit=w.far, actor=w.committee, now=w.now)
    with pytest.raises(NotPermitted):
        svc.dispatch_transfer(dispatch=dispatch, to_unit=w.power, actor=w.water_staff, now=w.now)
    new = svc.dispatch_transfer(
        dispatch=dispatch, to_unit=w.power, actor=w.committee, note="电缆问题", now=w.now + H
    )
    dispatch.refresh_from_db()
    assert dispatch.status == DispatchStatus.TRANSFERRED
    assert (new.unit, new.status, new.claim_due_at) == (w.power, "dispatched", w.now + 25 * H)
    kinds = list(DispatchEvent.objects.filter(proposal=w.proposal).values_list("kind", flat=True))
    assert kinds == ["dispatched", "transferred", "dispatched"]
    assert _kinds(w.power_staff) == [NotificationKind.DISPATCH_ASSIGNED]


def test_escalation_command_is_idempotent(w: DispatchWorld) -> None:
    dispatch = _send(w)
    assert svc.escalate_overdue_dispatches(now=w.now + 24 * H) == 0
    assert svc.escalate_overdue_dispatches(now=w.now + 25 * H) == 1
    assert svc.escalate_overdue_dispatches(now=w.now + 26 * H) == 0
    dispatch.refresh_from_db()
    assert (dispatch.escalation_reason, dispatch.escalated_at) == ("claim_overdue", w.now + 25 * H)
    assert DispatchEvent.objects.filter(kind="escalated").count() == 1
    assert _kinds(w.street_user) == [NotificationKind.DISPATCH_ESCALATED]
    with pytest.raises(TransitionNotAllowed) as refused:
        svc.dispatch_claim(dispatch=dispatch, actor=w.water_staff, now=w.now + 25 * H)
    assert "上报街道" in refused.value.message
    # The street transfers it to another unit, which claims it.
    new = svc.dispatch_transfer(
        dispatch=dispatch, to_unit=w.power, actor=w.street_user, now=w.now + 26 * H
    )
    svc.dispatch_claim(dispatch=new, actor=w.power_staff, now=w.now + 27 * H)


def test_feedback_overdue_escalates(w: DispatchWorld) -> None:
    dispatch = _send(w)
    svc.dispatch_claim(dispatch=dispatch, actor=w.water_staff, now=w.now + H)
    assert svc.escalate_overdue_dispatches(now=w.now + dt.timedelta(days=7)) == 0
    call_command("escalate_overdue_dispatches")  # the real clock: not yet overdue
    assert Dispatch.objects.get(pk=dispatch.pk).escalated_at is None
    later = w.now + dt.timedelta(days=7, hours=1)
    assert svc.escalate_overdue_dispatches(now=later) == 1
    assert Dispatch.objects.get(pk=dispatch.pk).escalation_reason == "feedback_overdue"


def test_timeline_shows_every_step(w: DispatchWorld) -> None:
    dispatch = _send(w)
    svc.dispatch_return(dispatch=dispatch, actor=w.water_staff, reason="不归供水", now=w.now + H)
    again = _send(w, unit=w.power, at=w.now + 2 * H)
    svc.dispatch_claim(dispatch=again, actor=w.power_staff, now=w.now + 3 * H)
    entries = [e for e in proposal_timeline(w.proposal) if e.status.startswith("dispatch-")]
    labels = [(e.label, e.actor, e.note) for e in entries]
    assert labels[0][0] == "派件至自来水公司"
    assert labels[1] == ("自来水公司 退件", "", "不归供水")
    assert labels[2][0] == "派件至供电公司"
    assert labels[3] == ("供电公司 认领", "电力王工", "")


def test_unit_queue_shows_only_its_own(w: DispatchWorld) -> None:
    _send(w)
    other_author = MemberFactory(community=w.other)
    elsewhere = proposal_submit(
        community=w.other, author=other_author, title="路灯不亮", body="路灯", category="facilities"
    )
    svc.dispatch_create(proposal=elsewhere, unit=w.power, actor=w.street_user, now=w.now)
    water_rows = unit_queue(user=w.water_staff, now=w.now + 25 * H)
    assert [r.dispatch.proposal.title for r in water_rows] == ["3号楼水管漏水"]
    assert water_rows[0].overdue == "claim_overdue"
    assert [r.dispatch.proposal.title for r in unit_queue(user=w.power_staff, now=w.now)] == [
        "路灯不亮"
    ]
    assert unit_queue(user=w.far_staff, now=w.now) == []
    assert unit_queue(user=w.committee, now=w.now) == []
