"""Every write of a campaign: unit rows, canvassers, staff entries (four eyes), phone calls.

An entry counts only when ``ballot_entry_confirm`` casts it through ``votes.services.ballot_cast``
(which keeps every guarantee of casting: one ballot per owner, the chain, the close lock).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from deliberation.exceptions import InvalidInput
from deliberation.models import Building, NotificationKind, Unit, User
from deliberation.notifications.services import notify_users
from votes.campaign.evidence import clean_evidence
from votes.campaign.rules import is_campaign_poll
from votes.electorate import electorate_index
from votes.exceptions import VoteRefused
from votes.models import (
    BallotChannel,
    BallotEntry,
    CallOutcome,
    CampaignRules,
    CampaignUnit,
    CanvassAssignment,
    EntryStatus,
    Participation,
    PhoneCall,
    Poll,
    PollEvent,
    PollEventKind,
    PollStatus,
    ProxyAuthorisation,
    Secrecy,
)
from votes.services import ballot_cast, normalise_choice

ENTRY_CHANNELS = (
    BallotChannel.PAPER,
    BallotChannel.DOOR,
    BallotChannel.PROXY,
    BallotChannel.PHONE,
)
EVIDENCE_CHANNELS = (BallotChannel.PAPER, BallotChannel.DOOR, BallotChannel.PROXY)
# Codes without look-alike characters (0/O, 1/I/L), 12 of 31 symbols: about 59 bits.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 12


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(raw: str) -> str:
    """A typed or scanned code as stored: upper case, separators and spaces dropped."""
    text = raw.strip().rsplit("/", 1)[-1] if "/" in raw else raw
    return re.sub(r"[^0-9A-Za-z]", "", text).upper()


def campaign_units_ensure(*, poll: Poll) -> int:
    """Write the poll's unit rows (with ballot codes) from its frozen electorate, once.

    Only for owners' polls that have opened; returns how many rows were written (0 when they
    existed). Safe under concurrency: the (poll, unit) constraint keeps one row per unit.
    """
    if not is_campaign_poll(poll) or poll.status == PollStatus.DRAFT:
        return 0
    if CampaignUnit.objects.filter(poll=poll).exists():
        return 0
    units: list[tuple[int, str, str]] = []
    for voter in poll.frozen_electorate or []:
        for unit in voter.get("units", []):
            units.append((int(unit["id"]), str(voter["key"]), str(unit["area"])))
    buildings = dict(
        Unit.objects.filter(pk__in=[u[0] for u in units]).values_list("pk", "building_id")
    )
    rows = [
        CampaignUnit(
            poll=poll,
            unit_id=unit_id,
            building_id=buildings[unit_id],
            voter_key=key,
            area=area,
            code=_new_code(),
        )
        for unit_id, key, area in units
        if unit_id in buildings
    ]
    created = CampaignUnit.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    return len(created)


def campaign_rules_set(*, poll: Poll, phone_needs_confirmation: bool, actor: User) -> CampaignRules:
    """Whether phone ballots need a second person (default: yes); logged in the poll's events."""
    rules, _created = CampaignRules.objects.update_or_create(
        poll=poll, defaults={"phone_needs_confirmation": phone_needs_confirmation}
    )
    PollEvent.objects.create(
        poll=poll,
        kind=PollEventKind.NOTE,
        actor=actor,
        note=_("电话表决复核:%(value)s")
        % {"value": _("须复核") if phone_needs_confirmation else _("无须复核")},
        data={"phone_needs_confirmation": phone_needs_confirmation},
    )
    return rules


def canvasser_assign(
    *, poll: Poll, user: User, building: Building, actor: User
) -> CanvassAssignment:
    """Let ``user`` record door-to-door ballots for units of ``building`` in ``poll``."""
    if building.community_id != poll.community_id:
        raise InvalidInput(
            _("只能分配本社区的楼栋。"), fields={"building": [_("只能分配本社区的楼栋。")]}
        )
    assignment, _created = CanvassAssignment.objects.get_or_create(
        poll=poll, user=user, building=building, defaults={"assigned_by": actor}
    )
    return assignment


def canvasser_remove(*, assignment: CanvassAssignment, actor: User) -> None:
    """End an assignment; entries already made stay as they are."""
    assignment.delete()


def signer_id_hash(raw: str) -> tuple[str, str]:
    """A signer's ID number as (keyed hash, last four): the number itself is not kept."""
    text = re.sub(r"\s", "", raw).upper()
    if not text:
        return "", ""
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, b"signer:" + text.encode(), hashlib.sha256).hexdigest(), text[-4:]


@dataclass(frozen=True)
class CallRecord:
    """A phone call as staff note it."""

    number: str
    called_at: dt.datetime
    duration_minutes: int = 0
    notes: str = ""
    outcome: str = CallOutcome.VOTED
    read_back: bool = False


def _voter_for_unit(poll: Poll, unit_id: int) -> str:
    key = (
        CampaignUnit.objects.filter(poll=poll, unit_id=unit_id)
        .values_list("voter_key", flat=True)
        .first()
    )
    if key is None:
        raise VoteRefused("not_eligible")
    return key


def _gate(poll: Poll) -> None:
    if poll.status == PollStatus.DRAFT:
        raise VoteRefused("poll_not_open")
    if poll.status != PollStatus.OPEN or (poll.closes_at and timezone.now() >= poll.closes_at):
        raise VoteRefused("poll_closed")


def ballot_entry_submit(
    *,
    poll: Poll,
    unit_id: int,
    channel: str,
    choice: dict[str, Any],
    actor: User,
    evidence: IO[bytes] | None = None,
    signer_name: str = "",
    signer_id: str = "",
    proxy_name: str = "",
    proxy_note: str = "",
    call: CallRecord | None = None,
) -> BallotEntry:
    """Record a staff or canvasser entry for the owner of ``unit_id``; it waits for a second
    person (``ballot_entry_confirm``), except phone ballots where the poll's campaign rules
    waive it.

    Raises ``VoteRefused`` (poll state, ``not_eligible``, ``already_voted`` when the owner has
    voted or an entry is already waiting, ``delegated``, ``bad_request``/``wrong_option`` for the
    choice) and ``InvalidInput`` (fields ``evidence``, ``proxy_name``, ``proxy_note``,
    ``read_back``, ``number``).
    """
    _gate(poll)
    if channel not in ENTRY_CHANNELS:
        raise VoteRefused("bad_request")
    voter_key = _voter_for_unit(poll, unit_id)
    index = electorate_index(poll)
    clean_choice = normalise_choice(
        index.method, choice, index.option_ids, poll.frozen_spec.get("rule", "")
    )
    problems: dict[str, list[str]] = {}
    if channel == BallotChannel.PROXY:
        if not proxy_name.strip():
            problems["proxy_name"] = [_("请填写受托人姓名。")]
        if not proxy_note.strip():
            problems["proxy_note"] = [_("委托代投须注明书面授权委托书")]
    if channel == BallotChannel.PHONE:
        if call is None or not call.number.strip():
            problems["number"] = [_("请填写拨打的电话号码。")]
        elif not call.read_back:
            problems["read_back"] = [_("须向业主复述所选选项并得到确认后才能录入。")]
    stored = None
    if channel in EVIDENCE_CHANNELS:
        try:
            stored = clean_evidence(evidence)
        except InvalidInput as bad:
            problems.update(bad.fields)
    if problems:
        first = next(iter(problems.values()))[0]
        raise InvalidInput(first, fields=problems)
    if Participation.objects.filter(poll=poll, voter_key=voter_key).exists():
        raise VoteRefused("already_voted")
    authorisation = ProxyAuthorisation.objects.filter(
        poll=poll, voter_key=voter_key, revoked_at__isnull=True
    ).first()
    if channel != BallotChannel.PROXY and authorisation is not None:
        raise VoteRefused("delegated")
    if (
        channel == BallotChannel.PROXY
        and authorisation is not None
        and authorisation.instruction is not None
        and authorisation.instruction != clean_choice
    ):
        # Refuse now, not at confirmation: the entry could never count (ballot_cast refuses
        # a proxy ballot against the principal's written instruction).
        raise VoteRefused("proxy_instruction")
    hashed, tail = signer_id_hash(signer_id)
    entry = BallotEntry(
        poll=poll,
        voter_key=voter_key,
        unit_id=unit_id,
        channel=channel,
        choice=clean_choice,
        evidence_sha256=stored.sha256 if stored else "",
        signer_name=signer_name.strip()[:60],
        signer_id_hash=hashed,
        signer_id_tail=tail,
        proxy_name=proxy_name.strip()[:60],
        proxy_note=proxy_note.strip(),
        entered_by=actor,
    )
    if stored is not None:
        entry.evidence.save(stored.content.name or "evidence", stored.content, save=False)
    try:
        with transaction.atomic():
            entry.save()
            if call is not None:
                PhoneCall.objects.create(
                    poll=poll,
                    voter_key=voter_key,
                    unit_id=unit_id,
                    caller=actor,
                    called_at=call.called_at,
                    number=call.number.strip()[:30],
                    duration_minutes=call.duration_minutes,
                    notes=call.notes.strip(),
                    outcome=CallOutcome.VOTED,
                    read_back=True,
                    entry=entry,
                )
    except IntegrityError as exc:
        if entry.evidence:
            entry.evidence.delete(save=False)
        raise VoteRefused(
            "already_voted", _("该户已有一张待复核的录入选票,请先复核或退回。")
        ) from exc
    if channel == BallotChannel.PHONE and not _phone_needs_confirmation(poll):
        return _confirm(entry, confirmer=None)
    return entry


def _phone_needs_confirmation(poll: Poll) -> bool:
    rules = CampaignRules.objects.filter(poll=poll).first()
    return True if rules is None else rules.phone_needs_confirmation


def phone_call_record(*, poll: Poll, unit_id: int, actor: User, call: CallRecord) -> PhoneCall:
    """A call that did not end in a ballot (no answer, declined, call back later)."""
    if call.outcome == CallOutcome.VOTED:
        raise VoteRefused("bad_request")
    if not call.number.strip():
        raise InvalidInput(
            _("请填写拨打的电话号码。"), fields={"number": [_("请填写拨打的电话号码。")]}
        )
    return PhoneCall.objects.create(
        poll=poll,
        voter_key=_voter_for_unit(poll, unit_id),
        unit_id=unit_id,
        caller=actor,
        called_at=call.called_at,
        number=call.number.strip()[:30],
        duration_minutes=call.duration_minutes,
        notes=call.notes.strip(),
        outcome=call.outcome,
    )


class FourEyes(Exception):
    """The person who entered a ballot tried to confirm it."""

    def __init__(self) -> None:
        self.message = _("不能复核自己录入的选票,请由另一名工作人员复核。")
        super().__init__(self.message)


def ballot_entry_confirm(*, entry: BallotEntry, actor: User) -> BallotEntry:
    """A second staff member confirms: the ballot is cast (and counts) now.

    Raises ``FourEyes`` for the person who entered it, ``VoteRefused`` when casting refuses
    (the entry then stays pending, except ``already_voted``, which rejects it with that reason:
    the owner voted another way meanwhile, and nothing is counted twice).
    """
    if actor.pk == entry.entered_by_id:
        raise FourEyes
    return _confirm(entry, confirmer=actor)


def _confirm(entry: BallotEntry, *, confirmer: User | None) -> BallotEntry:
    with transaction.atomic():
        locked = BallotEntry.objects.select_for_update().get(pk=entry.pk)
        if locked.status != EntryStatus.PENDING:
            raise VoteRefused("bad_request", _("这张录入选票已经处理过了。"))
        poll = Poll.objects.get(pk=locked.poll_id)
        try:
            receipt = ballot_cast(
                poll=poll,
                voter=locked.voter_key,
                choice=locked.choice,
                channel=locked.channel,
                entered_by=locked.entered_by,
                proxy_note=locked.proxy_note
                or (_("书面委托,受托人:%(name)s") % {"name": locked.proxy_name}),
                proxy_name=locked.proxy_name,
            )
        except VoteRefused as refused:
            if refused.code != "already_voted":
                raise
            _decide(locked, confirmer, EntryStatus.REJECTED, reason=refused.message)
            return locked
        locked.receipt, locked.ballot_seq = receipt.receipt, receipt.seq
        _decide(locked, confirmer, EntryStatus.CONFIRMED)
        _send_receipt(poll, locked)
    return locked


def _decide(entry: BallotEntry, actor: User | None, status: str, reason: str = "") -> None:
    entry.status = status
    entry.decided_by = actor
    entry.decided_at = timezone.now()
    entry.reject_reason = reason
    if entry.poll.frozen_spec.get("secrecy", entry.poll.secrecy) == Secrecy.SECRET:
        entry.choice = {}  # decided: nothing kept links this owner to a choice
    entry.save(
        update_fields=[
            "status",
            "decided_by",
            "decided_at",
            "reject_reason",
            "choice",
            "receipt",
            "ballot_seq",
        ]
    )


def ballot_entry_reject(*, entry: BallotEntry, actor: User, reason: str) -> BallotEntry:
    """Send an entry back with a reason (wrong unit, unreadable signature, ...); it never
    counts. The owner may then vote or be entered again."""
    if not reason.strip():
        raise InvalidInput(_("请填写退回原因。"), fields={"reason": [_("请填写退回原因。")]})
    with transaction.atomic():
        locked = BallotEntry.objects.select_for_update().select_related("poll").get(pk=entry.pk)
        if locked.status != EntryStatus.PENDING:
            raise VoteRefused("bad_request", _("这张录入选票已经处理过了。"))
        _decide(locked, actor, EntryStatus.REJECTED, reason=reason.strip())
    return locked


def _send_receipt(poll: Poll, entry: BallotEntry) -> None:
    """Tell the owner that a ballot entered for them now counts, with its receipt (SMS, letter
    or inbox as the owner's channel is): a ballot entered in someone's name does not go unseen."""
    user_ids: list[int] = []
    for voter in poll.frozen_electorate or []:
        if voter.get("key") == entry.voter_key:
            user_ids = [int(u) for u in voter.get("user_ids", [])]
            break
    if not user_ids:
        return
    channel = BallotChannel(entry.channel).label
    notify_users(
        community=poll.community,
        user_ids=user_ids,
        kind=NotificationKind.GENERAL,
        key=f"poll:{poll.pk}:entry:{entry.pk}",
        title=_("您的选票已计入:%(question)s") % {"question": poll.question},
        body=_(
            "工作人员录入的选票(%(channel)s)已复核计入。回执码:%(receipt)s。"
            "如非本人意愿,请立即联系社区居委会。"
        )
        % {"channel": channel, "receipt": entry.receipt},
        url=reverse("poll-detail", args=[poll.community.slug, poll.pk]),
        proposal=poll.proposal,
    )
