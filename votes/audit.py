"""The per-poll ballot hash chain: pure functions over plain rows, no ORM.

Each ballot's hash is ``sha256(prev_hash + canonical content)``; the first ballot's
``prev_hash`` is the poll's genesis hash. The poll stores the head (last hash) and the last
position, so a deleted tail or an appended forgery shows too. ``verify_chain`` names the first
ballot that does not fit.

Keyed polls (``ChainScheme.HMAC_SHA256``) also store, per ballot, an HMAC-SHA256 of its link
under ``SIFANG_BALLOT_CHAIN_KEY`` (never in the database), one for the poll's head, and one per
published head. The sha256 chain alone can be recomputed by anyone who can write the database;
the MACs cannot without the key, and heads published outside the database
(``verify_published``) cannot be recalled at all. See docs/ballot-chain.md.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings


def genesis_hash(poll_id: int) -> str:
    """The ``prev_hash`` of a poll's first ballot."""
    return hashlib.sha256(f"sifang:poll:{poll_id}".encode()).hexdigest()


def canonical_content(
    *,
    poll_id: int,
    seq: int,
    voter_key: str | None,
    choice: Any,
    headcount: int,
    area: Decimal | str | int,
    channel: str,
    entered_by_id: int | None,
    version: int = 1,
) -> str:
    """The ballot's content as one canonical JSON string (sorted keys, no spaces, area 0.01).

    A changed ballot (``version`` > 1) also carries its version, so the chain attests which
    version counts; a first ballot's content is as before versions existed.
    """
    content: dict[str, Any] = {
        "poll": poll_id,
        "seq": seq,
        "voter": voter_key,
        "choice": choice,
        "headcount": headcount,
        "area": f"{Decimal(area).quantize(Decimal('0.01'))}",
        "channel": channel or "",
        "entered_by": entered_by_id,
    }
    if version != 1:
        content["version"] = version
    return json.dumps(
        content,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )


def chain_hash(prev_hash: str, content: str) -> str:
    return hashlib.sha256((prev_hash + content).encode("utf-8")).hexdigest()


def configured_chain_key() -> bytes:
    """The chain key from settings (``SIFANG_BALLOT_CHAIN_KEY``) as bytes."""
    return str(settings.SIFANG_BALLOT_CHAIN_KEY).encode("utf-8")


def _mac(key: bytes, message: str) -> str:
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).hexdigest()


def ballot_mac(key: bytes, *, poll_id: int, seq: int, ballot_hash: str) -> str:
    """The MAC of one link; ``ballot_hash`` already covers the previous hash and the content."""
    return _mac(key, f"sifang:ballot:v1:{poll_id}:{seq}:{ballot_hash}")


def head_mac(key: bytes, *, poll_id: int, seq: int, head: str) -> str:
    """The MAC of the poll's recorded head (distinct label: a ballot MAC never passes as one)."""
    return _mac(key, f"sifang:head:v1:{poll_id}:{seq}:{head}")


def legacy_mac(key: bytes, *, poll_id: int) -> str:
    """The mark a poll opened before keyed chains carries in ``Poll.chain_head_mac`` (set by
    migration 0003 with the key): a keyed poll set back to unkeyed in the database lacks it."""
    return _mac(key, f"sifang:unkeyed-before-v1:{poll_id}")


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def publication_mac(
    key: bytes, *, poll_id: int, seq: int, head: str, published_at: dt.datetime
) -> str:
    """The MAC of a published head with its time (microseconds since the epoch, zone-free)."""
    micros = (published_at - _EPOCH) // dt.timedelta(microseconds=1)
    return _mac(key, f"sifang:published:v1:{poll_id}:{seq}:{head}:{micros}")


def receipt_code(ballot_hash: str) -> str:
    """A short code for the voter, derived from the ballot's hash: ``XXXX-XXXX-XXXX-XXXX``."""
    code = base64.b32encode(bytes.fromhex(ballot_hash)[:10]).decode("ascii")
    return "-".join(code[i : i + 4] for i in range(0, 16, 4))


_SEAL_TAG_HEX = 24


def _seal_key(key: bytes, *, poll_id: int, voter_key: str, ref: str) -> bytes:
    return hmac.new(
        key, f"sifang:ref-seal:v1:{poll_id}:{voter_key}:{ref}".encode(), hashlib.sha256
    ).digest()


def _seal_tag(seal_key: bytes, choice_content: str) -> str:
    tag = hmac.new(seal_key, b"tag:" + choice_content.encode("utf-8"), hashlib.sha256)
    return tag.hexdigest()[:_SEAL_TAG_HEX]


def _seal_pad(seal_key: bytes, size: int) -> bytes:
    return hmac.new(seal_key, b"pad", hashlib.sha256).digest()[:size]


def ref_seal(
    key: bytes, *, poll_id: int, voter_key: str, ref: str, choice_content: str, receipt: str
) -> str:
    """The voter's ``receipt`` sealed under the request's ``ref`` and the chain ``key``.

    Whoever holds the seal without the ref and the key learns nothing from it (a tag and a
    one-time pad, both HMAC-SHA256 outputs); with them, it gives back exactly the receipt the
    voter was sent, which links the voter to no more than that receipt already does. The tag
    also covers the choice, so only a true repeat of the request (same ref, same choice) opens
    it.
    """
    raw = base64.b32decode(receipt.replace("-", ""))
    seal_key = _seal_key(key, poll_id=poll_id, voter_key=voter_key, ref=ref)
    sealed = bytes(a ^ b for a, b in zip(raw, _seal_pad(seal_key, len(raw)), strict=True))
    return _seal_tag(seal_key, choice_content) + sealed.hex()


def ref_unseal(
    key: bytes, seal: str, *, poll_id: int, voter_key: str, ref: str, choice_content: str
) -> str | None:
    """The receipt in ``seal`` if it was made for this poll, voter, ref and choice, else None."""
    if len(seal) <= _SEAL_TAG_HEX:
        return None
    seal_key = _seal_key(key, poll_id=poll_id, voter_key=voter_key, ref=ref)
    if not hmac.compare_digest(seal[:_SEAL_TAG_HEX], _seal_tag(seal_key, choice_content)):
        return None
    try:
        sealed = bytes.fromhex(seal[_SEAL_TAG_HEX:])
    except ValueError:
        return None
    raw = bytes(a ^ b for a, b in zip(sealed, _seal_pad(seal_key, len(sealed)), strict=True))
    code = base64.b32encode(raw).decode("ascii")
    return "-".join(code[i : i + 4] for i in range(0, 16, 4))


@dataclass(frozen=True)
class ChainRow:
    """One stored ballot as the verifier sees it."""

    id: int
    seq: int
    voter_key: str | None
    choice: Any
    headcount: int
    area: Decimal
    channel: str
    entered_by_id: int | None
    prev_hash: str
    hash: str
    receipt: str
    mac: str = ""
    version: int = 1
    # False for a superseded version (a ``BallotVersion``): a link of the chain, not counted.
    counted: bool = True


@dataclass(frozen=True)
class ChainProblem:
    """The first ballot (or published head) that does not fit, and why.

    ``seq``/``ballot_id`` None: the tail. ``source`` names a published head when the problem is
    one (``seq`` is then the head's position, ``ballot_id`` the ballot stored there, if any).
    """

    seq: int | None
    ballot_id: int | None
    reason: str
    detail: str
    source: str = ""

    def describe(self) -> str:
        if self.source:
            where = self.source
        elif self.seq:
            where = f"ballot seq {self.seq} (id {self.ballot_id})"
        else:
            where = "chain tail"
        return f"{where}: {self.reason}: {self.detail}"


@dataclass(frozen=True)
class PublishedHead:
    """A head published outside the chain: a database publication row or a line of a file.

    ``seq`` None: only the head is known (e.g. copied from a printed notice), so it must be
    the genesis hash or some ballot's hash. ``mac``/``published_at`` only for database rows of
    keyed polls.
    """

    seq: int | None
    head: str
    source: str
    published_at: dt.datetime | None = None
    mac: str | None = None


_HEX64 = re.compile(r"^[0-9a-f]{64}$")


def format_head_line(seq: int, head: str, comment: str = "") -> str:
    """One line of a heads file as ``parse_heads`` reads it: ``seq head  # comment``."""
    return f"{seq} {head}  # {comment}" if comment else f"{seq} {head}"


def parse_heads(text: str, *, source: str) -> list[PublishedHead]:
    """Parse a saved heads file: one ``seq head`` or ``head`` per line; ``#`` starts a comment.

    Raises ``ValueError`` naming the first line that is neither.
    """
    heads: list[PublishedHead] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        head = parts[-1].lower()
        if len(parts) > 2 or not _HEX64.match(head) or (len(parts) == 2 and not parts[0].isdigit()):
            raise ValueError(f"{source} line {number}: expected 'seq head' or 'head', got {line!r}")
        seq = int(parts[0]) if len(parts) == 2 else None
        heads.append(PublishedHead(seq, head, f"{source} line {number}"))
    return heads


def row_hash(poll_id: int, row: ChainRow, prev_hash: str) -> str:
    content = canonical_content(
        poll_id=poll_id,
        seq=row.seq,
        voter_key=row.voter_key,
        choice=row.choice,
        headcount=row.headcount,
        area=row.area,
        channel=row.channel,
        entered_by_id=row.entered_by_id,
        version=row.version,
    )
    return chain_hash(prev_hash, content)


def verify_chain(
    *,
    poll_id: int,
    rows: Iterable[ChainRow],
    head: str,
    last_seq: int,
    participations: int | None = None,
    key: bytes | None = None,
    recorded_head_mac: str = "",
) -> ChainProblem | None:
    """Recompute the chain over ``rows`` (any order) and return the first misfit, else None.

    ``head`` and ``last_seq`` are what the poll recorded under its row lock; ``participations``
    (when given) is how many people took part, which must equal the number of counted ballots
    (superseded versions are links of the chain but not counted). With
    ``key`` (keyed polls) every ballot's ``mac`` and the ``recorded_head_mac`` must match too.
    """
    ordered = sorted(rows, key=lambda r: (r.seq, r.id))
    prev = genesis_hash(poll_id)
    expected_seq = 1
    for row in ordered:
        if row.seq != expected_seq:
            reason = "missing_before" if row.seq > expected_seq else "duplicate_position"
            return ChainProblem(
                row.seq,
                row.id,
                reason,
                f"expected position {expected_seq}, found {row.seq}",
            )
        if row.prev_hash != prev:
            return ChainProblem(row.seq, row.id, "broken_link", "prev_hash is not the hash before")
        recomputed = row_hash(poll_id, row, prev)
        if recomputed != row.hash:
            return ChainProblem(row.seq, row.id, "content_changed", "hash does not match content")
        if receipt_code(row.hash) != row.receipt:
            return ChainProblem(row.seq, row.id, "receipt_changed", "receipt does not match hash")
        if key is not None and not hmac.compare_digest(
            row.mac, ballot_mac(key, poll_id=poll_id, seq=row.seq, ballot_hash=row.hash)
        ):
            return ChainProblem(
                row.seq,
                row.id,
                "bad_mac",
                "the link's MAC does not match the chain key (rewritten without the key, "
                "or verified with another SIFANG_BALLOT_CHAIN_KEY)",
            )
        prev = row.hash
        expected_seq += 1
    found = expected_seq - 1
    if found > last_seq:
        extra = ordered[last_seq] if last_seq < len(ordered) else None
        return ChainProblem(
            extra.seq if extra else None,
            extra.id if extra else None,
            "beyond_head",
            f"the poll recorded {last_seq} ballots; this one is past its recorded head",
        )
    if found < last_seq:
        return ChainProblem(
            None, None, "missing_tail", f"the poll recorded {last_seq} ballots, found {found}"
        )
    if found and prev != head:
        return ChainProblem(None, None, "head_mismatch", "last hash is not the recorded head")
    if key is not None and not hmac.compare_digest(
        recorded_head_mac, head_mac(key, poll_id=poll_id, seq=last_seq, head=head)
    ):
        return ChainProblem(
            None,
            None,
            "bad_head_mac",
            "the poll's recorded head and count do not match their MAC (a truncated chain?)",
        )
    counted = sum(1 for row in ordered if row.counted)
    if participations is not None and participations != counted:
        return ChainProblem(
            None,
            None,
            "participation_mismatch",
            f"{participations} took part but {counted} ballots are counted",
        )
    return None


def verify_published(
    *,
    poll_id: int,
    rows: Sequence[ChainRow],
    published: Iterable[PublishedHead],
    key: bytes | None = None,
) -> ChainProblem | None:
    """Check the stored chain against every published head; the first misfit, else None.

    A head published after ``seq`` ballots must equal the stored hash at that position (the
    genesis hash for 0); a head without ``seq`` must appear somewhere in the chain. With ``key``
    a head carrying a ``mac`` (a database publication row) must match it. Run it after
    ``verify_chain``: it names positions, not links.
    """
    hashes = {0: genesis_hash(poll_id)}
    ids: dict[int, int] = {}
    for row in rows:
        hashes[row.seq] = row.hash
        ids[row.seq] = row.id
    known = set(hashes.values())
    for item in published:
        where = f"published head seq {item.seq} ({item.source})"
        if item.seq is None:
            if item.head not in known:
                return ChainProblem(
                    None,
                    None,
                    "published_head_unknown",
                    f"{item.head} is not the hash of any stored ballot",
                    source=f"published head ({item.source})",
                )
            continue
        if key is not None and item.mac is not None and item.published_at is not None:
            expected = publication_mac(
                key,
                poll_id=poll_id,
                seq=item.seq,
                head=item.head,
                published_at=item.published_at,
            )
            if not hmac.compare_digest(item.mac, expected):
                return ChainProblem(
                    item.seq,
                    ids.get(item.seq),
                    "publication_bad_mac",
                    "the publication row does not match its MAC "
                    "(added or re-dated without the key)",
                    source=where,
                )
        stored = hashes.get(item.seq)
        if stored is None:
            return ChainProblem(
                item.seq,
                None,
                "published_head_beyond_chain",
                f"a head was published after {item.seq} ballots but only "
                f"{max(hashes)} are stored (ballots removed)",
                source=where,
            )
        if stored != item.head:
            ballot = f"ballot seq {item.seq} (id {ids[item.seq]})" if item.seq else "genesis"
            return ChainProblem(
                item.seq,
                ids.get(item.seq),
                "published_head_mismatch",
                f"{ballot} has hash {stored}, the published head is {item.head}: "
                f"the chain up to seq {item.seq} was rewritten",
                source=where,
            )
    return None
