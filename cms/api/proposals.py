"""JSON API for proposals, mounted at ``/api/proposals/`` (schema at ``/api/openapi.json``).

Identity comes from the session only (writes: ``auth=signed_in``). Errors are raised, never
built here: ``cms/api/__init__.py`` answers them as ``{"code", "message", "fields"?}``.
"""

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from cms.api.common import ERRORS, ApiError, BodyIn, acting_user, signed_in
from deliberation import scope
from deliberation.exceptions import InvalidInput, NotPermitted
from deliberation.models import Channel, Community, Party, Proposal, User
from deliberation.proposals import rules as proposal_rules
from deliberation.proposals import selectors as proposal_selectors
from deliberation.proposals.services import (
    OptionInput,
    proposal_accept,
    proposal_answer,
    proposal_merge,
    proposal_publish,
    proposal_reject,
    proposal_second,
    proposal_submit,
)
from deliberation.registry import selectors as registry_selectors
from deliberation.sanitize import clean_html

router = Router(tags=["proposals"])
PAGE_SIZE = 20


def community_by_slug(slug: str) -> Community:
    """The community named by ``slug``; 404 otherwise."""
    community = Community.objects.filter(slug=slug).first()
    if community is None:
        raise ApiError(404, "not_found", _("没有这个社区。"))
    return community


def _proposal(request: HttpRequest, pk: int) -> Proposal:
    proposal = Proposal.objects.select_related("community", "author__user").filter(pk=pk).first()
    if proposal is None or not proposal_rules.can_view_proposal(request.user, proposal):
        raise ApiError(404, "not_found", _("没有找到该议题。"))
    return proposal


# --- schemas -------------------------------------------------------------------------------------


class OptionOut(Schema):
    id: int
    title: str
    description_html: str
    cost_estimate: Decimal | None
    sharing_rule: str
    paying_party: str
    scope_building: str | None
    pros: str
    cons: str
    image_url: str | None
    my_household_pays: Decimal | None = None


class TimelineOut(Schema):
    at: datetime
    status: str
    label: str
    actor: str
    note: str


class ProposalSummary(Schema):
    id: int
    community: str
    title: str
    status: str
    category: str
    party: str
    channel: str
    location: str
    author: str
    submitted_at: datetime
    seconds_count: int
    url: str


class ProposalOut(ProposalSummary):
    body_html: str
    live: bool
    responsible_party: str
    answer_html: str
    reject_reason_html: str
    merged_into: int | None
    photos: list[str]
    options: list[OptionOut]
    timeline: list[TimelineOut]


class ProposalPage(Schema):
    count: int
    page: int
    pages: int
    results: list[ProposalSummary]


class ListParams(Schema):
    community: str
    status: str = ""
    category: str = ""
    party: str = ""
    channel: str = ""
    q: str = ""
    page: int = 1


class OptionIn(BodyIn):
    title: str
    description: str = ""
    cost_estimate: Decimal | None = None
    sharing_rule: str = ""
    paying_party: str = ""
    pros: str = ""
    cons: str = ""


class ProposalIn(BodyIn):
    community: str
    title: str
    body: str
    category: str = "other"
    location: str = ""
    show_full_name: bool | None = None
    # Staff entering for a resident: the channel and the resident's phone number.
    channel: str = Channel.ONLINE
    resident_phone: str = ""
    options: list[OptionIn] = Field(default_factory=list)


class AcceptIn(BodyIn):
    category: str
    responsible_party: str
    note: str = ""


class AnswerIn(BodyIn):
    answer: str
    note: str = ""


class RejectIn(BodyIn):
    reason: str
    note: str = ""


class MergeIn(BodyIn):
    into: int
    note: str = ""


class PublishIn(BodyIn):
    note: str = ""


class SecondOut(Schema):
    created: bool
    seconds_count: int


def _summary(proposal: Proposal, seconds: int | None = None) -> dict[str, Any]:
    return {
        "id": proposal.pk,
        "community": proposal.community.slug,
        "title": proposal.title,
        "status": proposal.status,
        "category": proposal.category,
        "party": proposal.party,
        "channel": proposal.channel,
        "location": proposal.location,
        "author": proposal_selectors.proposal_public_author(proposal),
        "submitted_at": proposal.submitted_at,
        "seconds_count": seconds if seconds is not None else proposal.seconds.count(),
        "url": reverse("proposal-detail", args=[proposal.community.slug, proposal.pk]),
    }


def _detail(request: HttpRequest, proposal: Proposal) -> dict[str, Any]:
    options = list(proposal.options.select_related("scope_building"))
    costs = proposal_selectors.option_household_costs(
        proposal=proposal, options=options, user=request.user
    )
    return {
        **_summary(proposal),
        "body_html": clean_html(proposal.body),
        "live": proposal.live,
        "responsible_party": proposal.responsible_party,
        "answer_html": clean_html(proposal.answer),
        "reject_reason_html": clean_html(proposal.reject_reason),
        "merged_into": proposal.merged_into_id,
        "photos": [photo.image.url for photo in proposal.photos.all()],
        "options": [
            {
                "id": option.pk,
                "title": option.title,
                "description_html": clean_html(option.description),
                "cost_estimate": option.cost_estimate,
                "sharing_rule": option.sharing_rule,
                "paying_party": option.paying_party,
                "scope_building": option.scope_building.name if option.scope_building else None,
                "pros": option.pros,
                "cons": option.cons,
                "image_url": option.image.url if option.image else None,
                "my_household_pays": costs.get(option.pk),
            }
            for option in options
        ],
        "timeline": [entry.__dict__ for entry in proposal_selectors.proposal_timeline(proposal)],
    }


# --- endpoints -----------------------------------------------------------------------------------


@router.get("/", response={200: ProposalPage, **ERRORS}, summary="List published proposals")
def list_proposals(request: HttpRequest, params: Query[ListParams]) -> dict[str, Any]:
    community = community_by_slug(params.community)
    filters = proposal_selectors.ProposalFilters.from_params(params.dict(exclude={"page"}))
    paginator = Paginator(
        proposal_selectors.proposal_list_public(community=community, filters=filters), PAGE_SIZE
    )
    page = paginator.get_page(params.page)
    return {
        "count": paginator.count,
        "page": page.number,
        "pages": paginator.num_pages,
        "results": [_summary(p, p.seconds_count) for p in page.object_list],
    }


@router.get("/{int:pk}", response={200: ProposalOut, **ERRORS}, summary="Read one proposal")
def read_proposal(request: HttpRequest, pk: int) -> dict[str, Any]:
    return _detail(request, _proposal(request, pk))


@router.post(
    "/",
    response={201: ProposalOut, **ERRORS},
    auth=signed_in,
    summary="Raise a matter (signed in)",
)
def raise_proposal(request: HttpRequest, payload: ProposalIn) -> Status:
    user = acting_user(request)
    community = community_by_slug(payload.community)
    author = scope.member_of(user, community)
    entered_by = None
    if payload.resident_phone:
        if not proposal_rules.can_enter_on_behalf(user, community):
            raise NotPermitted(_("只有社区工作人员可以代居民录入议题。"))
        author = registry_selectors.member_by_phone(
            community=community, phone=payload.resident_phone
        )
        if author is None or author.party != Party.RESIDENT:
            raise InvalidInput(
                _("本社区没有这个手机号的居民。"),
                fields={"resident_phone": [_("本社区没有这个手机号的居民。")]},
            )
        entered_by = user
    if author is None:
        raise NotPermitted(_("您不是本社区成员。"))
    proposal = proposal_submit(
        community=community,
        author=author,
        title=payload.title,
        body=payload.body,
        category=payload.category,
        location=payload.location,
        channel=payload.channel,
        entered_by=entered_by,
        show_full_name=payload.show_full_name,
        options=[OptionInput(**option.dict()) for option in payload.options],
    )
    return Status(201, _detail(request, proposal))


def _triage(
    request: HttpRequest, pk: int, action: Callable[[User, Proposal], Proposal]
) -> dict[str, Any]:
    """Run a triage ``action`` on a proposal the user may see, as its community's triage staff."""
    user = acting_user(request)
    proposal = _proposal(request, pk)
    if not proposal_rules.can_triage_proposals(user, proposal.community):
        raise NotPermitted(_("只有本社区工作人员可以分理议题。"))
    return _detail(request, action(user, proposal))


@router.post(
    "/{int:pk}/accept",
    response={200: ProposalOut, **ERRORS},
    auth=signed_in,
    summary="Triage: accept",
)
def accept(request: HttpRequest, pk: int, payload: AcceptIn) -> dict[str, Any]:
    return _triage(
        request,
        pk,
        lambda user, p: proposal_accept(
            proposal=p,
            actor=user,
            category=payload.category,
            responsible_party=payload.responsible_party,
            note=payload.note,
        ),
    )


@router.post(
    "/{int:pk}/answer",
    response={200: ProposalOut, **ERRORS},
    auth=signed_in,
    summary="Triage: answer",
)
def answer(request: HttpRequest, pk: int, payload: AnswerIn) -> dict[str, Any]:
    return _triage(
        request,
        pk,
        lambda user, p: proposal_answer(
            proposal=p, actor=user, answer=payload.answer, note=payload.note
        ),
    )


@router.post(
    "/{int:pk}/reject",
    response={200: ProposalOut, **ERRORS},
    auth=signed_in,
    summary="Triage: reject",
)
def reject(request: HttpRequest, pk: int, payload: RejectIn) -> dict[str, Any]:
    return _triage(
        request,
        pk,
        lambda user, p: proposal_reject(
            proposal=p, actor=user, reason=payload.reason, note=payload.note
        ),
    )


@router.post(
    "/{int:pk}/merge",
    response={200: ProposalOut, **ERRORS},
    auth=signed_in,
    summary="Triage: merge",
)
def merge(request: HttpRequest, pk: int, payload: MergeIn) -> dict[str, Any]:
    def act(user: User, proposal: Proposal) -> Proposal:
        target = Proposal.objects.filter(pk=payload.into).first()
        if target is None:
            raise ApiError(404, "not_found", _("没有找到要合并到的议题。"))
        return proposal_merge(proposal=proposal, actor=user, into=target, note=payload.note)

    return _triage(request, pk, act)


@router.post(
    "/{int:pk}/publish",
    response={200: ProposalOut, **ERRORS},
    auth=signed_in,
    summary="Moderation: approve",
)
def publish(request: HttpRequest, pk: int, payload: PublishIn) -> dict[str, Any]:
    return _triage(
        request, pk, lambda user, p: proposal_publish(proposal=p, actor=user, note=payload.note)
    )


@router.post(
    "/{int:pk}/second",
    response={200: SecondOut, **ERRORS},
    auth=signed_in,
    summary="Second (附议)",
)
def second(request: HttpRequest, pk: int) -> dict[str, Any]:
    user = acting_user(request)
    proposal = _proposal(request, pk)
    _second, created = proposal_second(proposal=proposal, user=user)
    return {"created": created, "seconds_count": proposal.seconds.count()}
