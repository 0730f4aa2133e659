"""Public PDFs: a meeting's minutes and the community's notices (公示)."""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from wagtail.documents.models import AbstractDocument

from deliberation.models import Community
from meetings.minutes import selectors
from meetings.models import Meeting
from meetings.rules import can_read_minutes, is_facilitator, is_participant


def _community(slug: str) -> Community:
    return get_object_or_404(Community, slug=slug)


def _serve(document: AbstractDocument, filename: str) -> FileResponse:
    try:
        handle = document.file.open("rb")
    except FileNotFoundError as error:
        raise Http404(_("文件不存在")) from error
    response = FileResponse(handle, content_type="application/pdf", filename=filename)
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _not_ready(
    request: HttpRequest,
    *,
    title: str,
    status: str | None,
    back: str,
    under_review: bool = False,
) -> HttpResponse:
    return render(
        request,
        "cms/documents/not_ready.html",
        {"title": title, "status": status, "back": back, "under_review": under_review},
        status=404,
    )


def minutes_pdf(request: HttpRequest, community: str, pk: int) -> HttpResponseBase:
    """The stored minutes; 404 with a page that says why when they are not rendered yet."""
    place = _community(community)
    meeting = get_object_or_404(Meeting, community=place, pk=pk)
    # A private meeting exists only for its community's members (global is_staff is no scope).
    if not meeting.is_public and not (
        is_participant(request.user, meeting) or is_facilitator(request.user, meeting)
    ):
        raise Http404(_("会议不存在"))
    record = selectors.minutes_record(meeting=meeting)
    if record is not None and record.document is not None:
        # The public reads final minutes only; the community's committee staff review drafts.
        if can_read_minutes(request.user, meeting, final=record.is_public):
            return _serve(record.document, f"minutes-{place.slug}-{meeting.pk}.pdf")
        return _not_ready(
            request,
            title=_("《%(title)s》会议纪要正在审核,定稿后公开") % {"title": meeting.title},
            status=None,
            back=reverse("meeting-detail", args=[place.slug, meeting.pk]),
            under_review=True,
        )
    return _not_ready(
        request,
        title=_("《%(title)s》会议纪要尚未生成") % {"title": meeting.title},
        status=record.render_status if record else None,
        back=reverse("meeting-detail", args=[place.slug, meeting.pk]),
    )


def notice_pdf(request: HttpRequest, community: str, year: int, number: int) -> HttpResponseBase:
    place = _community(community)
    notice = selectors.notice_by_serial(community=place, year=year, number=number)
    if notice is None:
        raise Http404(_("公示不存在"))
    if notice.document is not None:
        return _serve(notice.document, f"notice-{place.slug}-{notice.slug}.pdf")
    return _not_ready(
        request,
        title=_("%(serial)s 尚未生成") % {"serial": notice.serial},
        status=notice.render_status,
        back=reverse("notice-list", args=[place.slug]),
    )


def notice_photo(request: HttpRequest, community: str, year: int, number: int) -> FileResponse:
    """The photo of a notice on the board: public, like the notice it shows."""
    place = _community(community)
    notice = selectors.notice_by_serial(community=place, year=year, number=number)
    if notice is None or not notice.posting_photo:
        raise Http404(_("照片不存在"))
    try:
        handle = notice.posting_photo.open("rb")
    except FileNotFoundError as error:
        raise Http404(_("照片不存在")) from error
    response = FileResponse(handle)
    patch_cache_control(response, public=True, max_age=3600)
    response["X-Content-Type-Options"] = "nosniff"
    return response


def notice_list(request: HttpRequest, community: str) -> HttpResponse:
    """The community's notice board: notices on display first, then the record (superseded,
    withdrawn, past their period), each marked as such."""
    place = _community(community)
    today = timezone.localdate()
    notices = selectors.notices_for_community(community=place)
    current = [
        notice
        for notice in notices
        if not notice.is_withdrawn
        and not hasattr(notice, "superseded_by")
        and notice.posted_from <= today <= notice.posted_until
    ]
    shown = {notice.pk for notice in current}
    return render(
        request,
        "cms/documents/notice_list.html",
        {
            "community": place,
            "current": current,
            "notices": [notice for notice in notices if notice.pk not in shown],
            "today": today,
        },
    )
