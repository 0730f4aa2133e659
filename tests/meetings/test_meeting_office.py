"""Meetings as offices run them (issue 13 point 7): edit, reschedule, cancel and reorder after
scheduling; reopen a poll closed by mistake while its result is unpublished; after the meeting
each proposal follows its poll's verdict and a draft resolution waits for each adopted option.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from deliberation.exceptions import NotPermitted, TransitionNotAllowed
from deliberation.models import (
    Notification,
    NotificationKind,
    Party,
    ProposalOption,
    ProposalStatus,
    Resolution,
    ResolutionStatus,
)
from deliberation.resolutions import selectors as resolution_selectors
from deliberation.resolutions.services import resolution_assign
from meetings import services
from meetings.exceptions import MeetingRefused
from meetings.models import Meeting, MeetingEvent, MeetingEventKind, MeetingStatus
from tests.factories.base import CommunityFactory, MemberFactory
from tests.factories.meetings import meeting_scene
from votes import services as vote_services
from votes.exceptions import PollStateError, VoteRefused
from votes.models import (
    Ballot,
    Electorate,
    Kind,
    Method,
    PollEvent,
    PollEventKind,
    PollStatus,
    Rule,
)
from votes.selectors import poll_chain_problem

pytestmark = pytest.mark.django_db


def refused(expected: str, fn, **kwargs) -> None:
    with pytest.raises(MeetingRefused) as err:
        fn(**kwargs)
    assert err.value.code == expected, err.value.message


def staff_of_other_parties(scene) -> list:
    """Property and department staff of the community, and committee staff of another one."""
    other = CommunityFactory()
    stranger = MemberFactory(community=other, party=Party.COMMITTEE).user
    return [scene.council["property"].user, scene.council["department"].user, stranger]


def checkin(scene, users) -> None:
    for user in users:
        services.attendance_checkin(
            meeting=scene.meeting, user=user, code=scene.meeting.checkin_code
        )


def option(poll, meaning: str) -> int:
    return poll.options.get(meaning=meaning).pk


def vote(scene, user, meaning: str, poll=None) -> str:
    poll = poll or scene.poll
    return services.meeting_ballot_cast(
        meeting=scene.meeting, poll=poll, user=user, choice={"choice": option(poll, meaning)}
    )


# --- edit, reschedule, cancel, reorder -----------------------------------------------------


def test_edit_corrects_title_facilitator_and_publicity_and_logs_old_and_new() -> None:
    scene = meeting_scene()
    colleague = MemberFactory(community=scene.community, party=Party.COMMITTEE).user
    meeting = services.meeting_edit(
        meeting=scene.meeting,
        actor=scene.facilitator,
        title="第二次议事会(更正)",
        facilitator=colleague,
        is_public=False,
    )
    meeting.refresh_from_db()
    assert (meeting.title, meeting.facilitator, meeting.is_public) == (
        "第二次议事会(更正)",
        colleague,
        False,
    )
    event = MeetingEvent.objects.get(meeting=meeting, kind=MeetingEventKind.EDITED)
    assert event.actor == scene.facilitator
    assert event.data["title"] == ["测试议事会", "第二次议事会(更正)"]
    assert event.data["is_public"] == [True, False]
    # A property staff member is never a facilitator; bad input changes nothing.
    refused(
        "forbidden",
        services.meeting_edit,
        meeting=meeting,
        actor=scene.facilitator,
        title="x",
        facilitator=scene.council["property"].user,
        is_public=True,
    )
    refused(
        "bad_request",
        services.meeting_edit,
        meeting=meeting,
        actor=scene.facilitator,
        title="  ",
        facilitator=colleague,
        is_public=True,
    )
    meeting.refresh_from_db()
    assert meeting.title == "第二次议事会(更正)"


def test_property_department_and_other_communities_may_not_change_a_meeting() -> None:
    scene = meeting_scene()
    later = scene.meeting.starts_at + timedelta(days=1)
    item_ids = [i.pk for i in reversed(scene.items)]
    for actor in [*staff_of_other_parties(scene), scene.participants[0]]:
        refused(
            "forbidden",
            services.meeting_edit,
            meeting=scene.meeting,
            actor=actor,
            title="改名",
            facilitator=scene.facilitator,
            is_public=True,
        )
        refused(
            "forbidden",
            services.meeting_reschedule,
            meeting=scene.meeting,
            actor=actor,
            starts_at=later,
            reason="改期",
        )
        refused(
            "forbidden", services.meeting_cancel, meeting=scene.meeting, actor=actor, reason="取消"
        )
        refused(
            "forbidden",
            services.agenda_reorder,
            meeting=scene.meeting,
            actor=actor,
            item_ids=item_ids,
        )
    scene.meeting.refresh_from_db()
    assert scene.meeting.status == MeetingStatus.SCHEDULED and scene.meeting.title == "测试议事会"
    assert not MeetingEvent.objects.exists()


def test_reschedule_moves_time_and_place_and_records_the_notice_to_attendees(
    django_capture_on_commit_callbacks,
) -> None:
    scene = meeting_scene()
    old = scene.meeting.starts_at
    new = old + timedelta(days=2)
    with django_capture_on_commit_callbacks(execute=True):
        meeting = services.meeting_reschedule(
            meeting=scene.meeting,
            actor=scene.facilitator,
            starts_at=new,
            place="社区活动中心二楼",
            reason="会议室维修",
        )
    meeting.refresh_from_db()
    assert meeting.starts_at == new and meeting.place == "社区活动中心二楼"
    event = MeetingEvent.objects.get(meeting=meeting, kind=MeetingEventKind.RESCHEDULED)
    assert event.note == "会议室维修"
    assert event.data["previous"] == {"starts_at": old.isoformat(), "place": "社区会议室"}
    # Every council member and invitee is told.
    expected = {m.user_id for m in scene.council.values()} | {u.pk for u in scene.participants}
    assert set(event.data["notified"]) == expected
    # Each of them gets the notice (inbox, SMS, e-mail or letter, as they prefer), once.
    told = Notification.objects.filter(kind=NotificationKind.MEETING_CHANGED)
    assert set(told.values_list("recipient_id", flat=True)) == expected
    assert told.count() == len(expected)
    assert "社区活动中心二楼" in told.first().body
    refused(
        "bad_request",
        services.meeting_reschedule,
        meeting=meeting,
        actor=scene.facilitator,
        starts_at=new + timedelta(hours=1),
        reason=" ",
    )
    refused(
        "bad_request",
        services.meeting_reschedule,
        meeting=meeting,
        actor=scene.facilitator,
        starts_at=timezone.now() - timedelta(hours=1),
        reason="提前",
    )
    services.meeting_open(meeting=meeting, actor=scene.facilitator)
    refused(
        "bad_state",
        services.meeting_reschedule,
        meeting=meeting,
        actor=scene.facilitator,
        starts_at=new + timedelta(days=1),
        reason="已开始",
    )


def test_cancel_takes_the_proposals_off_the_agenda_and_a_cancelled_meeting_stays_shut() -> None:
    scene = meeting_scene()
    meeting = services.meeting_cancel(
        meeting=scene.meeting, actor=scene.facilitator, reason="台风预警，会议取消"
    )
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.CANCELLED and meeting.cancel_reason
    for item in scene.items:
        item.proposal.refresh_from_db()
        assert item.proposal.status == ProposalStatus.ACCEPTED  # may be scheduled again
    event = MeetingEvent.objects.get(meeting=meeting, kind=MeetingEventKind.CANCELLED)
    told = Notification.objects.filter(kind=NotificationKind.MEETING_CHANGED)
    assert set(told.values_list("recipient_id", flat=True)) == set(event.data["notified"])
    assert "台风预警" in told.first().body
    assert sorted(event.data["proposals_released"]) == sorted(i.proposal_id for i in scene.items)
    page = Client().get(reverse("meeting-detail", args=[scene.community.slug, meeting.pk]))
    assert "本次会议已取消" in page.content.decode() and "台风预警" in page.content.decode()
    refused("bad_state", services.meeting_open, meeting=meeting, actor=scene.facilitator)
    refused(
        "bad_state",
        services.attendance_checkin,
        meeting=meeting,
        user=scene.participants[0],
        code=meeting.checkin_code,
    )
    refused(
        "bad_state",
        services.meeting_cancel,
        meeting=meeting,
        actor=scene.facilitator,
        reason="再取消",
    )
    # A live meeting is closed, not cancelled; a reason is required.
    live = meeting_scene(open_meeting=True)
    refused(
        "bad_state",
        services.meeting_cancel,
        meeting=live.meeting,
        actor=live.facilitator,
        reason="x",
    )
    other = meeting_scene()
    refused(
        "bad_request",
        services.meeting_cancel,
        meeting=other.meeting,
        actor=other.facilitator,
        reason="",
    )


def test_reorder_puts_the_agenda_in_the_given_order_before_and_during_the_meeting() -> None:
    scene = meeting_scene(items=3)
    ids = [i.pk for i in scene.items]
    services.agenda_reorder(meeting=scene.meeting, actor=scene.facilitator, item_ids=ids[::-1])
    assert list(scene.meeting.items.values_list("pk", flat=True)) == ids[::-1]
    event = MeetingEvent.objects.get(kind=MeetingEventKind.REORDERED)
    assert event.data == {"before": ids, "after": ids[::-1]}
    for bad in ([ids[0], ids[1]], [ids[0], ids[0], ids[1]], [*ids[:2], 999_999]):
        refused(
            "bad_request",
            services.agenda_reorder,
            meeting=scene.meeting,
            actor=scene.facilitator,
            item_ids=bad,
        )
    meeting = services.meeting_open(meeting=scene.meeting, actor=scene.facilitator)
    assert meeting.current_item_id == ids[-1]  # the first item of the new order
    services.agenda_reorder(meeting=meeting, actor=scene.facilitator, item_ids=ids)
    meeting.refresh_from_db()
    assert meeting.current_item_id == ids[-1]  # reordering does not move the floor


# --- a poll closed by mistake ----------------------------------------------------------------


def test_a_poll_closed_by_mistake_reopens_and_the_ballots_cast_before_stay_valid() -> None:
    scene = meeting_scene(open_meeting=True, participants=3)
    a, b, c = scene.participants
    checkin(scene, [a, b, c])
    services.meeting_poll_open(meeting=scene.meeting, poll=scene.poll, actor=scene.facilitator)
    receipts = [vote(scene, a, "yes"), vote(scene, b, "no")]
    poll = services.meeting_poll_close(
        meeting=scene.meeting, poll=scene.poll, actor=scene.facilitator
    )
    # Held, not published: the meeting publishes it when it closes.
    assert poll.status == PollStatus.CLOSED and poll.finalised_at is None
    with pytest.raises(VoteRefused):
        vote(scene, c, "yes")
    # Only the facilitator may reopen.
    refused(
        "forbidden",
        services.meeting_poll_reopen,
        meeting=scene.meeting,
        poll=poll,
        actor=scene.council["property"].user,
    )
    poll = services.meeting_poll_reopen(
        meeting=scene.meeting, poll=poll, actor=scene.facilitator, reason="误点结束表决"
    )
    assert poll.status == PollStatus.OPEN and poll.result is None
    assert Ballot.objects.filter(poll=poll).count() == 2  # nothing cast before is lost
    vote(scene, c, "yes")
    with pytest.raises(VoteRefused):
        vote(scene, a, "no")  # one ballot each, across the reopening
    event = PollEvent.objects.get(poll=poll, kind=PollEventKind.REOPENED)
    assert event.actor == scene.facilitator and event.note == "误点结束表决"
    assert event.data["ballots"] == 2
    assert MeetingEvent.objects.filter(kind=MeetingEventKind.POLL_REOPENED).exists()

    services.meeting_close(meeting=scene.meeting, actor=scene.facilitator)
    poll.refresh_from_db()
    assert poll.status == PollStatus.FINAL
    assert Ballot.objects.filter(poll=poll).count() == 3
    assert poll_chain_problem(poll) is None  # the chain runs on across the reopening
    assert len(receipts) == 2
    # Published now: no way back.
    refused(
        "bad_state",
        services.meeting_poll_reopen,
        meeting=scene.meeting,
        poll=poll,
        actor=scene.facilitator,
    )
    with pytest.raises(PollStateError):
        vote_services.poll_reopen(poll=poll, actor=scene.facilitator, reason="再开")


def test_an_owners_decision_does_not_reopen_its_preliminary_result_is_published() -> None:
    scene = meeting_scene(open_meeting=True)
    poll = vote_services.poll_create(
        community=scene.community,
        question="业主共同决定",
        kind=Kind.OWNERS,
        electorate=Electorate.OWNERS,
        method=Method.YESNO,
        rule=Rule.OWNERS_ORDINARY,
        actor=scene.facilitator,
    )
    poll.status = PollStatus.CLOSED
    poll.save()
    assert not vote_services.poll_reopenable(poll)
    with pytest.raises(PollStateError):
        vote_services.poll_reopen(poll=poll, actor=scene.facilitator, reason="误操作")
    poll.refresh_from_db()
    assert poll.status == PollStatus.CLOSED


# --- after the meeting -----------------------------------------------------------------------


def _poll_with_plans(scene, proposal, plans: list[str], method: str = Method.SINGLE):
    for order, title in enumerate(plans):
        ProposalOption.objects.create(proposal=proposal, title=title, sort_order=order)
    return vote_services.poll_create(
        community=scene.community,
        question=f"{proposal.title}选哪个方案",
        kind=Kind.DELIBERATIVE,
        electorate=Electorate.ATTENDEES,
        method=method,
        rule=Rule.PLURALITY,
        actor=scene.facilitator,
        proposal=proposal,
        show_running_tally=True,
    )


def test_after_the_meeting_each_proposal_follows_its_verdict_with_draft_resolutions() -> None:
    scene = meeting_scene(open_meeting=False, participants=3, items=3)
    passed_item, failed_item, plans_item = scene.items
    plans_poll = _poll_with_plans(scene, plans_item.proposal, ["方案一：划线", "方案二：立体车库"])
    plans_item.poll = plans_poll
    plans_item.save()
    failed_poll = vote_services.poll_create(
        community=scene.community,
        question="是否同意议题2",
        kind=Kind.DELIBERATIVE,
        electorate=Electorate.ATTENDEES,
        method=Method.YESNO,
        rule=Rule.MAJORITY,
        actor=scene.facilitator,
        proposal=failed_item.proposal,
    )
    failed_item.poll = failed_poll
    failed_item.save()
    meeting = services.meeting_open(meeting=scene.meeting, actor=scene.facilitator)
    a, b, c = scene.participants
    checkin(scene, [a, b, c])
    f = scene.facilitator
    services.meeting_poll_open(meeting=meeting, poll=scene.poll, actor=f)
    for user in (a, b):
        vote(scene, user, "yes")
    services.meeting_poll_close(meeting=meeting, poll=scene.poll, actor=f)
    services.meeting_poll_open(meeting=meeting, poll=failed_poll, actor=f)
    for user in (a, b, c):
        vote(scene, user, "no", poll=failed_poll)
    services.meeting_poll_close(meeting=meeting, poll=failed_poll, actor=f)
    services.meeting_poll_open(meeting=meeting, poll=plans_poll, actor=f)
    second = plans_poll.options.order_by("sort_order")[1].pk
    for user in (a, b):
        services.meeting_ballot_cast(
            meeting=meeting, poll=plans_poll, user=user, choice={"choice": second}
        )
    # The last poll is still open: closing the meeting closes and publishes it too.
    services.meeting_close(meeting=meeting, actor=f)

    for item in scene.items:
        item.proposal.refresh_from_db()
    assert passed_item.proposal.status == ProposalStatus.DECIDED
    assert failed_item.proposal.status == ProposalStatus.NOT_ADOPTED
    assert plans_item.proposal.status == ProposalStatus.DECIDED
    assert failed_item.proposal.transitions.filter(to_status="not_adopted").exists()

    drafts = Resolution.objects.filter(status=ResolutionStatus.DRAFT)
    assert drafts.count() == 2  # one per adopted option: the yes/no question, the second plan
    plan_draft = drafts.get(proposal=plans_item.proposal)
    assert plan_draft.adopted_option.title == "方案二：立体车库"
    assert "方案二" in plan_draft.decision
    assert not Resolution.objects.filter(proposal=failed_item.proposal).exists()
    # Drafts are not public, nor overdue, until committee staff complete and assign them.
    public = resolution_selectors.resolution_list_public(community=scene.community)
    assert not public.exists()
    assert not plan_draft.is_overdue(timezone.localdate() + timedelta(days=365))
    follow = MeetingEvent.objects.filter(kind=MeetingEventKind.FOLLOWED_UP)
    assert follow.count() == 3

    for outsider in (scene.council["property"].user, scene.council["department"].user):
        with pytest.raises(NotPermitted):
            resolution_assign(
                resolution=plan_draft,
                actor=outsider,
                decision="x",
                responsible_party=Party.PROPERTY,
                deadline=timezone.localdate(),
            )
    assigned = resolution_assign(
        resolution=plan_draft,
        actor=f,
        decision="建设立体车库，物业公司负责施工组织",
        responsible_party=Party.PROPERTY,
        deadline=timezone.localdate() + timedelta(days=60),
        responsible_person=scene.council["property"].user,
    )
    assert assigned.status == ResolutionStatus.IN_PROGRESS
    assert assigned.transitions.filter(from_status="draft", to_status="in_progress").exists()
    with pytest.raises(TransitionNotAllowed):  # no longer a draft
        resolution_assign(
            resolution=assigned,
            actor=f,
            decision="再交办",
            responsible_party=Party.PROPERTY,
            deadline=timezone.localdate(),
        )


def test_close_and_reopen_ask_for_confirmation_on_the_plain_form_page() -> None:
    scene = meeting_scene(open_meeting=True)
    checkin(scene, scene.participants[:1])
    services.meeting_poll_open(meeting=scene.meeting, poll=scene.poll, actor=scene.facilitator)
    client = Client()
    client.force_login(scene.facilitator)
    action = reverse("meeting-action", args=[scene.community.slug, scene.meeting.pk])
    page = client.post(action, {"type": "poll.close", "poll": scene.poll.pk})
    assert page.status_code == 200 and "确定结束表决" in page.content.decode()
    scene.poll.refresh_from_db()
    assert scene.poll.status == PollStatus.OPEN
    client.post(action, {"type": "poll.close", "poll": scene.poll.pk, "confirmed": "1"})
    scene.poll.refresh_from_db()
    assert scene.poll.status == PollStatus.CLOSED
    console = client.get(reverse("meeting-console", args=[scene.community.slug, scene.meeting.pk]))
    assert "重新开放表决" in console.content.decode()
    client.post(action, {"type": "poll.reopen", "poll": scene.poll.pk, "confirmed": "1"})
    scene.poll.refresh_from_db()
    assert scene.poll.status == PollStatus.OPEN
    page = client.post(action, {"type": "meeting.close"})
    assert "确定结束会议" in page.content.decode()
    assert Meeting.objects.get(pk=scene.meeting.pk).status == MeetingStatus.LIVE
    # A participant gets no confirmation page, only the refusal.
    resident = Client()
    resident.force_login(scene.participants[0])
    resident.post(action, {"type": "meeting.close", "confirmed": "1"})
    assert Meeting.objects.get(pk=scene.meeting.pk).status == MeetingStatus.LIVE


def test_projector_is_a_standalone_page_with_the_checkin_code_for_facilitators_only() -> None:
    scene = meeting_scene(open_meeting=True)
    url = reverse("meeting-projector", args=[scene.community.slug, scene.meeting.pk])
    staff = Client()
    staff.force_login(scene.facilitator)
    page = staff.get(url).content.decode()
    assert 'class="site-header"' not in page and "site-footer" not in page
    assert scene.meeting.checkin_code in page and "data:image/png;base64," in page
    public = Client().get(url).content.decode()
    assert scene.meeting.checkin_code not in public  # would let anyone check in from home
    assert "data:image/png;base64," in public


# --- the admin page ----------------------------------------------------------------------------


def test_admin_page_reschedules_reorders_and_cancels_for_committee_staff_only() -> None:
    from deliberation.registry.rules import Role
    from tests.meetings.test_roles_meetings import other_committee, property_manager, with_role

    scene = meeting_scene(items=2)
    committee = with_role(scene.community, scene.facilitator, Role.FACILITATOR)
    url = reverse("meetings_admin_manage", args=[scene.meeting.pk])
    for outsider in (property_manager(scene), other_committee()):
        client = Client()
        client.force_login(outsider)
        assert client.get(url).status_code in (302, 403, 404)
        client.post(url, {"action": "cancel", "reason": "越权取消"})
    scene.meeting.refresh_from_db()
    assert scene.meeting.status == MeetingStatus.SCHEDULED

    client = Client()
    client.force_login(committee)
    page = client.get(url)
    assert page.status_code == 200 and "改期或更换地点" in page.content.decode()
    # Bad input: a clear error, nothing changed.
    bad = client.post(url, {"action": "reschedule", "starts_at": "明天", "place": "", "reason": ""})
    assert bad.status_code == 400
    scene.meeting.refresh_from_db()
    assert scene.meeting.place == "社区会议室"
    new = timezone.localtime() + timedelta(days=3)
    moved = client.post(
        url,
        {
            "action": "reschedule",
            "starts_at": new.strftime("%Y-%m-%dT%H:%M"),
            "place": "活动中心",
            "reason": "与社区活动冲突",
        },
    )
    assert moved.status_code == 302
    scene.meeting.refresh_from_db()
    assert scene.meeting.place == "活动中心"
    first, second = scene.items
    client.post(url, {"action": "reorder", f"order-{first.pk}": "2", f"order-{second.pk}": "1"})
    assert list(scene.meeting.items.values_list("pk", flat=True)) == [second.pk, first.pk]
    client.post(url, {"action": "cancel", "reason": "停电"})
    scene.meeting.refresh_from_db()
    assert scene.meeting.status == MeetingStatus.CANCELLED
    log = client.get(url).content.decode()
    assert "停电" in log and "与社区活动冲突" in log


# --- the websocket command ---------------------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_poll_reopen_over_the_socket_for_the_facilitator_only(live) -> None:
    from channels.db import database_sync_to_async as db

    scene = await db(meeting_scene)(open_meeting=True)
    await db(checkin)(scene, scene.participants[:1])
    await db(services.meeting_poll_open)(
        meeting=scene.meeting, poll=scene.poll, actor=scene.facilitator
    )
    await db(services.meeting_poll_close)(
        meeting=scene.meeting, poll=scene.poll, actor=scene.facilitator
    )
    participant = await live(scene.meeting.pk, scene.participants[0])
    state = await participant.recv()
    assert state["agenda"]["items"][0]["poll_reopenable"] is True
    await participant.send({"type": "poll.reopen", "poll": scene.poll.pk, "ref": "p"})
    assert (await participant.until("error", ref="p"))["code"] == "forbidden"
    facilitator = await live(scene.meeting.pk, scene.facilitator)
    await facilitator.recv()
    await facilitator.send({"type": "poll.reopen", "poll": scene.poll.pk, "reason": "误点"})
    opened = await participant.until("poll.opened")
    assert opened["poll"]["status"] == PollStatus.OPEN
    # Reopening an open poll is refused with a clear code, and the connection stays usable.
    await facilitator.send({"type": "poll.reopen", "poll": scene.poll.pk, "ref": "again"})
    assert (await facilitator.until("error", ref="again"))["code"] == "bad_state"


def test_admin_page_completes_and_assigns_a_draft_resolution() -> None:
    from deliberation.registry.rules import Role
    from tests.meetings.test_roles_meetings import with_role

    scene = meeting_scene(open_meeting=True)
    committee = with_role(scene.community, scene.facilitator, Role.FACILITATOR)
    checkin(scene, scene.participants[:2])
    services.meeting_poll_open(meeting=scene.meeting, poll=scene.poll, actor=committee)
    for user in scene.participants[:2]:
        vote(scene, user, "yes")
    services.meeting_close(meeting=scene.meeting, actor=committee)
    draft = Resolution.objects.get(status=ResolutionStatus.DRAFT)
    client = Client()
    client.force_login(committee)
    url = reverse("meetings_admin_manage", args=[scene.meeting.pk])
    assert "待完善的决议草稿" in client.get(url).content.decode()
    prefix = f"r{draft.pk}-"
    fields = {
        "action": "assign",
        prefix + "resolution": draft.pk,
        prefix + "responsible_party": Party.PROPERTY,
        prefix + "deadline": (timezone.localdate() + timedelta(days=30)).isoformat(),
    }
    bad = client.post(url, {**fields, prefix + "decision": ""})
    assert bad.status_code == 400
    draft.refresh_from_db()
    assert draft.status == ResolutionStatus.DRAFT
    done = client.post(url, {**fields, prefix + "decision": "物业负责安装充电桩"})
    assert done.status_code == 302
    draft.refresh_from_db()
    assert (draft.status, draft.responsible_party, draft.decision) == (
        ResolutionStatus.IN_PROGRESS,
        Party.PROPERTY,
        "物业负责安装充电桩",
    )
