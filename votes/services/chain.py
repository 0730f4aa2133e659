"""Publishing a poll's ballot chain head with its time: the chain's anchor outside the database.

A publication says "after ``seq`` ballots the chain ended in ``head``, at ``published_at``". It
is made when the poll opens, when it closes or reopens, and while it is open by the scheduled
run (``polls_publish_chain_heads``, called by ``polls_close_due``) whenever the head moved and
the last publication is older than ``SIFANG_BALLOT_CHAIN_PUBLISH_MINUTES``. The rows are shown on
the public chain page; what residents save or print from it cannot be recalled by a database
writer, and ``verify_ballots --heads FILE`` checks the chain against it (docs/ballot-chain.md).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from votes import audit
from votes.models import (
    ChainHeadPublication,
    ChainScheme,
    Poll,
    PollStatus,
    PublicationReason,
)


def _publish(
    *,
    poll_id: int,
    seq: int,
    head: str,
    scheme: int,
    reason: PublicationReason,
    now: dt.datetime,
) -> ChainHeadPublication:
    mac = (
        audit.publication_mac(
            audit.configured_chain_key(), poll_id=poll_id, seq=seq, head=head, published_at=now
        )
        if scheme == ChainScheme.HMAC_SHA256
        else ""
    )
    return ChainHeadPublication.objects.create(
        poll_id=poll_id, seq=seq, head=head, reason=reason, published_at=now, mac=mac
    )


def poll_publish_chain_head(
    *, poll: Poll, reason: PublicationReason, now: dt.datetime | None = None
) -> ChainHeadPublication:
    """Publish the poll's current head and ballot count (``poll_open``/``poll_close`` call it).

    ``poll`` must hold the current ``ballot_seq`` and ``chain_head``: the caller holds the
    poll's row lock, or passes a poll it has just read. Keyed polls get the row's MAC.
    """
    return _publish(
        poll_id=poll.pk,
        seq=poll.ballot_seq,
        head=poll.chain_head or audit.genesis_hash(poll.pk),
        scheme=poll.chain_scheme,
        reason=reason,
        now=now or timezone.now(),
    )


def polls_publish_chain_heads(
    *, now: dt.datetime | None = None, force: bool = False, poll_ids: list[int] | None = None
) -> list[ChainHeadPublication]:
    """Publish the head of every open poll whose head moved since its last publication.

    Without ``force`` a poll is skipped until its last publication is at least
    ``SIFANG_BALLOT_CHAIN_PUBLISH_MINUTES`` old. ``poll_ids`` limits the run to those polls.
    Reads each poll's count and head in one committed row (casting updates both together), so
    needs no lock and never delays casting. Idempotent; two concurrent runs may both publish the
    same head, which is harmless.
    """
    now = now or timezone.now()
    interval = dt.timedelta(minutes=settings.SIFANG_BALLOT_CHAIN_PUBLISH_MINUTES)
    latest = ChainHeadPublication.objects.filter(poll_id=OuterRef("pk")).order_by(
        "-published_at", "-pk"
    )
    polls = Poll.objects.filter(status=PollStatus.OPEN).order_by("pk")
    if poll_ids is not None:
        polls = polls.filter(pk__in=poll_ids)
    rows = polls.annotate(
        last_seq=Subquery(latest.values("seq")[:1]),
        last_head=Subquery(latest.values("head")[:1]),
        last_at=Subquery(latest.values("published_at")[:1]),
    ).values_list(
        "pk", "ballot_seq", "chain_head", "chain_scheme", "last_seq", "last_head", "last_at"
    )
    published: list[ChainHeadPublication] = []
    for pk, seq, head, scheme, last_seq, last_head, last_at in rows:
        head = head or audit.genesis_hash(pk)
        if last_at is not None and (last_seq, last_head) == (seq, head):
            continue
        if not force and last_at is not None and now - last_at < interval:
            continue
        published.append(
            _publish(
                poll_id=pk,
                seq=seq,
                head=head,
                scheme=scheme,
                reason=PublicationReason.PERIODIC,
                now=now,
            )
        )
    return published
