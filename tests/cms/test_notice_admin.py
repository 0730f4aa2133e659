"""The notice desk in the admin (公示发布) and the public notice board: committee staff of a
community issue every kind of notice, withdraw and reissue with a reason and upload the posting
photo; nobody else can; the board shows current notices first and marks withdrawn ones."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from deliberation.models import User
from deliberation.registry.rules import Role
from deliberation.registry.services import roles_ensure
from meetings.minutes.notices import notice_issue, notice_withdraw
from meetings.models import Meeting, MeetingStatus, Notice, NoticeKind
from tests.factories.minutes import build_minutes_scene
from tests.factories.proposals import image_bytes
from votes.models import PollStatus
from votes.services import poll_pause

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def scene(wagtail_site):
    scene = build_minutes_scene()
    groups = roles_ensure()
    scene.members["facilitator"].user.groups.add(groups[Role.FACILITATOR])
    scene.members["property"].user.groups.add(groups[Role.PROPERTY])
    return scene


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def committee(scene) -> Client:
    return client_for(scene.members["facilitator"].user)


def test_committee_issues_each_kind_from_the_admin(scene, committee):
    page = committee.get(reverse("notices_admin_list"))
    assert page.status_code == 200
    for kind in NoticeKind:
        assert reverse("notices_admin_issue", args=[kind.value]) in page.content.decode()

    # Preliminary result of the closed poll.
    form = committee.get(reverse("notices_admin_issue", args=["vote_result"]))
    assert scene.poll.question in form.content.decode()
    response = committee.post(
        reverse("notices_admin_issue", args=["vote_result"]),
        {"subject": scene.poll.pk, "issuing_body": "", "posted_from": "", "posted_until": ""},
    )
    assert response.status_code == 302, response.content.decode()
    notice = Notice.objects.get()
    assert notice.kind == NoticeKind.PRELIMINARY_RESULT
    assert notice.issued_by_id == scene.members["facilitator"].user_id

    # The same content again: nothing new, and staff are told why.
    again = committee.post(
        reverse("notices_admin_issue", args=["vote_result"]),
        {"subject": scene.poll.pk},
        follow=True,
    )
    assert "未重复发布" in again.content.decode() and Notice.objects.count() == 1

    # Resolution, meeting, poll opening and final result.
    committee.post(
        reverse("notices_admin_issue", args=["resolution"]), {"subject": scene.resolution.pk}
    )
    meeting = Meeting.objects.create(
        community=scene.community,
        title="十二月四方议事会",
        starts_at=timezone.now() + timedelta(days=5),
        place="党群服务中心",
        facilitator=scene.members["facilitator"].user,
        status=MeetingStatus.SCHEDULED,
    )
    committee.post(reverse("notices_admin_issue", args=["meeting"]), {"subject": meeting.pk})
    scene.poll.status = PollStatus.FINAL
    scene.poll.save()
    committee.post(
        reverse("notices_admin_issue", args=["final_result"]), {"subject": scene.poll.pk}
    )
    scene.poll.status = PollStatus.OPEN
    scene.poll.result = None
    scene.poll.opened_at = datetime(2026, 11, 23, 9, 0, tzinfo=SHANGHAI)
    scene.poll.save()
    response = committee.post(
        reverse("notices_admin_issue", args=["poll_opening"]),
        {
            "subject": scene.poll.pk,
            "how_to_vote": "线上扫码表决,或领取纸质票。",
            "paper_ballots": "居委会一楼票箱",
        },
    )
    assert response.status_code == 302
    # Progress while open; a change notice once the poll was paused (pollnotices).
    response = committee.post(
        reverse("notices_admin_issue", args=["poll_progress"]), {"subject": scene.poll.pk}
    )
    assert response.status_code == 302
    poll_pause(poll=scene.poll, actor=scene.members["facilitator"].user, reason="选票印错")
    response = committee.post(
        reverse("notices_admin_issue", args=["poll_change"]), {"subject": scene.poll.pk}
    )
    assert response.status_code == 302
    kinds = set(Notice.objects.values_list("kind", flat=True))
    assert kinds == {kind.value for kind in NoticeKind}
    opening = Notice.objects.get(kind=NoticeKind.POLL_OPENING)
    assert opening.content["paper_ballots"] == "居委会一楼票箱"
    assert opening.content["poll"]["total_headcount"] == 200


def test_bad_input_is_refused_with_a_message_and_nothing_is_written(scene, committee):
    url = reverse("notices_admin_issue", args=["vote_result"])
    response = committee.post(
        url, {"subject": scene.poll.pk, "posted_from": "2026-12-10", "posted_until": "2026-12-01"}
    )
    assert response.status_code == 400
    assert "公示截止日期不能早于开始日期" in response.content.decode()
    response = committee.post(url, {"subject": "999999"})
    assert response.status_code == 400
    # A final result before the poll is final: the poll is not offered at all.
    response = committee.post(
        reverse("notices_admin_issue", args=["final_result"]), {"subject": scene.poll.pk}
    )
    assert response.status_code == 400
    assert committee.get(reverse("notices_admin_issue", args=["nonsense"])).status_code == 404
    assert not Notice.objects.exists()


def test_withdraw_reissue_and_photo_from_the_admin(scene, committee):
    notice, _ = notice_issue(poll=scene.poll)
    withdraw = reverse("notices_admin_withdraw", args=[notice.pk])
    reissue = reverse("notices_admin_reissue", args=[notice.pk])
    photo = reverse("notices_admin_photo", args=[notice.pk])

    assert committee.get(reissue).status_code == 200
    assert committee.post(reissue, {"reason": ""}).status_code == 400
    response = committee.post(reissue, {"reason": "公示期有误", "posted_until": "2026-12-31"})
    assert response.status_code == 302
    new = Notice.objects.get(supersedes=notice)
    assert new.reissue_reason == "公示期有误" and str(new.posted_until) == "2026-12-31"
    assert committee.post(reissue, {"reason": "again"}).status_code == 400  # already superseded

    bad = committee.post(
        reverse("notices_admin_photo", args=[new.pk]),
        {"photo": SimpleUploadedFile("board.jpg", b"GIF89a nonsense", content_type="image/gif")},
    )
    assert bad.status_code == 400 and "不是可识别的图片" in bad.content.decode()
    good = committee.post(
        reverse("notices_admin_photo", args=[new.pk]),
        {"photo": SimpleUploadedFile("board.jpg", image_bytes(), content_type="image/jpeg")},
    )
    assert good.status_code == 302
    new.refresh_from_db()
    assert new.posting_photo
    served = Client().get(reverse("notice-photo", args=["minzhu", new.year, new.number]))
    assert served.status_code == 200
    assert b"".join(served.streaming_content).startswith(b"\xff\xd8")  # a JPEG

    assert committee.post(withdraw, {"reason": ""}).status_code == 400
    assert committee.post(withdraw, {"reason": "表决结果复核中"}).status_code == 302
    notice.refresh_from_db()
    assert notice.withdrawal_reason == "表决结果复核中"
    assert committee.post(photo, {"photo": ""}).status_code == 400


def test_nobody_but_the_communitys_committee_uses_the_desk(scene, wagtail_site):
    notice, _ = notice_issue(poll=scene.poll)
    other = build_minutes_scene(slug="xingfu", name="幸福里")
    other.members["facilitator"].user.groups.add(roles_ensure()[Role.FACILITATOR])
    own_property = client_for(scene.members["property"].user)
    other_committee = client_for(other.members["facilitator"].user)
    resident = client_for(scene.members["resident"].user)
    anonymous = Client()
    urls = [
        reverse("notices_admin_list"),
        reverse("notices_admin_issue", args=["vote_result"]),
        reverse("notices_admin_withdraw", args=[notice.pk]),
        reverse("notices_admin_reissue", args=[notice.pk]),
        reverse("notices_admin_photo", args=[notice.pk]),
    ]
    for url in urls:
        assert anonymous.get(url).status_code == 302  # to the sign-in page
        assert resident.get(url).status_code in (302, 403)  # no admin access at all
        # Wagtail turns the refusal into a redirect to the admin home with a message.
        refused = own_property.get(url)
        assert (refused.status_code, refused.get("Location")) in ((403, None), (302, "/admin/"))
    # Committee staff of another community: their own desk, never this community's notices.
    assert other_committee.get(urls[0]).status_code == 200
    assert notice.serial not in other_committee.get(urls[0]).content.decode()
    for url in urls[2:]:
        assert other_committee.post(url, {"reason": "x"}).status_code == 404
    response = other_committee.post(urls[1], {"subject": scene.poll.pk})
    assert response.status_code == 400  # not among the choices
    notice.refresh_from_db()
    assert notice.withdrawn_at is None
    assert Notice.objects.count() == 1


def test_public_board_shows_current_notices_and_marks_withdrawn_ones(
    scene, django_assert_max_num_queries
):
    committee = User.objects.get(pk=scene.members["facilitator"].user_id)
    url = reverse("notice-list", args=["minzhu"])

    def issue_many(count: int) -> None:
        for _ in range(count):
            current = Notice.objects.filter(resolution=scene.resolution).order_by("-pk").first()
            if current is None:
                notice_issue(resolution=scene.resolution, actor=committee)
            else:
                from meetings.minutes.notices import notice_reissue

                notice_reissue(notice=current, actor=committee, reason="更正")

    issue_many(2)
    with django_assert_max_num_queries(8):
        small = Client().get(url)
    issue_many(10)
    with django_assert_max_num_queries(8):
        large = Client().get(url)
    assert small.status_code == large.status_code == 200

    withdrawn, _ = notice_issue(poll=scene.poll, actor=committee)
    notice_withdraw(notice=withdrawn, actor=committee, reason="数据复核中")
    page = Client().get(url).content.decode()
    latest = Notice.objects.filter(resolution=scene.resolution).order_by("-pk").first()
    assert latest is not None
    current_part, record_part = page.split("往期与已撤回、已取代的公示")
    assert latest.serial in current_part
    assert withdrawn.serial in record_part and "数据复核中" in record_part
    assert "已撤回" in record_part or "撤回" in record_part
    assert "已被 " + latest.serial + " 取代" in record_part
