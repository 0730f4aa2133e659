"""Casting ballots: one transaction per batch, the poll row locked, chain order kept.

Guarantees (DESIGN.md "Votes"):

- One ballot per voter (per owner voter, for owners' polls) per poll. The database guards it:
  ``Participation(poll, voter_key)`` is unique for every poll and ``Ballot(poll, voter_key)``
  too for named polls. The checks before insert only pick the refusal code; an
  ``IntegrityError`` from the constraint still ends in ``already_voted``.
- Casting and closing take the same row lock (``select_for_update`` on the poll; SQLite runs
  every transaction ``IMMEDIATE``, which serialises writers). A ballot is either committed
  before the close and counted, or sees the poll closed and is refused.
- Each ballot gets the next chain position under that lock; its hash is
  ``sha256(prev_hash + canonical content)`` and the receipt is derived from the hash. Keyed
  polls add one HMAC per ballot (``Ballot.mac``) and one per batch for the head
  (``Poll.chain_head_mac``), with no extra query (docs/ballot-chain.md).
- Secret polls: the ballot row carries no voter key, channel, staff id or timestamp; the
  participation row carries who, how and by whom but no time and a random UUID key, and a batch
  inserts its participations in shuffled order. Nothing stored links a participation to a
  ballot. (A database operator reading physical row order or the write-ahead log of a
  one-ballot batch could still correlate; the application exposes no such link.)
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from deliberation.models import User
from votes import audit
from votes.counting import accepts_blank
from votes.electorate import ElectorateIndex, electorate_index
from votes.exceptions import REFUSAL_MESSAGES, VoteRefused
from votes.models import (
    Ballot,
    BallotChannel,
    ChainScheme,
    ChangePolicy,
    Method,
    Participation,
    Poll,
    PollStatus,
    ProxyAuthorisation,
    Secrecy,
)
from votes.proxies.selectors import proxy_standing
from votes.services.changes import change_refusal, counted_ballots, replace_ballots
from votes.suspension import suspension_refusal

STAFF_CHANNELS = {
    BallotChannel.PAPER,
    BallotChannel.PROXY,
    BallotChannel.IN_PERSON,
    BallotChannel.DOOR,
    BallotChannel.PHONE,
}


@dataclass(frozen=True)
class CastRequest:
    """One ballot to cast.

    ``voter_id`` is the signed-in user's id (online, or in person at a device). Staff entry
    (``paper``, ``proxy``, ``in_person``) names the voter by ``voter_key`` (the frozen
    electorate's key, e.g. a unit) or by ``voter_id``, and must give ``entered_by_id``.
    ``ref`` is the caller's correlation value, returned untouched. A ballot cast with a ref
    keeps its receipt sealed under it (``Participation.ref_seal``): the same request again
    (same poll, voter, ref and choice) while the poll is open gets the original receipt back
    (``CastOutcome.replayed``) instead of ``already_voted``.
    """

    poll_id: int
    choice: dict[str, Any]
    voter_id: int | None = None
    voter_key: str | None = None
    channel: str = BallotChannel.ONLINE
    entered_by_id: int | None = None
    proxy_note: str = ""
    proxy_name: str = ""
    ref: Any = None


@dataclass(frozen=True)
class CastReceipt:
    """What the voter is told after the ballot's transaction committed."""

    poll_id: int
    seq: int
    receipt: str
    hash: str

    def to_dict(self) -> dict[str, Any]:
        return {"poll": self.poll_id, "seq": self.seq, "receipt": self.receipt, "hash": self.hash}


@dataclass(frozen=True)
class CastOutcome:
    """Either ``receipt`` (accepted) or ``code`` + ``message`` (refused)."""

    request: CastRequest
    receipt: CastReceipt | None = None
    code: str | None = None
    message: str = ""
    replayed: bool = False  # a repeat of an earlier request: its original receipt, no new ballot

    @property
    def ok(self) -> bool:
        return self.receipt is not None


@dataclass
class _Pending:
    index: int
    request: CastRequest
    voter_key: str
    choice: dict[str, Any]
    headcount: int
    area: Decimal
    voter_user_id: int | None
    needs_proxy_record: bool
    ballot: Ballot | None = None
    participation: Participation | None = None
    # A change (``Poll.change_policy``): the voter's counted ballot that this one replaces.
    replaces: Ballot | None = None

    @property
    def ballot_row(self) -> Ballot:
        """The ballot row ``_build_rows`` made for this item (it runs before any insert)."""
        assert self.ballot is not None
        return self.ballot

    @property
    def participation_row(self) -> Participation:
        """The participation row ``_build_rows`` made for this item."""
        assert self.participation is not None
        return self.participation


def _ref_text(ref: Any) -> str | None:
    """The ref as the seal binds it (its JSON, so ``1`` and ``"1"`` differ); None without one."""
    if ref is None or isinstance(ref, bool) or ref == "":
        return None
    if isinstance(ref, str | int):
        return json.dumps(ref, ensure_ascii=False)
    return None


def _choice_text(choice: dict[str, Any]) -> str:
    return json.dumps(choice, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _refuse(request: CastRequest, code: str, message: str = "") -> CastOutcome:
    return CastOutcome(request=request, code=code, message=message or str(REFUSAL_MESSAGES[code]))


def normalise_choice(
    method: str, payload: Any, option_ids: Sequence[int], rule: str = ""
) -> dict[str, Any]:
    """Check a choice payload against the poll's method and options; return its canonical form.

    ``{"choice": id}`` for single/yesno, ``{"choices": [ids]}`` for approval (sorted),
    ``{"ranking": [ids]}`` for ranked (order kept, no repeats). A blank ballot, which takes
    part and supports no option, is ``{"choices": []}``, ``{"ranking": []}`` or, on a single
    choice poll whose ``rule`` counts participation, ``{"choice": None}``
    (``votes.counting.accepts_blank``; docs/counting.md). Raises ``VoteRefused`` with
    ``bad_request`` or ``wrong_option``.
    """
    if not isinstance(payload, dict):
        raise VoteRefused("bad_request")
    valid = set(option_ids)

    def as_id(value: Any) -> int:
        if isinstance(value, bool):
            raise VoteRefused("bad_request")
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        if not isinstance(value, int):
            raise VoteRefused("bad_request")
        if value not in valid:
            raise VoteRefused("wrong_option")
        return value

    if method in (Method.SINGLE, Method.YESNO):
        if set(payload) != {"choice"}:
            raise VoteRefused("bad_request")
        if payload["choice"] is None:
            if not accepts_blank(method, rule):
                raise VoteRefused("bad_request", _no_blank_ballot(method))
            return {"choice": None}
        return {"choice": as_id(payload["choice"])}
    key = "choices" if method == Method.APPROVAL else "ranking"
    if method not in (Method.APPROVAL, Method.RANKED) or set(payload) != {key}:
        raise VoteRefused("bad_request")
    values = payload[key]
    if values is None:
        # Nothing chosen: a blank ballot is only ever the explicit empty list.
        raise VoteRefused("bad_request", _nothing_chosen())
    if not isinstance(values, list) or len(values) > len(valid):
        raise VoteRefused("bad_request")
    ids = [as_id(v) for v in values]
    if len(set(ids)) != len(ids):
        raise VoteRefused("bad_request")
    return {key: sorted(ids) if key == "choices" else ids}


def _nothing_chosen() -> str:
    return str(_("请至少选择一项;如果不支持任何选项,请明确选择“空白票”。"))


def _no_blank_ballot(method: str) -> str:
    if method == Method.YESNO:
        return str(_("请选择赞成、反对或弃权中的一个选项"))
    return str(_("本表决按得票多少决定,不设空白票,请选择一个选项"))


def _poll_gate(poll: Poll | None, now: dt.datetime) -> str | None:
    if poll is None:
        return "bad_request"
    if poll.status == PollStatus.DRAFT:
        return "poll_not_open"
    if poll.status != PollStatus.OPEN:
        return "poll_closed"
    if poll.opens_at and now < poll.opens_at:
        return "poll_not_open"
    if poll.closes_at and now >= poll.closes_at:
        return "poll_closed"
    return None


def _resolve_voter(
    request: CastRequest, index: ElectorateIndex
) -> tuple[str, int | None] | CastOutcome:
    """Pick the voter key for the request, or the refusal."""
    channel = request.channel
    if channel not in BallotChannel.values:
        return _refuse(request, "bad_request")
    if channel in STAFF_CHANNELS:
        if request.entered_by_id is None:
            return _refuse(request, "bad_request")
        if request.voter_key is not None:
            if request.voter_key not in index.voters:
                return _refuse(request, "not_eligible")
            return request.voter_key, request.voter_id
        if request.voter_id is None:
            return _refuse(request, "bad_request")
        keys = index.user_keys.get(request.voter_id, ())
        if not keys:
            return _refuse(request, "not_eligible")
        return keys[0], request.voter_id
    # Online: the voter is the signed-in user and nobody else.
    if request.entered_by_id is not None:
        return _refuse(request, "bad_request")
    if request.voter_id is None:
        return _refuse(request, "not_eligible")
    keys = index.user_keys.get(request.voter_id, ())
    if not keys or (request.voter_key is not None and request.voter_key not in keys):
        return _refuse(request, "not_eligible")
    return request.voter_key or keys[0], request.voter_id


def _build_rows(
    poll: Poll,
    pending: list[_Pending],
    secret: bool,
    start_seq: int,
    head: str,
    key: bytes | None,
) -> tuple[int, str]:
    """Give each pending ballot its chain position, hash (and MAC with ``key``) and rows;
    the last (seq, hash)."""
    seq, prev = start_seq, head
    for item in pending:
        seq += 1
        channel = "" if secret else item.request.channel
        entered_by_id = None if secret else item.request.entered_by_id
        voter_key = None if secret else item.voter_key
        version = item.replaces.version + 1 if item.replaces is not None else 1
        content = audit.canonical_content(
            poll_id=poll.pk,
            seq=seq,
            voter_key=voter_key,
            choice=item.choice,
            headcount=item.headcount,
            area=item.area,
            channel=channel,
            entered_by_id=entered_by_id,
            version=version,
        )
        digest = audit.chain_hash(prev, content)
        item.ballot = Ballot(
            poll_id=poll.pk,
            voter_key=voter_key,
            choice=item.choice,
            headcount=item.headcount,
            area=item.area,
            channel=channel,
            entered_by_id=entered_by_id,
            seq=seq,
            prev_hash=prev,
            hash=digest,
            receipt=audit.receipt_code(digest),
            mac=(
                audit.ballot_mac(key, poll_id=poll.pk, seq=seq, ballot_hash=digest)
                if key is not None
                else ""
            ),
            version=version,
        )
        ref = _ref_text(item.request.ref)
        item.participation = Participation(
            poll_id=poll.pk,
            voter_key=item.voter_key,
            voter_id=item.voter_user_id,
            channel=item.request.channel,
            entered_by_id=item.request.entered_by_id,
            proxy_note=item.request.proxy_note.strip(),
            ref_seal=(
                audit.ref_seal(
                    audit.configured_chain_key(),
                    poll_id=poll.pk,
                    voter_key=item.voter_key,
                    ref=ref,
                    choice_content=_choice_text(item.choice),
                    receipt=item.ballot_row.receipt,
                )
                if ref is not None
                else ""
            ),
        )
        prev = digest
    return seq, prev


def _insert(pending: list[_Pending], secret: bool) -> None:
    changes = [p for p in pending if p.replaces is not None]
    pending = [p for p in pending if p.replaces is None]
    if changes:
        replace_ballots(changes)
    participations = [p.participation_row for p in pending]
    if secret:
        random.shuffle(participations)
    proxies = [
        ProxyAuthorisation(
            poll_id=p.ballot_row.poll_id,
            voter_key=p.voter_key,
            proxy_name=p.request.proxy_name.strip(),
            note=p.request.proxy_note.strip(),
            entered_by_id=p.request.entered_by_id,
        )
        for p in pending
        if p.needs_proxy_record
    ]
    if proxies:
        ProxyAuthorisation.objects.bulk_create(proxies)
    Participation.objects.bulk_create(participations)
    Ballot.objects.bulk_create([p.ballot_row for p in pending])


def _cast_for_poll(
    poll: Poll | None,
    items: list[tuple[int, CastRequest]],
    outcomes: list[CastOutcome | None],
    now: dt.datetime,
) -> None:
    """Cast ``items`` (request index, request) for one locked poll; fill their ``outcomes``."""
    gate = _poll_gate(poll, now)
    if gate:
        for i, request in items:
            outcomes[i] = _refuse(request, gate)
        return
    assert poll is not None
    index = electorate_index(poll)
    secret = poll.frozen_spec.get("secrecy", poll.secrecy) == Secrecy.SECRET
    candidates: list[_Pending] = []
    for i, request in items:
        if suspended := suspension_refusal(poll, request.channel):
            outcomes[i] = _refuse(request, suspended)
            continue
        resolved = _resolve_voter(request, index)
        if isinstance(resolved, CastOutcome):
            outcomes[i] = resolved
            continue
        voter_key, voter_user_id = resolved
        try:
            choice = normalise_choice(
                index.method, request.choice, index.option_ids, poll.frozen_spec.get("rule", "")
            )
        except VoteRefused as refused:
            outcomes[i] = _refuse(request, refused.code, refused.message)
            continue
        headcount, area = index.voters[voter_key]
        candidates.append(
            _Pending(i, request, voter_key, choice, headcount, area, voter_user_id, False)
        )
    if not candidates:
        return
    keys = {c.voter_key for c in candidates}
    voted = dict(
        Participation.objects.filter(poll_id=poll.pk, voter_key__in=keys).values_list(
            "voter_key", "ref_seal"
        )
    )
    policy = poll.frozen_spec.get("change_policy", ChangePolicy.NEVER)
    counted = counted_ballots(poll, voted, policy, secret)
    delegated, revoked = proxy_standing(poll, keys)
    accepted: list[_Pending] = []
    replays: dict[int, str] = {}  # request index -> its original receipt
    seen: set[str] = set()
    for item in candidates:
        request = item.request
        if item.voter_key in seen:
            outcomes[item.index] = _refuse(request, "already_voted")
            continue
        if item.voter_key in voted:
            # The same request again (a lost acknowledgement): its original receipt.
            original = _unseal(poll.pk, item, voted.get(item.voter_key, ""))
            if original is not None:
                replays[item.index] = original
                continue
            refusal = change_refusal(policy, counted.get(item.voter_key))
            if refusal:
                outcomes[item.index] = _refuse(request, refusal)
                continue
            item.replaces = counted[item.voter_key]
        if request.channel == BallotChannel.PROXY:
            if item.voter_key in delegated:
                instruction = delegated[item.voter_key]
                if instruction is not None and instruction != item.choice:
                    outcomes[item.index] = _refuse(request, "proxy_instruction")
                    continue
            elif item.voter_key in revoked:
                outcomes[item.index] = _refuse(request, "proxy_revoked")
                continue
            else:
                if not request.proxy_note.strip():
                    outcomes[item.index] = _refuse(
                        request, "bad_request", str(_proxy_note_missing())
                    )
                    continue
                item.needs_proxy_record = True
        elif item.voter_key in delegated:
            outcomes[item.index] = _refuse(request, "delegated")
            continue
        seen.add(item.voter_key)
        accepted.append(item)
    if replays:
        _answer_replays(poll.pk, replays, items, outcomes)
    if not accepted:
        return
    start_seq, head = poll.ballot_seq, poll.chain_head or audit.genesis_hash(poll.pk)
    key = audit.configured_chain_key() if poll.chain_scheme == ChainScheme.HMAC_SHA256 else None
    last_seq, last_hash = _build_rows(poll, accepted, secret, start_seq, head, key)
    try:
        with transaction.atomic():
            _insert(accepted, secret)
    except IntegrityError:
        # The constraint caught what the pre-check could not see (a writer that bypassed the
        # lock). Redo one ballot at a time, each in its own savepoint, keeping chain order.
        last_seq, last_hash = start_seq, head
        survivors: list[_Pending] = []
        for item in accepted:
            _build_rows(poll, [item], secret, last_seq, last_hash, key)
            try:
                with transaction.atomic():
                    _insert([item], secret)
            except IntegrityError:
                outcomes[item.index] = _refuse(item.request, "already_voted")
                continue
            last_seq, last_hash = item.ballot_row.seq, item.ballot_row.hash
            survivors.append(item)
        accepted = survivors
    if not accepted:
        return
    if key is not None:
        head_mac = audit.head_mac(key, poll_id=poll.pk, seq=last_seq, head=last_hash)
        Poll.objects.filter(pk=poll.pk).update(
            ballot_seq=last_seq, chain_head=last_hash, chain_head_mac=head_mac
        )
    else:
        # Unkeyed polls (opened before keyed chains) keep their legacy mark in chain_head_mac.
        Poll.objects.filter(pk=poll.pk).update(ballot_seq=last_seq, chain_head=last_hash)
    poll.ballot_seq, poll.chain_head = last_seq, last_hash
    for item in accepted:
        ballot = item.ballot_row
        outcomes[item.index] = CastOutcome(
            request=item.request,
            receipt=CastReceipt(
                poll_id=poll.pk, seq=ballot.seq, receipt=ballot.receipt, hash=ballot.hash
            ),
        )


def _unseal(poll_id: int, item: _Pending, seal: str) -> str | None:
    """The original receipt when ``item`` repeats the request that cast the voter's ballot."""
    ref = _ref_text(item.request.ref)
    if ref is None or not seal:
        return None
    return audit.ref_unseal(
        audit.configured_chain_key(),
        seal,
        poll_id=poll_id,
        voter_key=item.voter_key,
        ref=ref,
        choice_content=_choice_text(item.choice),
    )


def _answer_replays(
    poll_id: int,
    replays: dict[int, str],
    items: list[tuple[int, CastRequest]],
    outcomes: list[CastOutcome | None],
) -> None:
    """Answer repeated requests with their original receipts (one query for the batch)."""
    stored = {
        receipt: (seq, digest)
        for receipt, seq, digest in Ballot.objects.filter(
            poll_id=poll_id, receipt__in=set(replays.values())
        ).values_list("receipt", "seq", "hash")
    }
    requests = dict(items)
    for index, receipt in replays.items():
        if receipt not in stored:  # cannot happen short of a deleted ballot: say what is true
            outcomes[index] = _refuse(requests[index], "already_voted")
            continue
        seq, digest = stored[receipt]
        outcomes[index] = CastOutcome(
            request=requests[index],
            receipt=CastReceipt(poll_id=poll_id, seq=seq, receipt=receipt, hash=digest),
            replayed=True,
        )


def _proxy_note_missing() -> str:
    return _("委托代投须注明书面授权委托书")


LOCK_FIELDS = (
    "id",
    "community_id",
    "status",
    "secrecy",
    "method",
    "opens_at",
    "closes_at",
    "opened_at",
    "frozen_spec",
    "ballot_seq",
    "chain_head",
    "chain_scheme",
    "suspension",
)


def ballots_cast_batch(requests: Sequence[CastRequest]) -> list[CastOutcome]:
    """Cast many ballots in one transaction (group commit); outcomes in request order.

    Polls are locked in id order (no deadlock between batches spanning several polls). Each
    outcome carries a receipt or a refusal code; the receipts hold only once this function has
    returned outside any enclosing transaction, i.e. after the commit.
    """
    outcomes: list[CastOutcome | None] = [None] * len(requests)
    by_poll: dict[int, list[tuple[int, CastRequest]]] = {}
    for i, request in enumerate(requests):
        if not isinstance(request.poll_id, int) or not isinstance(request.choice, dict):
            outcomes[i] = _refuse(request, "bad_request")
            continue
        by_poll.setdefault(request.poll_id, []).append((i, request))
    if by_poll:
        with transaction.atomic():
            locked = {
                p.pk: p
                for p in Poll.objects.select_for_update()
                .only(*LOCK_FIELDS)
                .filter(pk__in=sorted(by_poll))
                .order_by("pk")
            }
            now = timezone.now()
            for poll_id in sorted(by_poll):
                _cast_for_poll(locked.get(poll_id), by_poll[poll_id], outcomes, now)
    done = [outcome for outcome in outcomes if outcome is not None]
    assert len(done) == len(requests), "every request gets an outcome"
    return done


def ballot_cast(
    *,
    poll: Poll,
    voter: User | str,
    choice: dict[str, Any],
    channel: str = BallotChannel.ONLINE,
    entered_by: User | None = None,
    proxy_note: str = "",
    proxy_name: str = "",
    ref: str | int | None = None,
) -> CastReceipt:
    """Cast one ballot. ``voter`` is a user, or (staff entry only) an electorate voter key.

    With ``ref``, the same call again (same ref and choice) returns the original receipt
    (``CastRequest``). Raises ``VoteRefused`` with the reason code.
    """
    request = CastRequest(
        poll_id=poll.pk,
        choice=choice,
        voter_id=voter.pk if isinstance(voter, User) else None,
        voter_key=voter if isinstance(voter, str) else None,
        channel=channel,
        entered_by_id=entered_by.pk if entered_by is not None else None,
        proxy_note=proxy_note,
        proxy_name=proxy_name,
        ref=ref,
    )
    outcome = ballots_cast_batch([request])[0]
    if outcome.receipt is None:
        raise VoteRefused(outcome.code or "bad_request", outcome.message)
    return outcome.receipt


def proxy_register(
    *, poll: Poll, voter_key: str, note: str, actor: User, proxy_name: str = ""
) -> ProxyAuthorisation:
    """Record a written proxy authorisation; the principal then cannot vote themself.

    Raises ``VoteRefused`` (``not_eligible`` for a key outside the electorate,
    ``already_voted`` if the principal has voted, ``bad_request`` without a note).
    """
    if not note.strip():
        raise VoteRefused("bad_request", _proxy_note_missing())
    with transaction.atomic():
        locked = Poll.objects.select_for_update().only(*LOCK_FIELDS).get(pk=poll.pk)
        gate = _poll_gate(locked, timezone.now())
        if gate:
            raise VoteRefused(gate)
        if voter_key not in electorate_index(locked).voters:
            raise VoteRefused("not_eligible")
        if Participation.objects.filter(poll=locked, voter_key=voter_key).exists():
            raise VoteRefused("already_voted")
        try:
            with transaction.atomic():
                return ProxyAuthorisation.objects.create(
                    poll=locked,
                    voter_key=voter_key,
                    note=note.strip(),
                    proxy_name=proxy_name.strip(),
                    entered_by=actor,
                )
        except IntegrityError:
            return ProxyAuthorisation.objects.get(poll=locked, voter_key=voter_key)
