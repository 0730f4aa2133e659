"""The community home ``/<community>/``: what is under way there, with a link to each section."""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from deliberation.models import Community, Proposal, Resolution
from deliberation.proposals import rules as proposal_rules
from deliberation.proposals import selectors as proposal_selectors
from deliberation.resolutions import metrics
from deliberation.resolutions import selectors as resolution_selectors
from meetings import selectors as meeting_selectors
from meetings.minutes import selectors as document_selectors
from meetings.models import Meeting, Notice
from votes import selectors as vote_selectors
from votes.models import Poll, PollStatus

SECTION_SIZE = 5
METRICS_DAYS = 90


@dataclass(frozen=True)
class CommunityHome:
    community: Community
    open_proposals: list[Proposal]
    upcoming_meetings: list[Meeting]
    recent_meetings: list[Meeting]
    open_polls: list[Poll]
    current_notices: list[Notice]
    resolutions: list[Resolution]
    metrics: metrics.Metrics
    metrics_start: dt.date
    metrics_end: dt.date


def _current_notices(community: Community, today: dt.date) -> list[Notice]:
    """Notices in their posting period today, neither withdrawn nor superseded by a newer one."""
    return [
        notice
        for notice in document_selectors.notices_for_community(community=community)
        if notice.posted_from <= today <= notice.posted_until
        and notice.withdrawn_at is None
        # A reverse one-to-one raises (an AttributeError) when there is no newer notice.
        and getattr(notice, "superseded_by", None) is None
    ][:SECTION_SIZE]


def community_home_data(community: Community) -> CommunityHome:
    """Everything the community home shows, in a fixed number of queries whatever the data."""
    now = timezone.now()
    today = timezone.localdate()
    upcoming = meeting_selectors.meetings_upcoming(community=community, limit=SECTION_SIZE)
    recent = [] if upcoming else meeting_selectors.meeting_list(community=community, limit=3)
    period = metrics.Period(today - dt.timedelta(days=METRICS_DAYS - 1), today)
    proposals, resolutions, ratings = resolution_selectors.metrics_facts(
        community=community, period=period
    )
    return CommunityHome(
        community=community,
        open_proposals=proposal_selectors.proposals_open_public(
            community=community, limit=SECTION_SIZE
        ),
        upcoming_meetings=upcoming,
        recent_meetings=recent,
        open_polls=list(
            vote_selectors.polls_for_community(community)
            .filter(status=PollStatus.OPEN)
            .defer("frozen_electorate", "eligible_user_ids")[:SECTION_SIZE]
        ),
        current_notices=_current_notices(community, today),
        resolutions=list(
            resolution_selectors.resolution_list_public(community=community)[:SECTION_SIZE]
        ),
        metrics=metrics.compute(
            proposals=proposals,
            resolutions=resolutions,
            ratings=ratings,
            period=period,
            as_of=now,
        ),
        metrics_start=period.start,
        metrics_end=period.end,
    )


def community_home(request: HttpRequest, community: str) -> HttpResponse:
    place = get_object_or_404(Community, slug=community)
    context: dict[str, Any] = {
        "community": place,
        "home": community_home_data(place),
        "can_raise": proposal_rules.can_raise_proposal(request.user, place),
    }
    return render(request, "cms/community/home.html", context)
