"""Meeting services: scheduling, attendance and quorum, speakers (南塘议事规则), notes, positions,
and the seq that grows with every change."""

from datetime import datetime, timedelta
from fractions import Fraction

import pytest
from django.utils import timezone

from deliberation.models import Party, ProposalStatus
from meetings import procedure, selectors, services
from meetings.exceptions import MeetingRefused
from meetings.models import (
    Attendance,
    Meeting,
    MeetingStatus,
    PartyPosition,
    SpeakerRequest,
    SpeakerStatus,
)
from tests.factories.meetings import accepted_proposal, meeting_scene

pytestmark = pytest.mark.django_db


def seq_of(meeting: Meeting) -> int:
    return Meeting.objects.values_list("seq", flat=True).get(pk=meeting.pk)


def checkin_all(scene, users) -> None:
    for user in users:
        services.attendance_checkin(
            meeting=scene.meeting, user=user, code=scene.meeting.checkin_code
        )


# --- pure rules --------------------------------------------------------------------------


def test_speaker_order_puts_first_time_speakers_first_then_request_time() -> None:
    t = datetime(2026, 11, 23, 19, 0)
    entries = [
        procedure.QueueEntry(1, member_id=10, requested_at=t),
        procedure.QueueEntry(2, member_id=20, requested_at=t + timedelta(seconds=5)),
        procedure.QueueEntry(3, member_id=30, requested_at=t + timedelta(seconds=9)),
    ]
    # 10 has spoken once already: 20 and 30 (never spoken) go before 10.
    order = procedure.speaker_order(entries, {10: 1})
    assert [e.member_id for e in order] == [20, 30, 10]
    assert [e.member_id for e in procedure.speaker_order(entries, {})] == [10, 20, 30]


@pytest.mark.parametrize(
    ("expected", "present", "share", "met", "required"),
    [
        (8, 4, Fraction(1, 2), True, 4),  # exactly half reaches a 1/2 quorum ("以上")
        (8, 3, Fraction(1, 2), False, 4),
        (7, 4, Fraction(1, 2), True, 4),
        (7, 3, Fraction(1, 2), False, 4),
        (9, 6, Fraction(2, 3), True, 6),
        (9, 5, Fraction(2, 3), False, 6),
        (0, 0, Fraction(1, 2), False, 0),  # nobody expected: no quorum
    ],
)
def test_quorum_compute(expected, present, share, met, required) -> None:
    q = procedure.quorum_compute(
        expected=expected, present=present, share=share, parties_present=[], parties=list(Party)
    )
    assert (q.met, q.required) == (met, required)


def test_quorum_reports_which_parties_are_present() -> None:
    q = procedure.quorum_compute(
        expected=4,
        present=2,
        share=Fraction(1, 2),
        parties_present={"resident", "property"},
        parties=[p.value for p in Party],
    )
    assert q.parties_present == ("resident", "property")
    assert q.all_parties is False


# --- scheduling --------------------------------------------------------------------------


def test_schedule_builds_agenda_from_accepted_proposals_and_moves_them_to_scheduled() -> None:
    scene = meeting_scene(items=2)
    meeting = scene.meeting
    assert meeting.status == MeetingStatus.SCHEDULED
    assert len(meeting.checkin_code) == 6 and meeting.checkin_code.isdigit()
    items = list(meeting.items.select_related("proposal"))
    assert [i.title for i in items] == ["议题1", "议题2"]
    assert items[0].poll == scene.poll and items[1].poll is None
    for item in items:
        item.proposal.refresh_from_db()
        assert item.proposal.status == ProposalStatus.SCHEDULED
        assert item.proposal.transitions.filter(to_status="scheduled").exists()


def test_schedule_refuses_a_proposal_not_accepted() -> None:
    scene = meeting_scene(items=1)
    submitted = accepted_proposal(scene.community, scene.council["resident"], "未受理")
    submitted.status = ProposalStatus.SUBMITTED
    submitted.save()
    with pytest.raises(MeetingRefused) as err:
        services.meeting_schedule(
            community=scene.community,
            title="第二次会议",
            starts_at=timezone.now(),
            place="会议室",
            facilitator=scene.facilitator,
            actor=scene.facilitator,
            proposals=[submitted],
        )
    assert err.value.code == "bad_request"
    assert Meeting.objects.filter(title="第二次会议").count() == 0


def test_open_makes_first_item_current_and_only_facilitator_may() -> None:
    scene = meeting_scene()
    with pytest.raises(MeetingRefused) as err:
        services.meeting_open(meeting=scene.meeting, actor=scene.participants[0])
    assert err.value.code == "forbidden"
    meeting = services.meeting_open(meeting=scene.meeting, actor=scene.facilitator)
    assert meeting.status == MeetingStatus.LIVE
    assert meeting.current_item == scene.items[0]
    with pytest.raises(MeetingRefused):
        services.meeting_open(meeting=scene.meeting, actor=scene.facilitator)


# --- attendance --------------------------------------------------------------------------


def test_self_checkin_needs_the_door_code_and_a_membership() -> None:
    scene = meeting_scene(open_meeting=True)
    user = scene.participants[0]
    with pytest.raises(MeetingRefused) as err:
        services.attendance_checkin(meeting=scene.meeting, user=user, code="000000x")
    assert err.value.code == "wrong_code"
    with pytest.raises(MeetingRefused) as err:
        services.attendance_checkin(
            meeting=scene.meeting, user=scene.outsider, code=scene.meeting.checkin_code
        )
    assert err.value.code == "forbidden"
    att = services.attendance_checkin(
        meeting=scene.meeting, user=user, code=scene.meeting.checkin_code
    )
    assert att.present and att.self_checked_in
    # Checking in twice changes nothing.
    before = seq_of(scene.meeting)
    services.attendance_checkin(meeting=scene.meeting, user=user, code=scene.meeting.checkin_code)
    assert seq_of(scene.meeting) == before


def test_attendance_by_party_and_quorum_follow_the_marks() -> None:
    scene = meeting_scene(participants=3, open_meeting=True)
    # Expected: 4 council members (one per party) + 3 invited residents = 7; quorum 1/2 → 4.
    state = selectors.section_attendance(scene.meeting)
    assert state["quorum"]["expected"] == 7
    assert state["quorum"]["required"] == 4
    assert state["quorum"]["met"] is False
    for party in ("resident", "property", "department"):
        services.attendance_mark(
            meeting=scene.meeting,
            member=scene.council[party],
            present=True,
            actor=scene.facilitator,
        )
    assert selectors.section_attendance(scene.meeting)["quorum"]["met"] is False
    services.attendance_mark(
        meeting=scene.meeting,
        member=scene.council["committee"],
        present=True,
        actor=scene.facilitator,
    )
    state = selectors.section_attendance(scene.meeting)
    assert state["quorum"]["met"] is True
    assert state["quorum"]["all_parties"] is True
    assert state["by_party"]["resident"] == {"label": "居民/业主", "present": 1, "expected": 4}
    services.attendance_mark(
        meeting=scene.meeting,
        member=scene.council["property"],
        present=False,
        actor=scene.facilitator,
    )
    state = selectors.section_attendance(scene.meeting)
    assert state["quorum"]["present"] == 3 and state["quorum"]["met"] is False


def test_participant_cannot_mark_attendance() -> None:
    scene = meeting_scene(open_meeting=True)
    with pytest.raises(MeetingRefused) as err:
        services.attendance_mark(
            meeting=scene.meeting,
            member=scene.council["property"],
            present=True,
            actor=scene.participants[0],
        )
    assert err.value.code == "forbidden"
    assert not Attendance.objects.filter(meeting=scene.meeting, present=True).exists()


# --- speakers ----------------------------------------------------------------------------


def test_speakers_first_time_first_and_per_item_limit() -> None:
    scene = meeting_scene(participants=3, open_meeting=True)
    a, b, c = scene.participants
    checkin_all(scene, [a, b, c])
    m, f = scene.meeting, scene.facilitator

    services.speaker_request(meeting=m, user=a)
    first = services.speaker_next(meeting=m, actor=f)
    assert first.member == scene.member(a)
    assert first.started_at is not None
    # a asks again while speaking: refused (one open request at a time).
    with pytest.raises(MeetingRefused) as err:
        services.speaker_request(meeting=m, user=a)
    assert err.value.code == "already_queued"

    services.speaker_next(meeting=m, actor=f)  # a is done (1 speech)
    services.speaker_request(meeting=m, user=a)  # a asks first ...
    services.speaker_request(meeting=m, user=b)  # ... b and c later, but never spoke
    services.speaker_request(meeting=m, user=c)
    queue = selectors.section_speakers(m)["queue"]
    assert [q["member"] for q in queue] == [scene.member(u).pk for u in (b, c, a)]
    assert [services.speaker_next(meeting=m, actor=f).member.user for _ in range(3)] == [b, c, a]
    services.speaker_next(meeting=m, actor=f)  # a done: 2 speeches on this item

    with pytest.raises(MeetingRefused) as err:
        services.speaker_request(meeting=m, user=a)
    assert err.value.code == "speech_limit"
    # The limit is per item: on the next item a may speak again.
    services.agenda_goto(meeting=m, item=scene.items[1], actor=f)
    services.speaker_request(meeting=m, user=a)


def test_speech_limit_and_timer_come_from_the_community() -> None:
    scene = meeting_scene(participants=1, open_meeting=True)
    scene.community.speeches_per_item = 1
    scene.community.speech_seconds = 90
    scene.community.save()
    (a,) = scene.participants
    checkin_all(scene, [a])
    services.speaker_request(meeting=scene.meeting, user=a)
    speech = services.speaker_next(meeting=scene.meeting, actor=scene.facilitator)
    current = selectors.section_speakers(scene.meeting)["current"]
    assert current["started_at"] == speech.started_at.isoformat()
    assert current["ends_at"] == (speech.started_at + timedelta(seconds=90)).isoformat()
    services.speaker_next(meeting=scene.meeting, actor=scene.facilitator)
    with pytest.raises(MeetingRefused) as err:
        services.speaker_request(meeting=scene.meeting, user=a)
    assert err.value.code == "speech_limit"


def test_speaker_needs_check_in_and_can_withdraw() -> None:
    scene = meeting_scene(participants=1, open_meeting=True)
    (a,) = scene.participants
    with pytest.raises(MeetingRefused) as err:
        services.speaker_request(meeting=scene.meeting, user=a)
    assert err.value.code == "not_checked_in"
    checkin_all(scene, [a])
    services.speaker_request(meeting=scene.meeting, user=a)
    withdrawn = services.speaker_withdraw(meeting=scene.meeting, user=a)
    assert withdrawn.status == SpeakerStatus.WITHDRAWN
    assert selectors.section_speakers(scene.meeting)["queue"] == []
    with pytest.raises(MeetingRefused) as err:
        services.speaker_withdraw(meeting=scene.meeting, user=a)
    assert err.value.code == "not_found"
    # A withdrawn request does not count as a speech.
    services.speaker_request(meeting=scene.meeting, user=a)
    assert SpeakerRequest.objects.filter(status=SpeakerStatus.WAITING).count() == 1


# --- notes, positions, seq ---------------------------------------------------------------


def test_positions_of_the_four_parties_one_each_replaced_on_update() -> None:
    scene = meeting_scene(open_meeting=True)
    item = scene.items[0]
    f = scene.facilitator
    services.position_record(
        meeting=scene.meeting,
        item=item,
        party="property",
        stance="conditional",
        statement="费用由业主分摊时支持",
        actor=f,
    )
    services.position_record(
        meeting=scene.meeting, item=item, party="resident", stance="support", statement="", actor=f
    )
    services.position_record(
        meeting=scene.meeting,
        item=item,
        party="property",
        stance="oppose",
        statement="改为反对",
        actor=f,
    )
    assert PartyPosition.objects.filter(item=item).count() == 2
    agenda = selectors.section_agenda(scene.meeting)
    positions = agenda["items"][0]["positions"]
    assert [(p["party"], p["stance_label"]) for p in positions] == [
        ("resident", "支持"),
        ("property", "反对"),
    ]
    with pytest.raises(MeetingRefused) as err:
        services.position_record(
            meeting=scene.meeting,
            item=item,
            party="landlord",
            stance="support",
            statement="",
            actor=f,
        )
    assert err.value.code == "bad_request"
    with pytest.raises(MeetingRefused):
        services.position_record(
            meeting=scene.meeting,
            item=item,
            party="resident",
            stance="support",
            statement="",
            actor=scene.participants[0],
        )


def test_notes_are_per_item_and_need_text() -> None:
    scene = meeting_scene(open_meeting=True)
    services.note_add(
        meeting=scene.meeting, item=scene.items[1], author=scene.facilitator, text="会后补充材料"
    )
    with pytest.raises(MeetingRefused) as err:
        services.note_add(
            meeting=scene.meeting, item=scene.items[1], author=scene.facilitator, text="   "
        )
    assert err.value.code == "bad_request"
    agenda = selectors.section_agenda(scene.meeting)
    assert [n["text"] for n in agenda["items"][1]["notes"]] == ["会后补充材料"]
    assert agenda["items"][0]["notes"] == []


def test_every_change_bumps_seq_and_refusals_do_not(django_capture_on_commit_callbacks) -> None:
    scene = meeting_scene(participants=1)
    f, m = scene.facilitator, scene.meeting
    (a,) = scene.participants
    seqs = [seq_of(m)]

    def step(fn, **kw):
        fn(meeting=m, **kw)
        seqs.append(seq_of(m))

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        step(services.meeting_open, actor=f)
        step(services.attendance_checkin, user=a, code=m.checkin_code)
        step(services.attendance_mark, member=scene.council["property"], present=True, actor=f)
        step(services.speaker_request, user=a)
        step(services.speaker_next, actor=f)
        step(services.note_add, item=scene.items[0], author=f, text="记录")
        step(
            services.position_record,
            item=scene.items[0],
            party="resident",
            stance="support",
            statement="",
            actor=f,
        )
        step(services.agenda_goto, item=scene.items[1], actor=f)
        with pytest.raises(MeetingRefused):
            services.speaker_withdraw(meeting=m, user=a)
        step(services.meeting_close, actor=f)
    assert seqs == sorted(set(seqs)), seqs  # strictly growing
    assert len(seqs) == 10
    # One broadcast queued per change, none for the refusal.
    broadcasts = [c for c in callbacks if "broadcast_on_commit" in c.__qualname__]
    assert len(broadcasts) == 9
