"""Notices that follow an owners' poll (issue 15 point 5): drafted on the desk for staff to
issue, progress (participation only), changes (pause, outage, resume, extend), the final result
with the objections and answers, the chain head on each; PDFs read back."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from deliberation.models import Community
from deliberation.registry.rules import Role
from deliberation.registry.services import roles_ensure
from meetings.minutes.notices import (
    NoticeNotReady,
    notice_issue,
    poll_notice_drafts,
)
from meetings.models import NoticeKind, RenderStatus
from tests.factories.votes import committee_staff, option_id, owners_estate, owners_poll
from tests.meetings.pdf_helpers import (
    pdf_text,
    require_cjk_font_and_poppler,  # noqa: F401 - autouse: fail clearly without the fonts
    squash,
)
from votes import selectors, services
from votes.models import BallotChannel, Poll

pytestmark = pytest.mark.django_db


@pytest.fixture
def estate():
    return owners_estate()


@pytest.fixture
def staff(estate):
    user = committee_staff(estate.community)
    user.groups.add(roles_ensure()[Role.FACILITATOR])  # issues notices
    return user


@pytest.fixture
def poll(estate, staff):
    return owners_poll(estate, closes_at=timezone.now() + dt.timedelta(days=7))


def issue(capture, **kwargs):
    with capture(execute=True):
        notice, issued = notice_issue(**kwargs)
    notice.refresh_from_db()
    return notice, issued


def read(notice) -> str:
    assert notice.render_status == RenderStatus.OK, notice.render_error
    return squash(pdf_text(notice.document.file.path))


def drafts(community):
    return [
        (d.poll.pk, d.kind) for d in poll_notice_drafts(Community.objects.filter(pk=community.pk))
    ]


def test_drafts_follow_the_poll_and_nothing_is_issued_by_itself(
    estate, staff, poll, django_capture_on_commit_callbacks
):
    community = estate.community
    assert drafts(community) == [(poll.pk, NoticeKind.POLL_OPENING)]
    assert poll.notices.count() == 0  # drafted, not issued
    issue(django_capture_on_commit_callbacks, poll=poll, kind=NoticeKind.POLL_OPENING, actor=staff)
    assert drafts(community) == []
    services.poll_pause(poll=poll, actor=staff, reason="平台升级", online_only=True)
    assert drafts(community) == [(poll.pk, NoticeKind.POLL_CHANGE)]
    issue(django_capture_on_commit_callbacks, poll=poll, kind=NoticeKind.POLL_CHANGE, actor=staff)
    assert drafts(community) == []
    services.poll_resume(poll=poll, actor=staff, reason="平台恢复")
    assert drafts(community) == [(poll.pk, NoticeKind.POLL_CHANGE)]
    issue(django_capture_on_commit_callbacks, poll=poll, kind=NoticeKind.POLL_CHANGE, actor=staff)
    closed = services.poll_close(poll=poll, actor=staff)
    assert drafts(community) == [(poll.pk, NoticeKind.PRELIMINARY_RESULT)]
    issue(django_capture_on_commit_callbacks, poll=closed, actor=staff)
    assert drafts(community) == []
    Poll.objects.filter(pk=poll.pk).update(objection_until=timezone.now())
    final = services.poll_finalise(poll=closed, actor=staff)
    assert drafts(community) == [(poll.pk, NoticeKind.FINAL_RESULT)]
    notice, _ = issue(django_capture_on_commit_callbacks, poll=final, actor=staff)
    assert notice.kind == NoticeKind.FINAL_RESULT
    assert drafts(community) == []


def test_draft_list_costs_the_same_queries_for_few_and_many_polls(
    estate, staff, django_assert_max_num_queries
):
    community = Community.objects.filter(pk=estate.community.pk)
    first = owners_poll(estate)
    services.poll_pause(poll=first, actor=staff, reason="暂停")
    with django_assert_max_num_queries(3):
        assert len(poll_notice_drafts(community)) == 2
    for _ in range(6):
        extra = owners_poll(estate)
        services.poll_pause(poll=extra, actor=staff, reason="暂停")
    with django_assert_max_num_queries(3):
        assert len(poll_notice_drafts(community)) == 14


def test_progress_notice_shows_participation_never_choices(
    estate, staff, poll, django_capture_on_commit_callbacks
):
    for owner in estate.owners[:4]:
        services.ballot_cast(poll=poll, voter=owner, choice={"choice": option_id(poll, 0)})
    poll.refresh_from_db()
    notice, issued = issue(
        django_capture_on_commit_callbacks, poll=poll, kind=NoticeKind.POLL_PROGRESS, actor=staff
    )
    assert issued
    part = notice.content["participation"]
    assert (part["ballots"], part["headcount"], part["total_headcount"]) == (
        4,
        4,
        poll.total_headcount,
    )
    assert part["headcount_met"] is False
    assert notice.content["chain"]["seq"] == 4
    assert notice.content["chain"]["head"] == poll.chain_head
    text = read(notice)
    assert "表决进度公告" in text and "已参与表决" in text and "尚未达到" in text
    assert poll.chain_head in text
    assert "赞成" not in text  # no choice is printed while the poll runs


def test_change_notice_for_an_outage_prints_reason_reconciliation_and_chain(
    estate, staff, poll, django_capture_on_commit_callbacks
):
    with pytest.raises(NoticeNotReady):
        notice_issue(poll=poll, kind=NoticeKind.POLL_CHANGE, actor=staff)
    services.ballot_cast(poll=poll, voter=estate.owners[0], choice={"choice": option_id(poll)})
    services.poll_pause(poll=poll, actor=staff, reason="市平台升级维护", online_only=True)
    poll.refresh_from_db()
    notice, _ = issue(
        django_capture_on_commit_callbacks, poll=poll, kind=NoticeKind.POLL_CHANGE, actor=staff
    )
    assert notice.title.endswith("暂停网上表决的公告")
    assert notice.content["chain"]["seq"] == 1
    text = read(notice)
    assert "市平台升级维护" in text and "纸质表决票" in text and "不能在网上重复表决" in text
    assert poll.chain_head in text
    # A paper ballot during the outage, then resume with a later closing time.
    key = selectors.voter_keys_for_user(poll, estate.owners[1])[0]
    services.ballot_cast(
        poll=poll,
        voter=key,
        choice={"choice": option_id(poll)},
        channel=BallotChannel.PAPER,
        entered_by=staff,
    )
    services.poll_resume(
        poll=poll,
        actor=staff,
        reason="平台恢复",
        closes_at=timezone.now() + dt.timedelta(days=10),
    )
    poll.refresh_from_db()
    second, _ = issue(
        django_capture_on_commit_callbacks, poll=poll, kind=NoticeKind.POLL_CHANGE, actor=staff
    )
    assert second.supersedes_id == notice.pk
    assert second.title.endswith("延长表决期的公告")
    history = [line["kind"] for line in second.content["history"]]
    assert history == ["outage", "resumed", "extended"]
    assert second.content["chain"]["seq"] == 2
    text = read(second)
    assert "表决期变动记录" in text and "恢复表决" in text and "平台恢复" in text


def test_opening_notice_carries_the_declared_rules_and_the_opening_chain_head(
    estate, staff, poll, django_capture_on_commit_callbacks
):
    services.ballot_cast(poll=poll, voter=estate.owners[0], choice={"choice": option_id(poll)})
    poll.refresh_from_db()
    notice, _ = issue(
        django_capture_on_commit_callbacks, poll=poll, kind=NoticeKind.POLL_OPENING, actor=staff
    )
    assert notice.content["chain"]["seq"] == 0  # the head published when it opened
    assert any("三分之二" in line for line in notice.content["rules"])
    text = read(notice)
    assert "本次表决规则" in text and "规则自表决开始起固定" in text
    assert notice.content["chain"]["head"] in text


def test_final_notice_lists_objections_and_answers_without_names(
    estate, staff, poll, django_capture_on_commit_callbacks
):
    for owner in estate.owners:
        services.ballot_cast(poll=poll, voter=owner, choice={"choice": option_id(poll)})
    closed = services.poll_close(poll=poll, actor=staff)
    objection = services.objection_record(
        poll=closed,
        actor=staff,
        objector_name="王秀英",
        unit_label="1号楼301",
        text="我家的纸质票没有计入",
        channel="letter",
    )
    services.objection_answer(objection=objection, actor=staff, answer="经核对该票已计入")
    Poll.objects.filter(pk=poll.pk).update(objection_until=timezone.now())
    final = services.poll_finalise(poll=closed, actor=staff)
    notice, _ = issue(django_capture_on_commit_callbacks, poll=final, actor=staff)
    assert notice.content["objections"][0]["answer"] == "经核对该票已计入"
    assert notice.content["chain"]["seq"] == final.ballot_seq
    text = read(notice)
    assert "异议及答复" in text and "我家的纸质票没有计入" in text and "经核对该票已计入" in text
    assert "王秀英" not in text and "1号楼301" not in text
    assert final.chain_head in text and "本结果为最终结果" in text
