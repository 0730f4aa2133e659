"""Public PDFs: a meeting's minutes and the community's notices (公示)."""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from wagtail.documents.models import AbstractDocument

from deliberation.models import Community
from meetings.minutes import selectors
from meetings.models import Meeting


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


def _not_ready(request: HttpRequest, *, title: str, status: str | None, back: str) -> HttpResponse:
    return render(
        request,
        "cms/documents/not_ready.html",
        {"title": title, "status": status, "back": back},
        status=404,
    )


def minutes_pdf(request: HttpRequest, community: str, pk: int) -> HttpResponseBase:
    """The stored minutes; 404 with a page that says why when they are not rendered yet."""
    place = _community(community)
    meeting = get_object_or_404(Meeting, community=place, pk=pk)
    if not meeting.is_public and not request.user.is_staff:
        raise Http404(_("会议不存在"))
    record = selectors.minutes_record(meeting=meeting)
    if record is not None and record.document is not None:
        return _serve(record.document, f"minutes-{place.slug}-{meeting.pk}.pdf")
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


def notice_list(request: HttpRequest, community: str) -> HttpResponse:
    place = _community(community)
    return render(
        request,
        "cms/documents/notice_list.html",
        {
            "community": place,
            "notices": selectors.notices_for_community(community=place),
        },
    )
