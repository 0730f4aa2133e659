"""The per-poll ballot hash chain: pure functions over plain rows, no ORM.

Each ballot's hash is ``sha256(prev_hash + canonical content)``; the first ballot's
``prev_hash`` is the poll's genesis hash. The poll stores the head (last hash) and the last
position, so a deleted tail or an appended forgery shows too. ``verify_chain`` names the first
ballot that does not fit.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any


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
) -> str:
    """The ballot's content as one canonical JSON string (sorted keys, no spaces, area 0.01)."""
    return json.dumps(
        {
            "poll": poll_id,
            "seq": seq,
            "voter": voter_key,
            "choice": choice,
            "headcount": headcount,
            "area": f"{Decimal(area).quantize(Decimal('0.01'))}",
            "channel": channel or "",
            "entered_by": entered_by_id,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )


def chain_hash(prev_hash: str, content: str) -> str:
    return hashlib.sha256((prev_hash + content).encode("utf-8")).hexdigest()


def receipt_code(ballot_hash: str) -> str:
    """A short code for the voter, derived from the ballot's hash: ``XXXX-XXXX-XXXX-XXXX``."""
    code = base64.b32encode(bytes.fromhex(ballot_hash)[:10]).decode("ascii")
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


@dataclass(frozen=True)
class ChainProblem:
    """The first ballot that does not fit, and why. ``seq``/``ballot_id`` None: the tail."""

    seq: int | None
    ballot_id: int | None
    reason: str
    detail: str

    def describe(self) -> str:
        where = f"ballot seq {self.seq} (id {self.ballot_id})" if self.seq else "chain tail"
        return f"{where}: {self.reason}: {self.detail}"


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
    )
    return chain_hash(prev_hash, content)


def verify_chain(
    *,
    poll_id: int,
    rows: Iterable[ChainRow],
    head: str,
    last_seq: int,
    participations: int | None = None,
) -> ChainProblem | None:
    """Recompute the chain over ``rows`` (any order) and return the first misfit, else None.

    ``head`` and ``last_seq`` are what the poll recorded under its row lock; ``participations``
    (when given) is how many people took part, which must equal the number of ballots.
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
    if participations is not None and participations != found:
        return ChainProblem(
            None,
            None,
            "participation_mismatch",
            f"{participations} took part but {found} ballots are stored",
        )
    return None
