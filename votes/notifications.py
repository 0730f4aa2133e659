"""Tell owners about polls: when one opens, and a day before it closes (those yet to vote).

The rows and their delivery are ``deliberation.notifications``'; this module only knows who is in
a poll's frozen electorate and who has voted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from deliberation.models import NotificationKind
from deliberation.notifications.services import notify_users
from votes.models import Participation, Poll, PollStatus

CLOSING_NOTICE = dt.timedelta(days=1)


def _poll_path(poll: Poll) -> str:
    return reverse("poll-detail", args=[poll.community.slug, poll.pk])


def _voters(poll: Poll, *, skip_keys: frozenset[str] = frozenset()) -> list[int]:
    return sorted(
        {
            int(user_id)
            for voter in poll.frozen_electorate or []
            if voter.get("key") not in skip_keys
            for user_id in voter.get("user_ids", [])
        }
    )


def _closing_text(poll: Poll) -> str:
    if poll.closes_at is None:
        return ""
    when = timezone.localtime(poll.closes_at).strftime("%Y-%m-%d %H:%M")
    return _("截止时间:%(when)s") % {"when": when}


def notify_poll_opened(*, poll: Poll) -> int:
    """Tell everyone in the opened poll's electorate; call inside ``poll_open``'s transaction."""
    return notify_users(
        community=poll.community,
        user_ids=_voters(poll),
        kind=NotificationKind.POLL_OPENED,
        key=f"poll:{poll.pk}:opened",
        title=_("表决开始:%(question)s") % {"question": poll.question},
        body=_closing_text(poll),
        url=_poll_path(poll),
        proposal=poll.proposal,
    )


@dataclass
class ClosingReport:
    polls: int = 0
    notified: int = 0


def notify_polls_closing(*, now: dt.datetime | None = None) -> ClosingReport:
    """Remind those who have not voted in each open poll closing within a day.

    One occasion per poll and closing time (an extension makes a new one); safe to run every
    minute.
    """
    now = now or timezone.now()
    report = ClosingReport()
    closing = Poll.objects.filter(
        status=PollStatus.OPEN, closes_at__gt=now, closes_at__lte=now + CLOSING_NOTICE
    ).select_related("community", "proposal")
    for poll in closing:
        closes_at = poll.closes_at
        assert closes_at is not None  # the filter above
        report.polls += 1
        # Participation, not Ballot: it names the voter in secret polls too.
        voted = set(Participation.objects.filter(poll=poll).values_list("voter_key", flat=True))
        with transaction.atomic():
            report.notified += notify_users(
                community=poll.community,
                user_ids=_voters(poll, skip_keys=frozenset(voted)),
                kind=NotificationKind.POLL_CLOSING,
                key=f"poll:{poll.pk}:closing:{closes_at.isoformat()}",
                title=_("表决即将截止:%(question)s") % {"question": poll.question},
                body=_closing_text(poll) + " " + _("您尚未投票。"),
                url=_poll_path(poll),
                proposal=poll.proposal,
            )
    return report
