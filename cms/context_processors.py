from collections.abc import Mapping
from enum import Enum

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from deliberation.models import (
    Category,
    Channel,
    DispatchStatus,
    EscalationReason,
    NotificationStatus,
    Party,
    ProposalStatus,
    ResolutionStatus,
)
from deliberation.notifications.selectors import unread_count
from meetings.models import MeetingStatus, MinutesStatus, RenderStatus
from votes.counting import Verdict
from votes.models import (
    BallotChannel,
    EntryStatus,
    Kind,
    Method,
    PollEventKind,
    PollStatus,
    Rule,
)

ELDER_COOKIE = "sifang_elder"

# The enums templates compare against, by the name a template uses: a template writes
# ``poll.status == PollStatus.OPEN``, never the stored string (tests/cms/test_no_status_strings.py).
# Names that are ambiguous on their own carry their model's name (``Kind`` is ``PollKind``).
TEMPLATE_ENUMS: dict[str, type[Enum]] = {
    "Party": Party,
    "ProposalStatus": ProposalStatus,
    "ProposalChannel": Channel,
    "ProposalCategory": Category,
    "ResolutionStatus": ResolutionStatus,
    "NotificationStatus": NotificationStatus,
    "MeetingStatus": MeetingStatus,
    "PollStatus": PollStatus,
    "PollKind": Kind,
    "PollMethod": Method,
    "PollRule": Rule,
    "PollEventKind": PollEventKind,
    "BallotChannel": BallotChannel,
    "EntryStatus": EntryStatus,
    "Verdict": Verdict,
    "RenderStatus": RenderStatus,
    "MinutesStatus": MinutesStatus,
    "DispatchStatus": DispatchStatus,
    "EscalationReason": EscalationReason,
}

# Each enum as its name -> member mapping: a template looks ``OPEN`` up in it, and a mapping,
# unlike an enum class, is never called by the template engine.
_TEMPLATE_CONTEXT: dict[str, Mapping[str, Enum]] = {
    name: enum.__members__ for name, enum in TEMPLATE_ENUMS.items()
}


def elder_mode(request: HttpRequest) -> dict[str, bool]:
    """Expose the persisted 长辈版 / 大字 choice to every template."""
    return {"elder_mode": request.COOKIES.get(ELDER_COOKIE) == "1"}


def enums(request: HttpRequest) -> dict[str, Mapping[str, Enum]]:
    """Expose :data:`TEMPLATE_ENUMS` to every template rendered with a request."""
    return _TEMPLATE_CONTEXT


def inbox(request: HttpRequest) -> dict[str, object]:
    """The header's unread count: one COUNT query, run only when a template reads it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"inbox_unread": SimpleLazyObject(lambda: unread_count(user))}
