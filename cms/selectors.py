"""Read models for the public site, built from each app's selectors."""

from dataclasses import dataclass, field

from deliberation.models import Community, Proposal, Resolution
from deliberation.proposals import selectors as proposal_selectors
from deliberation.resolutions import selectors as resolution_selectors
from meetings import selectors as meeting_selectors
from meetings.models import Meeting


@dataclass
class CommunityOverview:
    community: Community
    open_proposals: list[Proposal] = field(default_factory=list)
    upcoming_meetings: list[Meeting] = field(default_factory=list)
    recent_resolutions: list[Resolution] = field(default_factory=list)


def home_overview(limit: int = 5) -> list[CommunityOverview]:
    """Each community with a few open proposals, upcoming meetings and recent resolutions."""
    overviews = []
    for community in Community.objects.order_by("name"):
        overviews.append(
            CommunityOverview(
                community=community,
                open_proposals=proposal_selectors.proposals_open_public(
                    community=community, limit=limit
                ),
                upcoming_meetings=meeting_selectors.meetings_upcoming(
                    community=community, limit=limit
                ),
                recent_resolutions=resolution_selectors.resolutions_recent(
                    community=community, limit=limit
                ),
            )
        )
    return overviews
