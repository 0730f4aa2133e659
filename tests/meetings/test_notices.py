"""Notices (公示): A4 posters with a serial number, reissued only when what they show changes."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client

from deliberation.models import ProgressUpdate
from meetings.minutes import pdf
from meetings.minutes.notices import NoticeNotReady, notice_issue
from meetings.models import Notice, NoticeKind, RenderStatus
from tests.factories.minutes import build_minutes_scene
from tests.meetings.pdf_helpers import (
    pdf_fonts,
    pdf_text,
    qr_codes_on_page,
    require_cjk_font_and_poppler,  # noqa: F401 - autouse: fail clearly without the fonts
    squash,
)

pytestmark = pytest.mark.django_db

ISSUE_DAY = date(2026, 11, 23)


@pytest.fixture
def scene():
    return build_minutes_scene()


def issue(django_capture_on_commit_callbacks, **kwargs):
    with django_capture_on_commit_callbacks(execute=True):
        notice, issued = notice_issue(today=ISSUE_DAY, **kwargs)
    notice.refresh_from_db()
    return notice, issued


def test_vote_result_notice_shows_electorate_participation_rule_verdict_and_chain(
    scene, django_capture_on_commit_callbacks, tmp_path, settings
):
    notice, issued = issue(django_capture_on_commit_callbacks, poll=scene.poll)
    assert issued
    assert notice.kind == NoticeKind.PRELIMINARY_RESULT
    assert notice.serial == "民主村公示〔2026〕第1号"
    assert notice.render_status == RenderStatus.OK
    path = notice.document.file.path
    flat = squash(pdf_text(path))
    for expected in (
        "关于“南门停车采用哪个方案”的表决结果公告",
        "民主村公示〔2026〕第1号",
        "民主村四方议事会",  # the issuing body
        "公示期:2026年11月23日至2026年11月30日",  # 7 days, the community's objection period
        # The electorate's headcount and area, participation and the options by both.
        "表决范围总数20017,000.00㎡",
        "86.5%(173/200)",
        "15,000.00㎡",
        "88.2%(15000.00/17000.00㎡)",  # area shares unreduced, in m²
        # Approval by headcount and by area.
        "同意“方案一:划线停车”",
        "76.3%(132/173)",
        "74.9%(11234.56/15000.00㎡)",
        # The rule applied, thresholds, verdict with reasons, ballots by channel.
        "业主共同决定一般事项(双过半)",
        "参与表决人数173/200=86.5%≥2/3",
        "同意面积(方案一:划线停车)11234.56/15000.00㎡=74.9%>1/2",
        "表决结果:通过",
        "「方案一:划线停车」获得通过",
        "纸质票(工作人员录入)45",
        scene.poll.chain_head,
        "本结果为初步结果",
    ):
        assert expected in flat, expected
    fonts = pdf_fonts(path)
    assert fonts and all("CJK" in font["name"] and font["emb"] == "yes" for font in fonts)
    codes = qr_codes_on_page(path, tmp_path, page=_last_page(path))
    assert codes == [f"{settings.SITE_URL}/{scene.community.slug}/polls/{scene.poll.pk}/"]


def _last_page(path) -> int:
    from tests.meetings.pdf_helpers import page_count

    return page_count(path)


def test_notice_is_reissued_with_a_new_serial_only_when_its_content_changes(
    scene, django_capture_on_commit_callbacks
):
    first, issued = issue(django_capture_on_commit_callbacks, poll=scene.poll)
    assert issued
    again, issued_again = issue(django_capture_on_commit_callbacks, poll=scene.poll)
    assert not issued_again
    assert again.pk == first.pk
    assert Notice.objects.count() == 1

    # The objection period ends and the result becomes final: what the notice shows changed.
    scene.poll.status = "final"
    scene.poll.save()
    second, issued_second = issue(django_capture_on_commit_callbacks, poll=scene.poll)
    assert issued_second
    assert second.number == 2
    assert second.serial == "民主村公示〔2026〕第2号"
    assert second.supersedes_id == first.pk
    assert second.content_hash != first.content_hash
    flat = squash(pdf_text(second.document.file.path))
    assert "本公告取代民主村公示〔2026〕第1号" in flat
    assert "本结果为最终结果" in flat
    # The first notice is kept, unchanged, as the record of what was posted.
    first.refresh_from_db()
    assert first.content["final"] is False
    assert first.document is not None


def test_resolution_notice_shows_the_decision_and_its_progress(
    scene, django_capture_on_commit_callbacks, tmp_path, settings
):
    ProgressUpdate.objects.create(
        resolution=scene.resolution,
        author=scene.members["property"].user,
        text="已完成划线图纸设计,报街道审核。",
        percent=30,
    )
    notice, issued = issue(django_capture_on_commit_callbacks, resolution=scene.resolution)
    assert issued
    assert notice.kind == NoticeKind.RESOLUTION
    path = notice.document.file.path
    flat = squash(pdf_text(path))
    for expected in (
        "关于“南门停车秩序整治”的决议公示",
        "民主村公示〔2026〕第1号",
        "按方案一在南门划线停车,设置消防通道标识。",
        "方案一:划线停车",
        "物业·李建国",
        "2026年12月31日",
        "已完成划线图纸设计,报街道审核。",
        "30%",
    ):
        assert expected in flat, expected
    codes = qr_codes_on_page(path, tmp_path, page=_last_page(path))
    assert codes == [
        f"{settings.SITE_URL}/{scene.community.slug}/resolutions/{scene.resolution.pk}/"
    ]

    # Unchanged progress: no new notice. New progress: a new serial that supersedes the old one.
    same, issued_same = issue(django_capture_on_commit_callbacks, resolution=scene.resolution)
    assert not issued_same and same.pk == notice.pk
    ProgressUpdate.objects.create(
        resolution=scene.resolution,
        author=scene.members["property"].user,
        text="划线施工完成。",
        percent=100,
        is_completion=True,
    )
    newer, issued_newer = issue(django_capture_on_commit_callbacks, resolution=scene.resolution)
    assert issued_newer
    assert newer.supersedes_id == notice.pk
    assert "划线施工完成。" in squash(pdf_text(newer.document.file.path))


def test_serials_count_per_community_and_year(scene, django_capture_on_commit_callbacks):
    other = build_minutes_scene(slug="xingfu", name="幸福里")
    a, _ = issue(django_capture_on_commit_callbacks, poll=scene.poll)
    b, _ = issue(django_capture_on_commit_callbacks, resolution=scene.resolution)
    c, _ = issue(django_capture_on_commit_callbacks, poll=other.poll)
    assert [a.number, b.number, c.number] == [1, 2, 1]
    assert c.serial == "幸福里公示〔2026〕第1号"


def test_a_poll_without_a_result_has_no_result_notice(scene):
    scene.poll.result = None
    scene.poll.save()
    with pytest.raises(NoticeNotReady):
        notice_issue(poll=scene.poll, today=ISSUE_DAY)
    assert not Notice.objects.exists()


def test_notice_pdf_route_and_notice_board(scene, django_capture_on_commit_callbacks):
    notice, _ = issue(django_capture_on_commit_callbacks, poll=scene.poll)
    client = Client()
    response = client.get(f"/{scene.community.slug}/notices/2026-1.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    assert client.get(f"/{scene.community.slug}/notices/2026-9.pdf").status_code == 404
    board = client.get(f"/{scene.community.slug}/notices/")
    assert board.status_code == 200
    page = board.content.decode()
    assert notice.serial in page
    assert "/minzhu/notices/2026-1.pdf" in page


def test_a_failed_notice_render_is_retried_and_visible(
    scene, monkeypatch, django_capture_on_commit_callbacks
):
    def broken(html, *, base_url=None):
        raise RuntimeError("排版失败")

    monkeypatch.setattr(pdf, "html_to_pdf", broken)
    notice, issued = issue(django_capture_on_commit_callbacks, poll=scene.poll)
    assert issued
    assert notice.render_status == RenderStatus.FAILED
    assert notice.render_attempts == 3
    assert "排版失败" in notice.render_error
    assert notice.content["poll"]["question"] == "南门停车采用哪个方案"  # the snapshot is kept
    response = Client().get(f"/{scene.community.slug}/notices/{notice.slug}.pdf")
    assert response.status_code == 404
    assert "尚未生成" in response.content.decode()


def test_a_headcount_poll_result_notice_prints_no_area_columns(
    scene, django_capture_on_commit_callbacks
):
    """Area counts only in owners' decisions: a residents' poll prints heads only."""
    from tests.factories.votes import option_id, resident_poll, residents
    from votes import services as vote_services

    voters = residents(scene.community, 3)
    poll = resident_poll(scene.community, question="中心花园长椅放在哪一侧")
    for voter in voters:
        vote_services.ballot_cast(poll=poll, voter=voter, choice={"choice": option_id(poll)})
    poll = vote_services.poll_close(poll=poll, actor=None)
    notice, issued = issue(django_capture_on_commit_callbacks, poll=poll)
    assert issued and notice.render_status == RenderStatus.OK
    flat = squash(pdf_text(notice.document.file.path))
    assert "中心花园长椅放在哪一侧" in flat and "东侧" in flat
    assert "面积" not in flat and "㎡" not in flat
