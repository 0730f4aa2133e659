"""Public resolution pages: tracking list, detail with the whole timeline and rating, Atom feed,
metrics.

``deliberation`` cannot import ``votes`` or ``meetings``; this module (in ``cms``) assembles the
timeline from each app's reads: the proposal's triage steps, the meetings that discussed it, the
polls that decided it, then the resolution's own steps, updates, completion and ratings.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.contrib import messages
from django.contrib.syndication.views import Feed
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _

from cms.forms.resolutions import MetricsPeriodForm, RatingForm, ResolutionFilterForm
from cms.reports import metrics_report
from deliberation import scope
from deliberation.models import (
    Community,
    Party,
    PhotoStage,
    ProgressPhoto,
    ProposalStatus,
    RatingScore,
    Resolution,
    ResolutionStatus,
)
from deliberation.proposals import selectors as proposal_selectors
from deliberation.registry import selectors as registry_selectors
from deliberation.registry.display import public_name
from deliberation.resolutions import selectors as resolution_selectors
from deliberation.resolutions.services import (
    REFUSAL_MESSAGES,
    RatingRefused,
    rating_refusal,
    rating_submit,
)
from meetings import selectors as meeting_selectors
from meetings.models import MeetingStatus
from votes import selectors as vote_selectors
from votes.counting import Verdict

PAGE_SIZE = 20


def _community(slug: str) -> Community:
    return get_object_or_404(Community, slug=slug)


# --- list ---------------------------------------------------------------------------------------


def resolution_list(request: HttpRequest, community: str) -> HttpResponse:
    place = _community(community)
    form = ResolutionFilterForm(request.GET or None)
    filters = form.filters()
    today = timezone.localdate()
    qs = resolution_selectors.resolution_list_public(community=place, today=today, **filters)
    paginator = Paginator(qs, PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "cms/resolutions/list.html",
        {
            "community": place,
            "form": form,
            "page": page,
            "rows": [(r, r.is_overdue(today)) for r in page.object_list],
            "query": query.urlencode(),
        },
    )


# --- detail -------------------------------------------------------------------------------------


class StepKind(StrEnum):
    """What a timeline step records; the template styles each as ``step-<kind>``."""

    PROPOSAL = "proposal"
    TRIAGE = "triage"
    MEETING = "meeting"
    POLL = "poll"
    CREATED = "created"
    UPDATE = "update"
    COMPLETED = "completed"
    REOPENED = "reopened"
    RATING = "rating"


@dataclass
class Step:
    at: dt.datetime
    kind: StepKind
    label: str
    actor: str = ""
    note: str = ""
    links: list[tuple[str, str]] = field(default_factory=list)  # (url, text)
    percent: int | None = None  # shown for progress updates only
    photos: list[ProgressPhoto] = field(default_factory=list)
    automatic: bool = False


def _actor_names(community: Community, user_ids: set[int]) -> dict[int, str]:
    """Staff by organisation or party; residents masked."""
    names: dict[int, str] = {}
    for member in registry_selectors.members_by_user(community=community, user_ids=user_ids):
        if member.party == Party.RESIDENT:
            names[member.user_id] = public_name(
                str(member.user), show_full_name=member.show_full_name
            )
        else:
            names[member.user_id] = member.organisation or member.get_party_display()
    return names


def _name(names: dict[int, str], user_id: int | None) -> str:
    return names.get(user_id, "") if user_id is not None else ""


def _meeting_steps(resolution: Resolution) -> list[Step]:
    steps = []
    for item in meeting_selectors.agenda_items_for_proposal(proposal_id=resolution.proposal_id):
        meeting = item.meeting
        slug = resolution.community.slug
        links = [(reverse("meeting-detail", args=[slug, meeting.pk]), _("会议"))]
        if meeting.status == MeetingStatus.CLOSED:
            links.append(
                (reverse("meeting-minutes-pdf", args=[slug, meeting.pk]), _("会议纪要(PDF)"))
            )
        steps.append(
            Step(
                at=meeting.starts_at,
                kind=StepKind.MEETING,
                label=_("上会协商:%(title)s") % {"title": meeting.title},
                links=links,
            )
        )
    return steps


def _poll_steps(resolution: Resolution) -> list[Step]:
    steps = []
    polls = vote_selectors.polls_for_proposal(
        proposal_id=resolution.proposal_id, resolution_id=resolution.pk
    )
    for poll in polls:
        verdict = (poll.result or {}).get("verdict", "")
        note = {
            Verdict.PASSED: _("表决通过"),
            Verdict.FAILED: _("未通过"),
        }.get(verdict, poll.get_status_display())
        steps.append(
            Step(
                at=poll.finalised_at or poll.closed_at or poll.opened_at or poll.created_at,
                kind=StepKind.POLL,
                label=_("表决:%(question)s") % {"question": poll.question},
                note=note,
                links=[
                    (
                        reverse("poll-detail", args=[resolution.community.slug, poll.pk]),
                        _("表决结果"),
                    )
                ],
            )
        )
    return steps


def _rating_steps(resolution: Resolution) -> list[Step]:
    rounds = resolution_selectors.resolution_rating_rounds(resolution=resolution)
    steps = []
    for number, entry in sorted(rounds.items()):
        counts = entry["counts"]
        note = ",".join(f"{label} {counts.get(score, 0)}" for score, label in RatingScore.choices)
        steps.append(
            Step(
                at=entry["last"],
                kind=StepKind.RATING,
                label=_("满意度测评(第 %(round)s 轮)") % {"round": number},
                note=note,
            )
        )
    return steps


def resolution_timeline(resolution: Resolution) -> list[Step]:
    """proposal → triage → meeting → vote → decision → updates → completion → ratings."""
    proposal = resolution.proposal
    steps = [
        Step(
            at=proposal.submitted_at,
            kind=StepKind.PROPOSAL,
            label=_("提出议题"),
            note=proposal.get_channel_display(),
            links=[
                (
                    reverse("proposal-detail", args=[resolution.community.slug, proposal.pk]),
                    _("查看议题"),
                )
            ],
        )
    ]
    for entry in proposal_selectors.proposal_timeline(proposal):
        if entry.status == ProposalStatus.DECIDED:
            continue  # shown as the resolution's own first step
        steps.append(
            Step(
                at=entry.at,
                kind=StepKind.TRIAGE,
                label=entry.label,
                actor=entry.actor,
                note=entry.note,
            )
        )
    steps += _meeting_steps(resolution)
    steps += _poll_steps(resolution)
    transitions = list(resolution.transitions.all())
    updates = list(resolution.updates.all())
    names = _actor_names(
        resolution.community,
        {t.actor_id for t in transitions if t.actor_id}
        | {u.author_id for u in updates if u.author_id},
    )
    for step in transitions:
        if step.to_status == ResolutionStatus.COMPLETED:
            continue  # the completion report (an update) carries the text and photos
        if step.to_status == ResolutionStatus.DRAFT:
            continue  # the meeting's draft; "形成决议" comes when staff complete and assign it
        if step.to_status == ResolutionStatus.IN_PROGRESS:
            label = _("形成决议")
            kind = StepKind.CREATED
        else:
            label = _("自动重新办理") if step.automatic else _("重新办理")
            kind = StepKind.REOPENED
        steps.append(
            Step(
                at=step.at,
                kind=kind,
                label=label,
                actor=_("系统") if step.automatic else _name(names, step.actor_id),
                note=step.note,
                automatic=step.automatic,
            )
        )
    for update in updates:
        steps.append(
            Step(
                at=update.created_at,
                kind=StepKind.COMPLETED if update.is_completion else StepKind.UPDATE,
                label=_("办结报告") if update.is_completion else _("办理进展"),
                actor=_name(names, update.author_id),
                note=update.text,
                percent=None if update.is_completion else update.percent,
                photos=list(update.photos.all()),
            )
        )
    steps += _rating_steps(resolution)
    steps.sort(key=lambda s: s.at)
    return steps


def _rating_state(request: HttpRequest, resolution: Resolution) -> dict[str, Any]:
    """What the rating box shows: the form, the person's rating, or why they cannot rate."""
    member = scope.member_of(request.user, resolution.community)
    open_now = (
        resolution.status == ResolutionStatus.COMPLETED
        and resolution.rating_closes_at is not None
        and timezone.now() <= resolution.rating_closes_at
    )
    state: dict[str, Any] = {"open": open_now, "can_rate": False, "mine": None, "reason": ""}
    if not request.user.is_authenticated:
        return state
    mine = resolution_selectors.resolution_member_rating(resolution=resolution, member=member)
    if mine is not None:
        state["mine"] = mine
        return state
    code = rating_refusal(resolution=resolution, member=member)
    if code:
        state["reason"] = _(REFUSAL_MESSAGES[code])
    else:
        state["can_rate"] = True
    return state


def resolution_detail(request: HttpRequest, community: str, pk: int) -> HttpResponse:
    place = _community(community)
    resolution = resolution_selectors.resolution_get_public(community=place, pk=pk)
    if resolution is None:
        raise Http404(_("没有找到该决议。"))
    form = RatingForm()
    status = 200
    if request.method == "POST":
        form = RatingForm(request.POST)
        if not request.user.is_authenticated:
            login = reverse("login")
            return HttpResponseRedirect(f"{login}?next={request.path}")
        if form.is_valid():
            try:
                rating_submit(
                    resolution=resolution,
                    member=scope.member_of(request.user, place),
                    score=form.cleaned_data["score"],
                    comment=form.cleaned_data["comment"],
                )
            except RatingRefused as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("感谢您的评价。"))
                return HttpResponseRedirect(
                    reverse("resolution-detail", args=[place.slug, resolution.pk]) + "#rating"
                )
        status = 400
    photos = [photo for update in resolution.updates.all() for photo in update.photos.all()]
    return render(
        request,
        "cms/resolutions/detail.html",
        {
            "community": place,
            "resolution": resolution,
            "overdue": resolution.is_overdue(),
            "timeline": resolution_timeline(resolution),
            "before_photos": [p for p in photos if p.stage == PhotoStage.BEFORE],
            "after_photos": [p for p in photos if p.stage == PhotoStage.AFTER],
            "summary": resolution_selectors.resolution_rating_summary(resolution=resolution),
            "comments": resolution_selectors.resolution_comments_public(
                resolution=resolution, limit=20
            ),
            "rating": _rating_state(request, resolution),
            "form": form,
        },
        status=status,
    )


# --- feed ---------------------------------------------------------------------------------------


class PlainTextAtomFeed(Atom1Feed):
    """Atom with ``<summary type="text">``: summaries are user text (decisions, completion
    reports), and Django's ``type="html"`` would make markup in them live in feed readers.
    Titles are Atom text already."""

    def add_item_elements(self, handler: Any, item: dict[str, Any]) -> None:
        super().add_item_elements(handler, {**item, "description": None})
        if item["description"] is not None:
            handler.addQuickElement("summary", item["description"], {"type": "text"})


class ResolutionFeed(Feed):
    """Atom feed of a community's resolution steps: decided, completed, reopened."""

    feed_type = PlainTextAtomFeed

    def get_object(self, request: HttpRequest, community: str) -> Community:
        return _community(community)

    def title(self, obj: Community) -> str:
        return _("%(name)s · 决议办理动态") % {"name": obj.name}

    def subtitle(self, obj: Community) -> str:
        return _("决议形成、办结和重新办理的最新动态。")

    def link(self, obj: Community) -> str:
        return reverse("resolution-list", args=[obj.slug])

    def items(self, obj: Community) -> list[Any]:
        return resolution_selectors.resolution_feed_entries(community=obj, limit=50)

    def item_title(self, item: Any) -> str:
        label = {
            ResolutionStatus.IN_PROGRESS: _("形成决议"),
            ResolutionStatus.COMPLETED: _("已办结"),
            ResolutionStatus.REOPENED: _("重新办理"),
        }.get(item.to_status, item.to_status)
        return f"{label}:{item.resolution.proposal.title}"

    def item_description(self, item: Any) -> str:
        return item.note or item.resolution.decision

    def item_link(self, item: Any) -> str:
        return reverse(
            "resolution-detail", args=[item.resolution.community.slug, item.resolution_id]
        )

    def item_guid(self, item: Any) -> str:
        return f"resolution-{item.resolution_id}-step-{item.pk}"

    item_guid_is_permalink = False

    def item_pubdate(self, item: Any) -> dt.datetime:
        return item.at

    def item_updateddate(self, item: Any) -> dt.datetime:
        return item.at


resolution_feed = ResolutionFeed()


# --- metrics ------------------------------------------------------------------------------------


def metrics_page(request: HttpRequest, community: str) -> HttpResponse:
    place = _community(community)
    form = MetricsPeriodForm(request.GET or None)
    start, end = form.period()
    context = metrics_report(community=place, start=start, end=end)
    return render(
        request,
        "cms/resolutions/metrics.html",
        {"community": place, "form": form, **context},
        status=400 if form.is_bound and not form.is_valid() else 200,
    )
