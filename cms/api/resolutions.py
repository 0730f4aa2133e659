"""JSON API for resolutions, mounted at ``/api/resolutions/``.

Read: the public list (filters as on the tracking page) and one resolution with its updates,
steps and ratings summary. Write: the responsible party's staff post progress (multipart, with
photos) and the completion report. Identity comes from the session only (``auth=signed_in``);
errors are raised and answered by ``cms/api/__init__.py`` as ``{"code", "message", "fields"?}``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from cms.api.common import ERRORS, ApiError, acting_user, signed_in
from cms.api.proposals import community_by_slug
from deliberation.models import PhotoStage, Resolution, ResolutionStatus
from deliberation.resolutions import selectors as resolution_selectors
from deliberation.resolutions.services import PhotoInput, progress_post, resolution_complete

router = Router(tags=["resolutions"])
PAGE_SIZE = 20


class ListParams(Schema):
    community: str
    status: str = ""
    party: str = ""
    category: str = ""
    overdue: bool = False
    page: int = 1


class ResolutionSummary(Schema):
    id: int
    proposal_id: int
    title: str
    decision: str
    responsible_party: str
    deadline: date
    status: str
    overdue: bool
    percent_done: int
    round: int
    decided_at: datetime
    completed_at: datetime | None
    url: str


class ResolutionPage(Schema):
    count: int
    page: int
    pages: int
    results: list[ResolutionSummary]


class PhotoOut(Schema):
    url: str
    stage: str
    caption: str
    width: int
    height: int


class UpdateOut(Schema):
    id: int
    text: str
    percent: int
    is_completion: bool
    round: int
    created_at: datetime
    photos: list[PhotoOut]


class StepOut(Schema):
    from_status: str
    to_status: str
    automatic: bool
    note: str
    at: datetime


class RatingRow(Schema):
    score: str
    label: str
    count: int
    percent: float | None


class RatingsOut(Schema):
    round: int
    total: int
    rows: list[RatingRow]
    satisfaction_percent: float | None


class ResolutionOut(ResolutionSummary):
    adopted_option: str
    rating_closes_at: datetime | None
    completion_report: str
    updates: list[UpdateOut]
    steps: list[StepOut]
    ratings: RatingsOut


def _summary(resolution: Resolution) -> dict[str, Any]:
    return {
        "id": resolution.pk,
        "proposal_id": resolution.proposal_id,
        "title": resolution.proposal.title,
        "decision": resolution.decision,
        "responsible_party": resolution.responsible_party,
        "deadline": resolution.deadline,
        "status": resolution.status,
        "overdue": resolution.is_overdue(),
        "percent_done": resolution.percent_done,
        "round": resolution.round,
        "decided_at": resolution.decided_at,
        "completed_at": resolution.completed_at,
        "url": reverse("resolution-detail", args=[resolution.community.slug, resolution.pk]),
    }


def _detail(resolution: Resolution) -> dict[str, Any]:
    summary = resolution_selectors.resolution_rating_summary(resolution=resolution)
    return {
        **_summary(resolution),
        "adopted_option": resolution.adopted_option.title if resolution.adopted_option else "",
        "rating_closes_at": resolution.rating_closes_at,
        "completion_report": resolution.completion_report,
        "updates": [
            {
                "id": u.pk,
                "text": u.text,
                "percent": u.percent,
                "is_completion": u.is_completion,
                "round": u.round,
                "created_at": u.created_at,
                "photos": [
                    {
                        "url": p.image.url,
                        "stage": p.stage,
                        "caption": p.caption,
                        "width": p.width,
                        "height": p.height,
                    }
                    for p in u.photos.all()
                ],
            }
            for u in resolution.updates.all()
        ],
        "steps": [
            {
                "from_status": t.from_status,
                "to_status": t.to_status,
                "automatic": t.automatic,
                "note": t.note,
                "at": t.at,
            }
            for t in resolution.transitions.all()
        ],
        "ratings": {
            "round": summary["round"],
            "total": summary["total"],
            "rows": [
                {
                    "score": r["score"],
                    "label": str(r["label"]),
                    "count": r["count"],
                    "percent": r["percent"],
                }
                for r in summary["rows"]
            ],
            "satisfaction_percent": summary["satisfaction"].percent,
        },
    }


def _resolution(pk: int) -> Resolution:
    resolution = (
        Resolution.objects.filter(pk=pk, proposal__live=True)
        .exclude(status=ResolutionStatus.DRAFT)
        .select_related("community")
        .first()
    )
    if resolution is None:
        raise ApiError(404, "not_found", _("没有找到该决议。"))
    found = resolution_selectors.resolution_get_public(community=resolution.community, pk=pk)
    assert found is not None
    return found


@router.get("/", response={200: ResolutionPage, **ERRORS}, summary="List resolutions")
def list_resolutions(request: HttpRequest, params: Query[ListParams]) -> dict[str, Any]:
    community = community_by_slug(params.community)
    qs = resolution_selectors.resolution_list_public(
        community=community,
        status=params.status,
        party=params.party,
        category=params.category,
        overdue=params.overdue,
    ).select_related("community")
    paginator = Paginator(qs, PAGE_SIZE)
    page = paginator.get_page(params.page)
    return {
        "count": paginator.count,
        "page": page.number,
        "pages": paginator.num_pages,
        "results": [_summary(r) for r in page.object_list],
    }


@router.get("/{int:pk}", response={200: ResolutionOut, **ERRORS}, summary="Read one resolution")
def read_resolution(request: HttpRequest, pk: int) -> dict[str, Any]:
    return _detail(_resolution(pk))


@router.post(
    "/{int:pk}/progress",
    response={201: ResolutionOut, **ERRORS},
    auth=signed_in,
    summary="Post progress (responsible party's staff; multipart with photos)",
)
def post_progress(
    request: HttpRequest,
    pk: int,
    text: Form[str],
    percent: Form[int],
    stage: Form[str] = PhotoStage.DURING,
    photos: File[list[UploadedFile] | None] = None,
) -> Status:
    progress_post(
        resolution=_resolution(pk),
        actor=acting_user(request),
        text=text,
        percent=percent,
        photos=[PhotoInput(file=f, stage=stage) for f in photos or []],
    )
    return Status(201, _detail(_resolution(pk)))


@router.post(
    "/{int:pk}/complete",
    response={200: ResolutionOut, **ERRORS},
    auth=signed_in,
    summary="Completion report (responsible party's staff; multipart with after photos)",
)
def complete(
    request: HttpRequest,
    pk: int,
    report: Form[str],
    photos: File[list[UploadedFile] | None] = None,
) -> dict[str, Any]:
    resolution_complete(
        resolution=_resolution(pk),
        actor=acting_user(request),
        report=report,
        photos=[PhotoInput(file=f, stage=PhotoStage.AFTER) for f in photos or []],
    )
    return _detail(_resolution(pk))
