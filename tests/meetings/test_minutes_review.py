"""The facilitator reviews the minutes: corrections kept as revisions, final before public, and
approval by an agenda item of a later meeting."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from deliberation.models import Party
from meetings.exceptions import MeetingRefused
from meetings.minutes.services import (
    minutes_approval_link,
    minutes_approve,
    minutes_finalise,
    minutes_revise,
)
from meetings.models import (
    AgendaItem,
    Meeting,
    MeetingStatus,
    MinutesRecord,
    MinutesRevision,
    MinutesStatus,
    RenderStatus,
)
from meetings.services import meeting_close
from tests.factories.base import CommunityFactory, MemberFactory, UserFactory
from tests.factories.minutes import SHANGHAI, build_minutes_scene
from tests.meetings.pdf_helpers import (
    pdf_text,
    require_cjk_font_and_poppler,  # noqa: F401 - autouse: fail clearly without the fonts
    squash,
)
from votes.models import Poll, PollStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene():
    return build_minutes_scene()


@pytest.fixture
def record(scene):
    """The draft as the render on close left it (rendered; renders here only where read)."""
    return MinutesRecord.objects.create(meeting=scene.meeting, render_status=RenderStatus.OK)


def admin_user(community, party=Party.COMMITTEE):
    user = UserFactory()
    MemberFactory(community=community, user=user, party=party, is_council_member=True)
    user.user_permissions.add(
        Permission.objects.get(codename="access_admin", content_type__app_label="wagtailadmin")
    )
    return user


def later_meeting(scene, *, status=MeetingStatus.LIVE) -> Meeting:
    return Meeting.objects.create(
        community=scene.community,
        title="2027年第一季度四方议事会",
        starts_at=datetime(2027, 1, 15, 19, 0, tzinfo=SHANGHAI),
        place="社区党群服务中心二楼会议室",
        facilitator=scene.facilitator,
        status=status,
    )


def test_corrections_are_kept_as_revisions_and_printed(
    scene, record, django_capture_on_commit_callbacks
):
    parking = AgendaItem.objects.get(meeting=scene.meeting, sort_order=0)
    with django_capture_on_commit_callbacks(execute=True):
        first = minutes_revise(
            record=record,
            actor=scene.facilitator,
            summary="会议审议南门停车方案。",
            item_notes={parking.pk: "物业承诺时间更正为两周内。"},
            reason="更正承诺时间",
        )
        second = minutes_revise(
            record=record,
            actor=scene.facilitator,
            summary="会议审议南门停车方案,方案一获得通过。",
            item_notes={str(parking.pk): "物业承诺两周内出具划线图纸。"},
        )
    assert (first.number, second.number) == (1, 2)
    revisions = list(MinutesRevision.objects.filter(record=record).order_by("number"))
    assert [r.author for r in revisions] == [scene.facilitator, scene.facilitator]
    assert revisions[0].summary == "会议审议南门停车方案。"  # the earlier revision is kept
    assert revisions[0].reason == "更正承诺时间"
    assert revisions[0].at <= revisions[1].at
    record.refresh_from_db()
    assert record.render_attempts == 1  # one render for both corrections
    text = squash(pdf_text(record.document.file.path))
    assert "会议审议南门停车方案,方案一获得通过。" in text
    assert "物业承诺两周内出具划线图纸。" in text
    assert "更正为两周内" not in text  # only the latest revision applies
    assert "第2次修订" in text
    assert "草稿:待主持人审核更正,非定稿" in text

    # Drafts are not public; the community's committee staff can read them.
    url = reverse("meeting-minutes-pdf", args=[scene.community.slug, scene.meeting.pk])
    public = Client().get(url)
    assert public.status_code == 404
    assert "正在审核" in public.content.decode()
    staff = Client()
    staff.force_login(scene.facilitator)
    assert staff.get(url).status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        minutes_finalise(record=record, actor=scene.facilitator)
    record.refresh_from_db()
    assert record.status == MinutesStatus.FINAL
    assert record.finalised_by == scene.facilitator and record.finalised_at is not None
    final_text = squash(pdf_text(record.document.file.path))
    assert "待主持人审核更正" not in final_text
    assert "定稿" in final_text
    response = Client().get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"


def test_final_minutes_cannot_be_revised_and_others_cannot_review(scene, record):
    with pytest.raises(MeetingRefused) as refused:
        minutes_revise(record=record, actor=scene.members["property"].user, summary="改")
    assert refused.value.code == "forbidden"
    outsider = admin_user(CommunityFactory())
    with pytest.raises(MeetingRefused):
        minutes_finalise(record=record, actor=outsider)
    with pytest.raises(MeetingRefused) as refused:
        minutes_revise(record=record, actor=scene.facilitator, item_notes={999999: "别的会"})
    assert refused.value.code == "not_found"
    minutes_finalise(record=record, actor=scene.facilitator)
    with pytest.raises(MeetingRefused) as refused:
        minutes_revise(record=record, actor=scene.facilitator, summary="晚了")
    assert refused.value.code == "bad_state"
    assert not MinutesRevision.objects.exists()


def test_the_next_meeting_approves_the_minutes_when_it_closes(scene, record):
    minutes_finalise(record=record, actor=scene.facilitator)
    nxt = later_meeting(scene)
    item = AgendaItem.objects.create(meeting=nxt, title="确认上次会议纪要", sort_order=0)
    # Only a later meeting of the same community may approve them.
    earlier = Meeting.objects.create(
        community=scene.community,
        title="更早的会议",
        starts_at=datetime(2026, 10, 1, 19, 0, tzinfo=SHANGHAI),
        place="会议室",
        facilitator=scene.facilitator,
    )
    early_item = AgendaItem.objects.create(meeting=earlier, title="早", sort_order=0)
    with pytest.raises(MeetingRefused):
        minutes_approval_link(record=record, item=early_item, actor=scene.facilitator)
    with pytest.raises(MeetingRefused):  # not adopted yet: the meeting is still going on
        minutes_approval_link(record=record, item=item, actor=scene.facilitator)
        minutes_approve(record=record, actor=scene.facilitator)
    record.refresh_from_db()
    assert record.approval_item == item and record.status == MinutesStatus.FINAL

    meeting_close(meeting=nxt, actor=scene.facilitator)
    record.refresh_from_db()
    assert record.status == MinutesStatus.APPROVED
    assert record.approved_at is not None


def test_a_failed_approval_vote_leaves_the_minutes_final(scene, record):
    minutes_finalise(record=record, actor=scene.facilitator)
    nxt = later_meeting(scene, status=MeetingStatus.CLOSED)
    poll = Poll.objects.create(
        community=scene.community,
        question="是否确认上次会议纪要",
        kind="deliberative",
        electorate="attendees",
        method="yesno",
        rule="majority",
        status=PollStatus.FINAL,
        result={"verdict": "failed"},
        created_by=scene.facilitator,
    )
    item = AgendaItem.objects.create(meeting=nxt, title="确认纪要", poll=poll, sort_order=0)
    minutes_approval_link(record=record, item=item, actor=scene.facilitator)
    with pytest.raises(MeetingRefused) as refused:
        minutes_approve(record=record, actor=scene.facilitator)
    assert refused.value.code == "bad_state"
    Poll.objects.filter(pk=poll.pk).update(result={"verdict": "passed"})
    minutes_approve(record=record, actor=scene.facilitator)
    record.refresh_from_db()
    assert record.status == MinutesStatus.APPROVED


def test_admin_review_pages_are_for_the_communitys_committee(scene, record):
    staff = admin_user(scene.community)
    client = Client()
    client.force_login(staff)
    listing = client.get(reverse("meetings_minutes_review_list"))
    assert listing.status_code == 200
    assert scene.meeting.title in listing.content.decode()
    url = reverse("meetings_minutes_review", args=[record.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "楼道堆物清理" in page.content.decode()
    other_item = AgendaItem.objects.get(meeting=scene.meeting, sort_order=1)
    response = client.post(
        url,
        {
            "action": "revise",
            "summary": "摘要",
            f"correction_{other_item.pk}": "改为下周组织清理。",
            "reason": "更正日期",
        },
    )
    assert response.status_code == 302
    revision = MinutesRevision.objects.get(record=record)
    assert revision.author == staff
    assert revision.item_notes == {str(other_item.pk): "改为下周组织清理。"}
    # A bad action is refused with a message and writes nothing.
    client.post(url, {"action": "destroy"})
    assert MinutesRevision.objects.count() == 1
    client.post(url, {"action": "finalise"})
    record.refresh_from_db()
    assert record.status == MinutesStatus.FINAL

    # Committee staff of another community: 404; property staff refused; anonymous: sign in.
    other = Client()
    other.force_login(admin_user(CommunityFactory()))
    assert other.get(url).status_code == 404
    prop = Client()
    prop.force_login(admin_user(scene.community, party=Party.PROPERTY))
    # Wagtail answers a refused admin view (PermissionDenied) with a redirect to the dashboard.
    refused = prop.get(url)
    assert (refused.status_code, refused["Location"]) == (302, reverse("wagtailadmin_home"))
    assert prop.post(url, {"action": "finalise"})["Location"] == reverse("wagtailadmin_home")
    anonymous = Client().get(url)
    assert anonymous.status_code == 302
    assert MinutesRecord.objects.get(pk=record.pk).status == MinutesStatus.FINAL


def test_final_minutes_of_a_private_meeting_stay_in_its_community(
    scene, record, django_capture_on_commit_callbacks
):
    """Global is_staff is no scope: another community's staff get the same 404 as the public."""
    Meeting.objects.filter(pk=scene.meeting.pk).update(is_public=False)
    with django_capture_on_commit_callbacks(execute=True):
        minutes_finalise(record=record, actor=scene.facilitator)
    url = reverse("meeting-minutes-pdf", args=[scene.community.slug, scene.meeting.pk])
    elsewhere = admin_user(CommunityFactory())
    elsewhere.is_staff = True
    elsewhere.save(update_fields=["is_staff"])
    member = UserFactory()
    MemberFactory(community=scene.community, user=member, party=Party.RESIDENT)
    for user, expected in ((None, 404), (elsewhere, 404), (member, 200)):
        client = Client()
        if user is not None:
            client.force_login(user)
        assert client.get(url).status_code == expected, user
