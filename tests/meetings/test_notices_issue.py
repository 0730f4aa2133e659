"""Notices issued by committee staff (issue 13 point 4) and links that work where the site runs
(point 6): every kind, who may issue, withdrawal and reissue with their history, the posting
photo, the PDF read back (serial, period, Ht/At) and its QR code decoded on a non-default port."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from deliberation.exceptions import InvalidInput, NotPermitted
from deliberation.models import Party, User
from deliberation.registry.rules import Role
from deliberation.registry.services import roles_ensure
from meetings.minutes.notices import (
    NoticeDetails,
    NoticeNotReady,
    NoticeRefused,
    notice_attach_posting_photo,
    notice_issue,
    notice_reissue,
    notice_withdraw,
)
from meetings.models import AgendaItem, Meeting, MeetingStatus, Notice, NoticeKind, RenderStatus
from tests.factories.minutes import build_minutes_scene
from tests.factories.proposals import image_bytes
from tests.meetings.pdf_helpers import (
    page_count,
    pdf_text,
    qr_codes_on_page,
    require_cjk_font_and_poppler,  # noqa: F401 - autouse: fail clearly without the fonts
    squash,
)
from votes.models import PollStatus

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 11, 23)
# Not the development default (127.0.0.1:8000): the QR codes must follow SITE_URL.
SITE = "http://127.0.0.1:8765"


@pytest.fixture
def scene(settings):
    settings.SITE_URL = SITE
    scene = build_minutes_scene()
    groups = roles_ensure()
    for key, role in (("facilitator", Role.FACILITATOR), ("property", Role.PROPERTY)):
        scene.members[key].user.groups.add(groups[role])
    return scene


def staff(scene, key: str) -> User:
    # A fresh object: permissions are cached per user object.
    return User.objects.get(pk=scene.members[key].user_id)


def issued(django_capture_on_commit_callbacks, **kwargs):
    with django_capture_on_commit_callbacks(execute=True):
        notice, new = notice_issue(today=DAY, **kwargs)
    notice.refresh_from_db()
    return notice, new


def read(notice: Notice) -> str:
    assert notice.render_status == RenderStatus.OK, notice.render_error
    return squash(pdf_text(notice.document.file.path))


def qr(notice: Notice, tmp_path) -> list[str]:
    path = notice.document.file.path
    return qr_codes_on_page(path, tmp_path, page=page_count(path))


def open_poll(scene) -> None:
    poll = scene.poll
    poll.status = PollStatus.OPEN
    poll.result = None
    poll.opened_at = datetime(2026, 11, 23, 9, 0, tzinfo=SHANGHAI)
    poll.closes_at = datetime(2026, 12, 7, 18, 0, tzinfo=SHANGHAI)
    poll.save()


def test_poll_opening_notice_prints_frozen_totals_period_and_where_paper_ballots_go(
    scene, django_capture_on_commit_callbacks, tmp_path
):
    open_poll(scene)
    committee = staff(scene, "facilitator")
    notice, new = issued(
        django_capture_on_commit_callbacks,
        poll=scene.poll,
        kind=NoticeKind.POLL_OPENING,
        actor=committee,
        details=NoticeDetails(paper_ballots="社区居委会一楼票箱(工作日 9:00–17:00)"),
    )
    assert new and notice.kind == NoticeKind.POLL_OPENING and notice.issued_by == committee
    # Posted at least until the poll closes.
    assert (notice.posted_from, notice.posted_until) == (DAY, date(2026, 12, 7))
    text = read(notice)
    for expected in (
        "关于“南门停车采用哪个方案”的表决公告",
        "民主村公示〔2026〕第1号",
        # Ht and At, frozen when the poll opened, and the voting period.
        "总人数200专有部分总面积17,000.00㎡",
        "表决期2026年11月23日09:00至2026年12月7日18:00",
        "表决方式:扫描本公告二维码或登录本平台",
        "纸质表决票交回地点:社区居委会一楼票箱(工作日9:00–17:00)",
        "公示期:2026年11月23日至2026年12月7日",
    ):
        assert expected in text, expected
    assert qr(notice, tmp_path) == [f"{SITE}/minzhu/polls/{scene.poll.pk}/"]


def test_an_opening_notice_needs_an_opened_poll(scene):
    scene.poll.status = PollStatus.DRAFT
    scene.poll.total_headcount = None
    scene.poll.save()
    with pytest.raises(NoticeNotReady):
        notice_issue(poll=scene.poll, kind=NoticeKind.POLL_OPENING, today=DAY)
    assert not Notice.objects.exists()


def test_preliminary_then_final_result_notices(scene, django_capture_on_commit_callbacks, tmp_path):
    committee = staff(scene, "facilitator")
    scene.poll.closed_at = datetime(2026, 11, 22, 20, 0, tzinfo=SHANGHAI)
    scene.poll.objection_until = datetime(2026, 12, 3, 20, 0, tzinfo=SHANGHAI)
    scene.poll.save()
    with pytest.raises(NoticeNotReady):  # the objection period still runs
        notice_issue(poll=scene.poll, kind=NoticeKind.FINAL_RESULT, actor=committee, today=DAY)

    preliminary, _ = issued(
        django_capture_on_commit_callbacks,
        poll=scene.poll,
        kind=NoticeKind.PRELIMINARY_RESULT,
        actor=committee,
        posting_days=3,
    )
    # Posted for the whole objection period, however short the posting days asked.
    assert preliminary.posted_until == date(2026, 12, 3)
    text = read(preliminary)
    assert "本结果为初步结果" in text
    assert "异议期截止:2026年12月3日20:00" in text
    assert "表决范围总数20017,000.00㎡" in text
    assert qr(preliminary, tmp_path) == [f"{SITE}/minzhu/polls/{scene.poll.pk}/"]

    scene.poll.status = PollStatus.FINAL
    scene.poll.save()
    final, new = issued(
        django_capture_on_commit_callbacks,
        poll=scene.poll,
        kind=NoticeKind.FINAL_RESULT,
        actor=committee,
    )
    assert new and final.kind == NoticeKind.FINAL_RESULT
    assert final.supersedes_id == preliminary.pk
    text = read(final)
    assert "关于“南门停车采用哪个方案”的表决最终结果公告" in text
    assert "本结果为最终结果" in text
    assert "本公告取代民主村公示〔2026〕第1号" in text


def test_resolution_and_meeting_notices(scene, django_capture_on_commit_callbacks, tmp_path):
    committee = staff(scene, "facilitator")
    resolution_notice, _ = issued(
        django_capture_on_commit_callbacks, resolution=scene.resolution, actor=committee
    )
    assert resolution_notice.kind == NoticeKind.RESOLUTION
    assert "关于“南门停车秩序整治”的决议公示" in read(resolution_notice)

    meeting = Meeting.objects.create(
        community=scene.community,
        title="十二月四方议事会",
        starts_at=datetime(2026, 12, 10, 19, 0, tzinfo=SHANGHAI),
        place="民主村党群服务中心二楼",
        facilitator=committee,
        status=MeetingStatus.SCHEDULED,
    )
    AgendaItem.objects.create(meeting=meeting, title="南门划线停车收费标准", sort_order=0)
    AgendaItem.objects.create(meeting=meeting, title="加装电梯意见征集", sort_order=1)
    meeting_notice, _ = issued(django_capture_on_commit_callbacks, meeting=meeting, actor=committee)
    assert meeting_notice.kind == NoticeKind.MEETING
    assert meeting_notice.posted_until == date(2026, 12, 10)  # posted until the meeting day
    assert meeting_notice.number == 2
    text = read(meeting_notice)
    for expected in (
        "关于召开“十二月四方议事会”的公告",
        "民主村公示〔2026〕第2号",
        "2026年12月10日19:00",
        "民主村党群服务中心二楼",
        "南门划线停车收费标准",
        "加装电梯意见征集",
    ):
        assert expected in text, expected
    assert qr(meeting_notice, tmp_path) == [f"{SITE}/minzhu/meetings/{meeting.pk}/"]

    meeting.status = MeetingStatus.CLOSED
    meeting.save()
    with pytest.raises(NoticeNotReady):
        notice_issue(meeting=meeting, actor=committee, today=DAY)


def test_only_committee_staff_of_the_community_issue_withdraw_or_reissue(
    scene, django_capture_on_commit_callbacks
):
    other = build_minutes_scene(slug="xingfu", name="幸福里")
    other_committee = other.members["facilitator"].user
    other_committee.groups.add(roles_ensure()[Role.FACILITATOR])
    refused = [
        staff(scene, "property"),  # property staff, with the property role
        staff(scene, "resident"),
        User.objects.get(pk=other_committee.pk),  # committee staff of another community
        # Committee party in the community but without the role (no permission).
        User.objects.get(pk=scene.members["facilitator"].user_id),
    ]
    refused[-1].groups.clear()
    for user in refused:
        with pytest.raises(NotPermitted):
            notice_issue(poll=scene.poll, actor=user, today=DAY)
    assert not Notice.objects.exists()

    notice, _ = issued(django_capture_on_commit_callbacks, poll=scene.poll)
    for user in refused[:3]:
        with pytest.raises(NotPermitted):
            notice_withdraw(notice=notice, actor=user, reason="错误")
        with pytest.raises(NotPermitted):
            notice_reissue(notice=notice, actor=user, reason="错误")
        with pytest.raises(NotPermitted):
            notice_attach_posting_photo(
                notice=notice,
                actor=user,
                upload=SimpleUploadedFile("board.jpg", image_bytes(), content_type="image/jpeg"),
            )
    notice.refresh_from_db()
    assert notice.withdrawn_at is None and not notice.posting_photo
    assert Notice.objects.count() == 1
    assert scene.members["property"].party == Party.PROPERTY


def test_withdraw_and_reissue_keep_the_history(scene, django_capture_on_commit_callbacks):
    committee = staff(scene, "facilitator")
    first, _ = issued(django_capture_on_commit_callbacks, poll=scene.poll, actor=committee)
    first_pdf = read(first)

    with pytest.raises(NoticeRefused):
        notice_reissue(notice=first, actor=committee, reason="  ")
    with django_capture_on_commit_callbacks(execute=True):
        second = notice_reissue(
            notice=first,
            actor=committee,
            reason="发布单位名称有误",
            issuing_body="民主村社区居民委员会",
            today=DAY,
        )
    second.refresh_from_db()
    assert second.supersedes_id == first.pk and second.number == 2
    assert second.reissue_reason == "发布单位名称有误"
    text = read(second)
    assert "本公告取代民主村公示〔2026〕第1号(更正原因:发布单位名称有误)" in text
    assert "民主村社区居民委员会" in text
    # The first notice is kept as posted: its record and its PDF are unchanged.
    first.refresh_from_db()
    assert first.issuing_body == "民主村四方议事会" and read(first) == first_pdf
    with pytest.raises(NoticeRefused):  # only the latest notice of a series is reissued
        notice_reissue(notice=first, actor=committee, reason="再次更正")

    with pytest.raises(NoticeRefused):
        notice_withdraw(notice=second, actor=committee, reason="")
    notice_withdraw(notice=second, actor=committee, reason="表决结果复核中")
    second.refresh_from_db()
    assert second.withdrawn_at is not None and second.withdrawn_by == committee
    assert second.withdrawal_reason == "表决结果复核中"
    with pytest.raises(NoticeRefused):
        notice_withdraw(notice=second, actor=committee, reason="again")
    # Issuing the same content again after a withdrawal posts a new notice (not the withdrawn).
    third, new = issued(
        django_capture_on_commit_callbacks,
        poll=scene.poll,
        actor=committee,
        issuing_body="民主村社区居民委员会",
    )
    assert new and third.supersedes_id == second.pk and third.number == 3
    assert list(Notice.objects.order_by("number").values_list("number", flat=True)) == [1, 2, 3]


def test_posting_photo_is_validated_and_stripped(scene, django_capture_on_commit_callbacks):
    committee = staff(scene, "facilitator")
    notice, _ = issued(django_capture_on_commit_callbacks, poll=scene.poll, actor=committee)
    with pytest.raises(InvalidInput):
        notice_attach_posting_photo(
            notice=notice,
            actor=committee,
            upload=SimpleUploadedFile("board.jpg", b"not an image", content_type="image/jpeg"),
        )
    notice.refresh_from_db()
    assert not notice.posting_photo
    with django_capture_on_commit_callbacks(execute=True):
        notice_attach_posting_photo(
            notice=notice,
            actor=committee,
            upload=SimpleUploadedFile(
                "board.jpg", image_bytes(size=(3000, 2000), gps=True), content_type="image/jpeg"
            ),
        )
    notice.refresh_from_db()
    assert notice.posting_photo.name.startswith("notices/")
    assert notice.posting_photo_by == committee and notice.posting_photo_at is not None
    with Image.open(notice.posting_photo.path) as image:
        assert max(image.size) == 1600
        assert not image.getexif()  # no GPS position, no camera
    notice_withdraw(notice=notice, actor=committee, reason="撤下")
    with pytest.raises(NoticeRefused):
        notice_attach_posting_photo(
            notice=notice,
            actor=committee,
            upload=SimpleUploadedFile("b.jpg", image_bytes(), content_type="image/jpeg"),
        )


# --- links that work where the site runs ----------------------------------------------------------


def _production_env(**extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"SITE_URL", "DATABASE_URL", "REDIS_URL"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY="p" * 60,
        SIFANG_OTP_SENDER="deliberation.accounts.senders.HttpSmsSender",
        SIFANG_SMS_URL="https://sms.example.org/send",
        SIFANG_BALLOT_CHAIN_KEY="c" * 40,
        ALLOWED_HOSTS="yishi.example.org",
    )
    env.update(extra)
    return env


def _settings_load(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.SITE_URL)",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_refuses_to_start_without_site_url():
    missing = _settings_load(_production_env())
    assert missing.returncode != 0
    assert "ImproperlyConfigured" in missing.stderr and "SITE_URL" in missing.stderr
    given = _settings_load(_production_env(SITE_URL="https://yishi.example.org/"))
    assert given.returncode == 0, given.stderr
    assert given.stdout.strip() == "https://yishi.example.org"


def test_make_demo_points_links_at_the_port_it_serves():
    env = {key: value for key, value in os.environ.items() if key != "SITE_URL"}
    dry_run = subprocess.run(
        ["make", "-n", "demo", "PORT=8123"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    seed = next(line for line in dry_run.splitlines() if "seed_demo" in line)
    assert seed.startswith("SITE_URL=http://127.0.0.1:8123 ")
    server = next(line for line in dry_run.splitlines() if "TASKS_BACKEND" in line)
    assert "SITE_URL=http://127.0.0.1:8123" in server
