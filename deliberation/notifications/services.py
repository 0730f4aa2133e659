"""Writes of notifications: the ``notify_*`` entry points the domain services call, delivery.

Callers notify inside their own transaction: the rows are written with the change they report,
and delivery (SMS, e-mail) is queued on commit to the task worker, so a rolled-back change tells
nobody. Each row's ``dedupe_key`` is the occasion plus the recipient and is unique in the
database: a service or a reminder run that repeats creates nothing new, and delivery takes each
pending row under a row lock and sends it once.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from deliberation.models import (
    STAFF_PARTIES,
    Community,
    Dispatch,
    DispatchEvent,
    Member,
    Notification,
    NotificationChannel,
    NotificationKind,
    NotificationStatus,
    Party,
    Proposal,
    ProposalStatus,
    ProposalTransition,
    Resolution,
    StreetStaff,
    UnitStaff,
    User,
)
from deliberation.notifications.delivery import DELIVERED_BY_WORKER
from deliberation.notifications.tasks import deliver_notifications_task
from deliberation.resolutions.transitions import OPEN_STATUSES as RESOLUTION_OPEN_STATUSES
from deliberation.sanitize import to_plain_text

logger = logging.getLogger(__name__)


# --- choosing the channel -----------------------------------------------------------------------


def usable_channels(user: User, member: Member | None) -> list[str]:
    """The channels that can reach ``user``, in the order tried when no preference is set."""
    channels: list[str] = []
    if user.phone:
        channels.append(NotificationChannel.SMS)
    if user.email:
        channels.append(NotificationChannel.EMAIL)
    if member is not None and _first_unit_id(member) is not None:
        channels.append(NotificationChannel.LETTER)
    channels.append(NotificationChannel.INBOX)
    return channels


def channel_for(user: User, member: Member | None) -> str:
    """The member's preferred channel when it can reach them, else the first usable one."""
    usable = usable_channels(user, member)
    preferred = member.preferred_channel if member is not None else ""
    return preferred if preferred in usable else usable[0]


def _first_unit_id(member: Member) -> int | None:
    # ``ownerships`` is prefetched by the callers; sorted so co-owned households are stable.
    unit_ids = sorted(ownership.unit_id for ownership in member.ownerships.all())
    return unit_ids[0] if unit_ids else None


# --- the one generic entry point ------------------------------------------------------------------


def notify_users(
    *,
    community: Community,
    user_ids: Iterable[int],
    kind: str,
    key: str,
    title: str,
    body: str = "",
    url: str = "",
    proposal: Proposal | None = None,
    resolution: Resolution | None = None,
) -> int:
    """Notify each of ``user_ids`` once about the occasion ``key``; return how many are new.

    ``body`` is plain text (HTML tags are dropped). ``key`` names the occasion without the
    recipient (``poll:12:opened``); a recipient already
    notified of it is skipped. Each new row takes the recipient's channel in ``community``
    (:func:`channel_for`); inbox rows count as delivered at once, SMS and e-mail rows are
    delivered by the task worker after commit, letters wait for staff to print them.
    """
    if kind not in NotificationKind.values:
        raise ValueError(f"unknown notification kind {kind!r}")
    wanted = sorted(set(user_ids))
    if not wanted:
        return 0
    keys = {user_id: f"{key}:to:{user_id}" for user_id in wanted}
    known = set(
        Notification.objects.filter(dedupe_key__in=keys.values()).values_list(
            "dedupe_key", flat=True
        )
    )
    fresh = [user_id for user_id in wanted if keys[user_id] not in known]
    if not fresh:
        return 0
    members = {
        member.user_id: member
        for member in Member.objects.filter(community=community, user_id__in=fresh)
        .select_related("user")
        .prefetch_related("ownerships")
    }
    users = {user.pk: user for user in User.objects.filter(pk__in=fresh, is_active=True)}
    now = timezone.now()
    # Answers and reports are rich text; a message carries their words only.
    plain_body = to_plain_text(body)
    rows = []
    for user_id in fresh:
        user = users.get(user_id)
        if user is None:
            continue
        member = members.get(user_id)
        channel = channel_for(user, member)
        is_inbox = channel == NotificationChannel.INBOX
        rows.append(
            Notification(
                recipient=user,
                community=community,
                kind=kind,
                channel=channel,
                status=NotificationStatus.SENT if is_inbox else NotificationStatus.PENDING,
                sent_at=now if is_inbox else None,
                proposal=proposal,
                resolution=resolution,
                subject_key=key[:80],
                unit_id=_first_unit_id(member)
                if member is not None and channel == NotificationChannel.LETTER
                else None,
                title=title[:200],
                body=plain_body,
                url=url[:300],
                dedupe_key=keys[user_id],
            )
        )
    # A concurrent run may have written some of them since the read above: the unique key
    # decides, and those rows are simply not written twice.
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    if any(row.channel in DELIVERED_BY_WORKER for row in rows):
        transaction.on_commit(_enqueue_delivery)
    return len(rows)


def _enqueue_delivery() -> None:
    deliver_notifications_task.enqueue()


# --- the events of the loop --------------------------------------------------------------------

_PROPOSAL_KINDS: dict[str, str] = {
    ProposalStatus.ACCEPTED: NotificationKind.PROPOSAL_ACCEPTED,
    ProposalStatus.ANSWERED: NotificationKind.PROPOSAL_ANSWERED,
    ProposalStatus.REJECTED: NotificationKind.PROPOSAL_REJECTED,
    ProposalStatus.MERGED: NotificationKind.PROPOSAL_MERGED,
    ProposalStatus.SCHEDULED: NotificationKind.PROPOSAL_SCHEDULED,
    ProposalStatus.DECIDED: NotificationKind.PROPOSAL_DECIDED,
    ProposalStatus.NOT_ADOPTED: NotificationKind.PROPOSAL_NOT_ADOPTED,
}


# Outcomes of a matter that also answer the matters merged into it.
_FOLLOWED_BY_MERGED = (
    ProposalStatus.ANSWERED,
    ProposalStatus.SCHEDULED,
    ProposalStatus.DECIDED,
    ProposalStatus.NOT_ADOPTED,
)


def proposal_path(proposal: Proposal) -> str:
    return reverse("proposal-detail", args=[proposal.community.slug, proposal.pk])


def resolution_path(resolution: Resolution) -> str:
    return reverse("resolution-detail", args=[resolution.community.slug, resolution.pk])


def _proposal_message(proposal: Proposal, transition: ProposalTransition) -> tuple[str, str]:
    names = {"title": proposal.title}
    status = transition.to_status
    if status == ProposalStatus.ACCEPTED:
        title = _("您提出的议题「%(title)s」已受理") % names
        body = (
            _("责任方:%(party)s。办理进展会继续通知您。")
            % {"party": Party(proposal.responsible_party).label}
            if proposal.responsible_party
            else ""
        )
    elif status == ProposalStatus.ANSWERED:
        title = _("您提出的议题「%(title)s」已答复") % names
        body = proposal.answer
    elif status == ProposalStatus.REJECTED:
        title = _("您提出的议题「%(title)s」不予受理") % names
        body = _("理由:%(reason)s") % {"reason": proposal.reject_reason}
    elif status == ProposalStatus.MERGED:
        title = _("您提出的议题「%(title)s」已合并") % names
        into = proposal.merged_into
        body = _("已合并至议题「%(into)s」一并办理。") % {"into": into.title} if into else ""
    elif status == ProposalStatus.SCHEDULED:
        title = _("您提出的议题「%(title)s」已列入议事会议程") % names
        body = transition.note
    elif status == ProposalStatus.DECIDED:
        title = _("您提出的议题「%(title)s」已形成决议") % names
        body = transition.note
    else:
        title = _("您提出的议题「%(title)s」未获表决通过") % names
        body = transition.note
    return title, body


def notify_proposal_transition(*, proposal: Proposal, transition: ProposalTransition) -> int:
    """Tell the author of ``proposal`` about the step ``transition`` recorded.

    Steps without a message (back to ``accepted`` from the agenda keeps the first acceptance's)
    and an author who took the step themself notify nobody.
    """
    kind = _PROPOSAL_KINDS.get(transition.to_status)
    if kind is None:
        return 0
    if transition.to_status == ProposalStatus.ACCEPTED and (
        transition.from_status != ProposalStatus.SUBMITTED
    ):
        return 0
    recipients = [proposal.author.user_id]
    if transition.to_status in _FOLLOWED_BY_MERGED:
        # Matters merged into this one (a common problem's members) are answered by it: their
        # authors hear of each outcome too.
        recipients += list(
            Proposal.objects.filter(merged_into=proposal).values_list("author__user_id", flat=True)
        )
    user_ids = sorted({uid for uid in recipients if uid != transition.actor_id})
    if not user_ids:
        return 0
    title, body = _proposal_message(proposal, transition)
    return notify_users(
        community=proposal.community,
        user_ids=user_ids,
        kind=kind,
        key=f"proposal:{proposal.pk}:transition:{transition.pk}",
        title=title,
        body=body,
        url=proposal_path(proposal),
        proposal=proposal,
    )


def resolution_staff_ids(resolution: Resolution) -> list[int]:
    """The responsible person, or else every staff member of the responsible party (residents'
    matters: the committee)."""
    if resolution.responsible_person_id is not None:
        return [resolution.responsible_person_id]
    party = resolution.responsible_party
    if party not in STAFF_PARTIES:
        party = Party.COMMITTEE
    return list(
        Member.objects.filter(community_id=resolution.community_id, party=party).values_list(
            "user_id", flat=True
        )
    )


def notify_resolution_assigned(*, resolution: Resolution) -> int:
    """Tell the responsible staff they have a resolution to carry out, once per round."""
    title = _("交办:%(title)s") % {"title": resolution.proposal.title}
    body = _("决议:%(decision)s 办结期限:%(deadline)s") % {
        "decision": resolution.decision,
        "deadline": resolution.deadline.isoformat(),
    }
    return notify_users(
        community=resolution.community,
        user_ids=resolution_staff_ids(resolution),
        kind=NotificationKind.RESOLUTION_ASSIGNED,
        key=f"resolution:{resolution.pk}:assigned:round:{resolution.round}",
        title=title,
        body=body,
        url=resolution_path(resolution),
        proposal=resolution.proposal,
        resolution=resolution,
    )


def notify_resolution_completed(*, resolution: Resolution) -> int:
    """Tell the author of the matter (and of the matters merged into it) that its resolution is
    completed, once per round."""
    proposal = resolution.proposal
    title = _("您提出的议题「%(title)s」已办结") % {"title": proposal.title}
    body = _("办结报告:%(report)s 欢迎对办理结果进行满意度评价。") % {
        "report": resolution.completion_report
    }
    # The authors of matters merged into it (a common problem's members) are answered too.
    merged_authors = Proposal.objects.filter(merged_into=proposal).values_list(
        "author__user_id", flat=True
    )
    return notify_users(
        community=resolution.community,
        user_ids=sorted({proposal.author.user_id, *merged_authors}),
        kind=NotificationKind.RESOLUTION_COMPLETED,
        key=f"resolution:{resolution.pk}:completed:round:{resolution.round}",
        title=title,
        body=body,
        url=resolution_path(resolution),
        proposal=proposal,
        resolution=resolution,
    )


def notify_meeting_changed(
    *,
    community: Community,
    meeting_id: int,
    user_ids: Iterable[int],
    title: str,
    starts_at: dt.datetime,
    place: str,
    url: str,
) -> int:
    """Tell ``user_ids`` the meeting's new time and place; each new time is a new occasion."""
    when = timezone.localtime(starts_at)
    return notify_users(
        community=community,
        user_ids=user_ids,
        kind=NotificationKind.MEETING_CHANGED,
        key=f"meeting:{meeting_id}:starts:{when.isoformat()}:place:{place}"[:200],
        title=_("议事会「%(title)s」时间地点变更") % {"title": title},
        body=_("新时间:%(when)s 地点:%(place)s")
        % {
            "when": when.strftime("%Y-%m-%d %H:%M"),
            "place": place,
        },
        url=url,
    )


def dispatch_path(dispatch: Dispatch) -> str:
    return reverse("dispatch-detail", args=[dispatch.pk])


def notify_dispatch_assigned(*, dispatch: Dispatch) -> int:
    """Tell every staff member of the unit that a matter was dispatched to it, once per dispatch."""
    proposal = dispatch.proposal
    user_ids = UnitStaff.objects.filter(unit_id=dispatch.unit_id).values_list("user_id", flat=True)
    when = timezone.localtime(dispatch.claim_due_at).strftime("%Y-%m-%d %H:%M")
    return notify_users(
        community=proposal.community,
        user_ids=list(user_ids),
        kind=NotificationKind.DISPATCH_ASSIGNED,
        key=f"dispatch:{dispatch.pk}:assigned",
        title=_("派件:%(title)s") % {"title": proposal.title},
        body=_("%(community)s 派至%(unit)s,请在 %(when)s 前认领或退件。")
        % {"community": proposal.community.name, "unit": dispatch.unit.name, "when": when},
        url=dispatch_path(dispatch),
        proposal=proposal,
    )


def notify_dispatch_step(*, dispatch: Dispatch, event: DispatchEvent) -> int:
    """Tell the author of the matter that the unit claimed it or reported back (one per event)."""
    proposal = dispatch.proposal
    names = {"title": proposal.title, "unit": dispatch.unit.name}
    if event.kind == "claimed":
        kind = NotificationKind.DISPATCH_CLAIMED
        title = _("您提出的议题「%(title)s」已由%(unit)s认领") % names
        body = _("认领人:%(name)s") % {"name": event.actor.display_name if event.actor else ""}
    else:
        kind = NotificationKind.DISPATCH_FEEDBACK
        title = _("您提出的议题「%(title)s」有新的办理反馈") % names
        body = event.note
    return notify_users(
        community=proposal.community,
        user_ids=[proposal.author.user_id],
        kind=kind,
        key=f"dispatch:{dispatch.pk}:event:{event.pk}",
        title=title,
        body=body,
        url=proposal_path(proposal),
        proposal=proposal,
    )


def notify_dispatch_escalated(*, dispatch: Dispatch) -> int:
    """Tell the street's command-centre staff that a dispatch was escalated to them, once."""
    proposal = dispatch.proposal
    street_id = proposal.community.street_id
    if street_id is None:
        user_ids = list(
            Member.objects.filter(
                community_id=proposal.community_id, party=Party.COMMITTEE
            ).values_list("user_id", flat=True)
        )
    else:
        user_ids = list(
            StreetStaff.objects.filter(street_id=street_id).values_list("user_id", flat=True)
        )
    return notify_users(
        community=proposal.community,
        user_ids=user_ids,
        kind=NotificationKind.DISPATCH_ESCALATED,
        key=f"dispatch:{dispatch.pk}:escalated",
        title=_("上报街道:%(title)s") % {"title": proposal.title},
        body=_("%(community)s 派至%(unit)s的议题:%(reason)s")
        % {
            "community": proposal.community.name,
            "unit": dispatch.unit.name,
            "reason": dispatch.get_escalation_reason_display(),
        },
        url=reverse("dispatch_admin_list") + "?escalated=1",
        proposal=proposal,
    )


@dataclass
class ReminderCounts:
    occasions: int = 0
    notified: int = 0


def notify_deadlines_tomorrow(*, today: dt.date | None = None) -> ReminderCounts:
    """Remind the responsible staff of each open resolution whose deadline is tomorrow.

    Safe to run any number of times a day: each (resolution, round, deadline) is one occasion.
    """
    today = today or timezone.localdate()
    counts = ReminderCounts()
    due = Resolution.objects.filter(
        status__in=RESOLUTION_OPEN_STATUSES, deadline=today + dt.timedelta(days=1)
    ).select_related("community", "proposal")
    for resolution in due:
        counts.occasions += 1
        with transaction.atomic():
            counts.notified += notify_users(
                community=resolution.community,
                user_ids=resolution_staff_ids(resolution),
                kind=NotificationKind.RESOLUTION_DEADLINE,
                key=(
                    f"resolution:{resolution.pk}:deadline:{resolution.deadline}"
                    f":round:{resolution.round}"
                ),
                title=_("明天到期:%(title)s") % {"title": resolution.proposal.title},
                body=_("决议「%(decision)s」的办结期限是 %(deadline)s,请及时办理并填报进展。")
                % {"decision": resolution.decision, "deadline": resolution.deadline.isoformat()},
                url=resolution_path(resolution),
                proposal=resolution.proposal,
                resolution=resolution,
            )
    return counts


# --- reading and delivery ------------------------------------------------------------------------


def inbox_mark_read(*, user: User, notification_ids: Iterable[int] | None = None) -> int:
    """Mark the user's notifications read (all unread ones when ``notification_ids`` is None);
    another person's ids are ignored. Returns how many changed."""
    rows = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_ids is not None:
        rows = rows.filter(pk__in=list(notification_ids))
    return rows.update(read_at=timezone.now())


def member_set_preferred_channel(*, member: Member, channel: str) -> Member:
    """Store how ``member`` wants to be told (blank: automatic). Raises ``ValueError`` for an
    unknown channel."""
    if channel and channel not in NotificationChannel.values:
        raise ValueError(f"unknown channel {channel!r}")
    member.preferred_channel = channel
    member.save(update_fields=["preferred_channel"])
    return member


def letters_mark_printed(*, community: Community, building_id: int, upto_id: int) -> int:
    """Record the building's pending letters up to ``upto_id`` (the batch the staff member
    printed) as handed to the building head; returns how many."""
    return Notification.objects.filter(
        pk__lte=upto_id,
        community=community,
        channel=NotificationChannel.LETTER,
        status=NotificationStatus.PENDING,
        unit__building_id=building_id,
    ).update(status=NotificationStatus.SENT, sent_at=timezone.now())
