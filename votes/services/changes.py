"""Changing a ballot before close, as the poll's declared ``change_policy`` allows.

The one-ballot-per-voter constraint stays: the voter's counted ``Ballot`` row is rewritten in
place as a new link at the chain's end (next seq, ``version`` + 1), and the link it was before
is kept as a ``BallotVersion``. Both tables together are the chain, so ``verify_ballots``
still verifies every link; only the ``Ballot`` rows are counted. Runs inside ``ballot_cast``'s
transaction, under the poll's row lock.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.utils import timezone

from votes.models import Ballot, BallotVersion, ChangePolicy, Participation, Poll

if TYPE_CHECKING:
    from votes.services.casting import _Pending


def counted_ballots(
    poll: Poll, voted: Iterable[str], policy: str, secret: bool
) -> dict[str, Ballot]:
    """The counted ballots of the voters in ``voted`` that may still be changed, by voter key
    (one query; none when the policy forbids changes or the poll is secret)."""
    voted = list(voted)
    if not voted or secret or policy == ChangePolicy.NEVER:
        return {}
    return {
        ballot.voter_key or "": ballot
        for ballot in Ballot.objects.filter(poll_id=poll.pk, voter_key__in=voted)
    }


def change_refusal(policy: str, ballot: Ballot | None) -> str | None:
    """Why a voter who has voted cannot vote again (a refusal code), or None to allow it."""
    if ballot is None or policy == ChangePolicy.NEVER:
        return "already_voted"
    if policy == ChangePolicy.ONCE and ballot.version >= 2:
        return "change_limit"
    return None


def replace_ballots(changes: list[_Pending]) -> None:
    """Keep each replaced link as a ``BallotVersion`` and rewrite the counted row in place."""
    now = timezone.now()
    versions = []
    for item in changes:
        old = item.replaces
        assert old is not None
        versions.append(
            BallotVersion(
                poll_id=old.poll_id,
                ballot_id=old.pk,
                voter_key=old.voter_key,
                choice=old.choice,
                headcount=old.headcount,
                area=old.area,
                channel=old.channel,
                entered_by_id=old.entered_by_id,
                seq=old.seq,
                prev_hash=old.prev_hash,
                hash=old.hash,
                receipt=old.receipt,
                mac=old.mac,
                version=old.version,
                superseded_at=now,
            )
        )
    BallotVersion.objects.bulk_create(versions)
    for item in changes:
        old, new = item.replaces, item.ballot_row
        assert old is not None
        Ballot.objects.filter(pk=old.pk).update(
            choice=new.choice,
            channel=new.channel,
            entered_by_id=new.entered_by_id,
            seq=new.seq,
            prev_hash=new.prev_hash,
            hash=new.hash,
            receipt=new.receipt,
            mac=new.mac,
            version=new.version,
        )
        new.pk = old.pk
        # The seal follows the counted version, so a lost acknowledgement of the change is
        # answered with the change's own receipt when its ref comes again.
        Participation.objects.filter(poll_id=old.poll_id, voter_key=item.voter_key).update(
            channel=item.request.channel,
            entered_by_id=item.request.entered_by_id,
            ref_seal=item.participation_row.ref_seal,
        )
