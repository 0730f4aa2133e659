"""Minutes (会议纪要): rendered in the background, kept as a Wagtail document, read back as PDF."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from django.test import Client

from deliberation.models import Party
from meetings.minutes import pdf, tasks
from meetings.minutes.context import minutes_context
from meetings.minutes.pdf import minutes_html
from meetings.minutes.services import minutes_enqueue
from meetings.models import (
    AgendaItem,
    MeetingStatus,
    MinutesRecord,
    MinutesStatus,
    Note,
    RenderStatus,
)
from tests.factories.minutes import build_minutes_scene
from tests.meetings.pdf_helpers import (
    pdf_fonts,
    pdf_text,
    qr_codes_on_page,
    require_cjk_font_and_poppler,  # noqa: F401 - autouse: fail clearly without the fonts
    squash,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene():
    return build_minutes_scene()


@pytest.fixture
def rendered(scene, django_capture_on_commit_callbacks):
    """Minutes requested as ``meeting_close`` does: queued on commit, run by the task backend."""
    with django_capture_on_commit_callbacks(execute=True):
        minutes_enqueue(meeting=scene.meeting)
    record = MinutesRecord.objects.select_related("document").get(meeting=scene.meeting)
    return scene, record


def test_minutes_render_in_background_and_are_kept_as_a_document(rendered):
    _scene, record = rendered
    assert record.render_status == RenderStatus.OK
    assert record.render_attempts == 1
    assert record.render_error == ""
    assert record.document is not None
    assert record.document.file.name.endswith(".pdf")
    with record.document.file.open("rb") as handle:
        assert handle.read(5) == b"%PDF-"


def test_minutes_text_has_people_counts_verdict_and_deadline(rendered):
    scene, record = rendered
    text = pdf_text(record.document.file.path)
    flat = squash(text)
    # The meeting: title, place, time, facilitator.
    for expected in (
        "民主村四方议事会会议纪要",
        "2026年第四季度四方议事会",
        "社区党群服务中心二楼会议室",
        "2026年11月20日19:00",
        "周敏",
    ):
        assert expected in flat, expected
    # Attendance by each of the four parties, residents' names masked unless they chose otherwise.
    for expected in ("王秀英", "赵*海", "李建国(幸福物业·项目经理)", "陈志强(街道城管科)"):
        assert expected in flat, expected
    assert "赵大海" not in flat
    for party in ("居民/业主", "物业", "社区居委会", "职能部门"):
        assert party in flat
    # The agenda item, its proposal and options, notes, speakers and each party's position.
    for expected in (
        "议题1:南门停车秩序整治",
        "方案一:划线停车",
        "方案二:立体车库",
        "12,000.00元",
        "物业承诺一周内出具划线图纸。",
        "有条件支持",
        "需业委会同意收费",
        "未表态",
        "楼道堆物清理",
    ):
        assert expected in flat, expected
    # The poll result: counts, headcount, area, thresholds and the verdict with reasons.
    for expected in (
        "业主共同决定一般事项(双过半)",
        "132",
        "11,234.56㎡",
        "3,765.44㎡",
        "17,000.00㎡",
        "15,000.00㎡",
        "86.5%(173/200)",
        "88.2%(15000.00/17000.00㎡)",
        "同意“方案一:划线停车”",
        "76.3%(132/173)",
        "参与表决人数173/200=86.5%≥2/3",
        "同意面积(方案一:划线停车)11234.56/15000.00㎡=74.9%>1/2",
        "同意人数(方案二:立体车库)41/173=23.7%≤1/2",
        "表决结果:通过",
        "「方案一:划线停车」获得通过",
        scene.poll.chain_head,
    ):
        assert expected in flat, expected
    # The resolution with its responsible party and deadline.
    assert "按方案一在南门划线停车,设置消防通道标识。" in flat
    assert "物业·" in flat
    assert "2026年12月31日" in flat
    # Signature lines for the four parties, and page numbers in the footer.
    for party in ("居民/业主代表", "物业代表", "社区居委会代表", "职能部门代表"):
        assert party in flat
    pages = re.findall(r"第\s*(\d+)\s*页\s*/\s*共\s*(\d+)\s*页", text)
    assert pages, text[-500:]
    total = int(pages[0][1])
    assert sorted(int(page) for page, _ in pages) == list(range(1, total + 1))


def test_minutes_embed_a_cjk_font_and_use_no_other(rendered):
    _scene, record = rendered
    fonts = pdf_fonts(record.document.file.path)
    assert fonts
    assert any("Noto" in font["name"] and "CJK" in font["name"] for font in fonts)
    # Every glyph came from an embedded Noto CJK face: no fallback font, no missing-glyph boxes.
    assert all("CJK" in font["name"] and font["emb"] == "yes" for font in fonts), fonts


def test_minutes_qr_code_decodes_to_the_public_meeting_page(rendered, tmp_path, settings):
    scene, record = rendered
    codes = qr_codes_on_page(record.document.file.path, tmp_path, page=1)
    expected = f"{settings.SITE_URL}/{scene.community.slug}/meetings/{scene.meeting.pk}/"
    assert codes == [expected]


def test_render_minutes_command_regenerates_the_same_text(rendered, capsys):
    scene, record = rendered
    first_text = pdf_text(record.document.file.path)
    document_id = record.document_id

    call_command("render_minutes", str(scene.meeting.pk))
    assert "minutes.pdf" in capsys.readouterr().out
    record.refresh_from_db()
    assert record.render_status == RenderStatus.OK
    assert record.document_id == document_id  # the same document, its file replaced
    assert pdf_text(record.document.file.path) == first_text

    again_hash = record.html_hash
    call_command("render_minutes", str(scene.meeting.pk))
    record.refresh_from_db()
    assert record.html_hash == again_hash


def test_render_minutes_command_rejects_an_unknown_meeting():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="不存在"):
        call_command("render_minutes", "999999")


def test_a_failed_render_is_retried_recorded_and_loses_no_meeting_data(
    scene, monkeypatch, django_capture_on_commit_callbacks
):
    calls = []

    def broken(html, *, base_url=None):
        calls.append(1)
        raise RuntimeError("字体子集化失败")

    monkeypatch.setattr(pdf, "html_to_pdf", broken)
    poll_result_before = dict(scene.poll.result)
    with django_capture_on_commit_callbacks(execute=True):
        minutes_enqueue(meeting=scene.meeting)

    record = MinutesRecord.objects.get(meeting=scene.meeting)
    assert len(calls) == tasks.MAX_ATTEMPTS == 3
    assert record.render_status == RenderStatus.FAILED
    assert record.render_attempts == 3
    assert "RuntimeError" in record.render_error
    assert "字体子集化失败" in record.render_error
    assert record.document is None
    # The meeting and everything in it is as it was.
    scene.meeting.refresh_from_db()
    scene.poll.refresh_from_db()
    assert scene.meeting.status == MeetingStatus.CLOSED
    assert AgendaItem.objects.filter(meeting=scene.meeting).count() == 2
    assert Note.objects.filter(item__meeting=scene.meeting).count() == 2
    assert scene.poll.result == poll_result_before
    # The public route says the minutes are not there yet, plainly.
    response = Client().get(f"/{scene.community.slug}/meetings/{scene.meeting.pk}/minutes.pdf")
    assert response.status_code == 404
    assert "会议纪要尚未生成" in response.content.decode()
    assert "系统会自动重试" in response.content.decode()


def test_a_render_that_fails_once_succeeds_on_retry(
    scene, monkeypatch, django_capture_on_commit_callbacks
):
    real = pdf.html_to_pdf
    calls = []

    def flaky(html, *, base_url=None):
        calls.append(1)
        if len(calls) == 1:
            raise OSError("临时错误")
        return real(html, base_url=base_url)

    monkeypatch.setattr(pdf, "html_to_pdf", flaky)
    with django_capture_on_commit_callbacks(execute=True):
        minutes_enqueue(meeting=scene.meeting)
    record = MinutesRecord.objects.get(meeting=scene.meeting)
    assert record.render_status == RenderStatus.OK
    assert record.render_attempts == 2
    assert record.render_error == ""
    assert record.document is not None


def test_minutes_route_serves_the_pdf_and_says_so_before_it_exists(
    scene, django_capture_on_commit_callbacks
):
    url = f"/{scene.community.slug}/meetings/{scene.meeting.pk}/minutes.pdf"
    before = Client().get(url)
    assert before.status_code == 404
    assert "会议纪要尚未生成" in before.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        minutes_enqueue(meeting=scene.meeting)
    # The public reads final minutes only (tests/meetings/test_minutes_review.py).
    MinutesRecord.objects.filter(meeting=scene.meeting).update(status=MinutesStatus.FINAL)
    response = Client().get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF-")


def test_minutes_of_a_closed_door_meeting_are_not_public(scene, django_capture_on_commit_callbacks):
    scene.meeting.is_public = False
    scene.meeting.save()
    with django_capture_on_commit_callbacks(execute=True):
        minutes_enqueue(meeting=scene.meeting)
    url = f"/{scene.community.slug}/meetings/{scene.meeting.pk}/minutes.pdf"
    assert Client().get(url).status_code == 404


def test_minutes_context_reads_a_fixed_number_of_queries(scene, django_assert_max_num_queries):
    """Query count does not grow with the agenda (prefetching, not a query per item)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        minutes_context(scene.meeting.pk)
    for order in range(2, 12):
        item = AgendaItem.objects.create(
            meeting=scene.meeting, title=f"附加议题{order}", sort_order=order
        )
        Note.objects.create(item=item, author=scene.facilitator, text=f"记录{order}")
    with django_assert_max_num_queries(len(small.captured_queries)):
        context = minutes_context(scene.meeting.pk)
    assert len(context["items"]) == 12


def test_minutes_html_is_stable_for_the_same_meeting(scene):
    assert minutes_html(meeting=scene.meeting) == minutes_html(meeting=scene.meeting)


def test_attendance_lists_each_party_even_when_absent(scene):
    context = minutes_context(scene.meeting.pk)
    parties = [row["party"] for row in context["attendance"]]
    assert parties == [
        str(label)
        for label in (
            Party.RESIDENT.label,
            Party.PROPERTY.label,
            Party.COMMITTEE.label,
            Party.DEPARTMENT.label,
        )
    ]
    assert [row["count"] for row in context["attendance"]] == [2, 1, 1, 1]


@pytest.mark.django_db(transaction=True)
def test_production_worker_renders_queued_minutes_and_defers_a_retry(
    wagtail_site, scene, settings, monkeypatch, django_capture_on_commit_callbacks
):
    """With the database backend nothing renders until ``db_worker`` runs; a failure is retried
    later (deferred), never lost."""
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    with django_capture_on_commit_callbacks(execute=True):
        minutes_enqueue(meeting=scene.meeting)
    record = MinutesRecord.objects.get(meeting=scene.meeting)
    assert record.render_status == RenderStatus.PENDING
    assert record.document is None
    minutes_tasks = DBTaskResult.objects.filter(task_path__endswith="render_minutes_task")
    assert minutes_tasks.count() == 1

    def broken(html, *, base_url=None):
        raise RuntimeError("worker out of memory")

    monkeypatch.setattr(pdf, "html_to_pdf", broken)
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload")
    record.refresh_from_db()
    assert record.render_status == RenderStatus.FAILED
    assert record.render_attempts == 1
    assert "worker out of memory" in record.render_error
    retry = minutes_tasks.filter(status="READY").get()
    assert retry.run_after is not None and retry.run_after > timezone.now()
    assert retry.args_kwargs["kwargs"] == {"meeting_id": scene.meeting.pk, "attempt": 2}

    # The retry comes due and the worker, now healthy, renders the minutes.
    monkeypatch.undo()
    DBTaskResult.objects.filter(pk=retry.pk).update(run_after=timezone.now())
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload")
    record.refresh_from_db()
    assert record.render_status == RenderStatus.OK
    assert record.render_attempts == 2
    assert record.document is not None


def test_closing_a_meeting_produces_its_minutes(scene, django_capture_on_commit_callbacks):
    """``meeting_close`` queues the render on commit; with the immediate backend (tests, the
    embedded demo) the minutes exist as soon as the close commits, with no worker running."""
    from meetings.services import meeting_close

    scene.meeting.status = MeetingStatus.LIVE
    scene.meeting.closed_at = None
    scene.meeting.save()
    with django_capture_on_commit_callbacks(execute=True):
        meeting_close(meeting=scene.meeting, actor=scene.facilitator)
    record = MinutesRecord.objects.select_related("document").get(meeting=scene.meeting)
    assert record.render_status == RenderStatus.OK
    assert "表决结果:通过" in squash(pdf_text(record.document.file.path))


def test_staff_see_a_failed_render_in_the_admin_and_can_render_again(
    scene, monkeypatch, django_capture_on_commit_callbacks
):
    from deliberation.models import User

    def broken(html, *, base_url=None):
        raise RuntimeError("字体子集化失败")

    monkeypatch.setattr(pdf, "html_to_pdf", broken)
    with django_capture_on_commit_callbacks(execute=True):
        minutes_enqueue(meeting=scene.meeting)
    monkeypatch.undo()
    record = MinutesRecord.objects.get(meeting=scene.meeting)

    admin = User.objects.create_superuser(username="admin-minutes", password="x-long-password-1")
    client = Client()
    client.force_login(admin)
    listing = client.get("/admin/minutes/")
    assert listing.status_code == 200
    page = listing.content.decode()
    assert "生成失败" in page
    assert "字体子集化失败" in page
    assert client.get(f"/admin/minutes/inspect/{record.pk}/").status_code == 200
    assert client.get("/admin/minutes/new/").status_code in (302, 403)  # never hand-made

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/admin/minutes/{record.pk}/rerender/")
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.render_status == RenderStatus.OK
    assert record.render_error == ""

    # A resident (no admin access) cannot trigger renders.
    resident = scene.members["resident"].user
    other = Client()
    other.force_login(resident)
    assert other.post(f"/admin/minutes/{record.pk}/rerender/").status_code in (302, 403)


def test_notices_are_listed_for_staff_in_the_admin(scene, django_capture_on_commit_callbacks):
    from deliberation.models import User
    from meetings.minutes.notices import notice_issue

    with django_capture_on_commit_callbacks(execute=True):
        notice, _ = notice_issue(poll=scene.poll)
    admin = User.objects.create_superuser(username="admin-notices", password="x-long-password-1")
    client = Client()
    client.force_login(admin)
    page = client.get("/admin/notices/")
    assert page.status_code == 200
    assert notice.serial in page.content.decode()


def test_a_failure_while_storing_the_document_is_recorded_too(
    scene, monkeypatch, django_capture_on_commit_callbacks
):
    def disk_full(**kwargs):
        raise OSError("磁盘已满")

    monkeypatch.setattr(pdf, "store_pdf", disk_full)
    with django_capture_on_commit_callbacks(execute=True):
        minutes_enqueue(meeting=scene.meeting)
    record = MinutesRecord.objects.get(meeting=scene.meeting)
    assert record.render_status == RenderStatus.FAILED
    assert record.render_attempts == 3
    assert "磁盘已满" in record.render_error
    assert record.document is None
