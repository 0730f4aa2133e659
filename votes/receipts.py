"""What a poll's declared rules let the public see: the rules themselves, an owner's receipt
check and the ballot list after close. Reads only; never a voter's name."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from votes.models import (
    Ballot,
    BallotVersion,
    ChangePolicy,
    Method,
    Participation,
    Poll,
    PollStatus,
    Secrecy,
)


def _spec(poll: Poll) -> dict[str, Any]:
    """The rules as fixed at open; a draft's current fields."""
    if poll.status != PollStatus.DRAFT and poll.frozen_spec:
        return {
            "change_policy": poll.frozen_spec.get("change_policy", ChangePolicy.NEVER),
            "receipts_enabled": poll.frozen_spec.get("receipts_enabled", True),
            "public_ballot_list": poll.frozen_spec.get("public_ballot_list", False),
            "secrecy": poll.frozen_spec.get("secrecy", poll.secrecy),
        }
    return {
        "change_policy": poll.change_policy,
        "receipts_enabled": poll.receipts_enabled,
        "public_ballot_list": poll.public_ballot_list,
        "secrecy": poll.secrecy,
    }


def receipts_enabled(poll: Poll) -> bool:
    return bool(_spec(poll)["receipts_enabled"])


def change_policy(poll: Poll) -> str:
    return str(_spec(poll)["change_policy"])


def may_change(poll: Poll, keys: list[str]) -> bool:
    """Whether the voter holding ``keys`` (who has voted) may still change the ballot under
    the declared policy: ``once`` allows one change, ``until_close`` any (one query)."""
    policy = change_policy(poll)
    if not keys or policy == ChangePolicy.NEVER or _spec(poll)["secrecy"] == Secrecy.SECRET:
        return False
    version = (
        Ballot.objects.filter(poll_id=poll.pk, voter_key__in=keys)
        .values_list("version", flat=True)
        .first()
    )
    if version is None:
        return False
    return policy == ChangePolicy.UNTIL_CLOSE or version < 2


def ballot_list_public(poll: Poll) -> bool:
    """Whether the ballot list is public now: declared, and the poll has closed."""
    return bool(_spec(poll)["public_ballot_list"]) and poll.status in (
        PollStatus.CLOSED,
        PollStatus.FINAL,
    )


def declared_rules(poll: Poll) -> list[tuple[str, str]]:
    """The rules declared for the poll, as (label, text) lines for the ballot and notices."""
    spec = _spec(poll)
    policy = spec["change_policy"]
    secret = spec["secrecy"] == Secrecy.SECRET
    if spec["public_ballot_list"]:
        listing = (
            _("截止后公布投票清单:房号与面积(不记名,不含选择,不含姓名)")
            if secret
            else _("截止后公布投票清单:房号、面积与所选项(不含姓名)")
        )
    else:
        listing = _("不公布投票清单,只公布汇总结果")
    return [
        (_("改票"), str(ChangePolicy(policy).label)),
        (
            _("回执码"),
            _("投票后提供回执码,可在公开页核对是否计入")
            if spec["receipts_enabled"]
            else _("不提供回执码"),
        ),
        (_("投票清单"), listing),
    ]


RECEIPT_SHAPE = re.compile(r"^[A-Z2-7]{4}(-[A-Z2-7]{4}){3}$")


def normalise_receipt(text: str) -> str:
    """A receipt code as typed (spaces, lower case, no dashes) in its printed form."""
    letters = re.sub(r"[^A-Za-z2-7]", "", text or "").upper()
    return "-".join(letters[i : i + 4] for i in range(0, 16, 4)) if len(letters) == 16 else ""


@dataclass(frozen=True)
class ReceiptCheck:
    """What a receipt code says: ``found``; ``counted`` (the version that counts) or superseded
    by a later version; its ``version`` and chain position ``seq``."""

    found: bool
    counted: bool = False
    version: int = 0
    seq: int = 0
    latest_version: int = 0


def receipt_lookup(poll: Poll, code: str) -> ReceiptCheck:
    """Look a receipt code up in ``poll`` (two queries at most). Says nothing about any other
    ballot and shows neither the voter nor the choice."""
    receipt = normalise_receipt(code)
    if not receipt:
        return ReceiptCheck(found=False)
    row = Ballot.objects.filter(poll_id=poll.pk, receipt=receipt).values("version", "seq").first()
    if row:
        return ReceiptCheck(True, True, row["version"], row["seq"], row["version"])
    old = (
        BallotVersion.objects.filter(poll_id=poll.pk, receipt=receipt)
        .values("version", "seq", "ballot__version")
        .first()
    )
    if old:
        return ReceiptCheck(True, False, old["version"], old["seq"], old["ballot__version"])
    return ReceiptCheck(found=False)


@dataclass(frozen=True)
class PublicBallotRow:
    """One line of the public ballot list: units and area, the choice for named polls."""

    units: str
    area: Decimal
    choice: str


def _units(voter: dict[str, Any]) -> str:
    labels = [unit.get("label", "") for unit in voter.get("units", [])]
    # Person electorates have no units; their label is a name and is never shown.
    return "、".join(label for label in labels if label) or _("(个人)")


def _choice_text(poll: Poll, choice: dict[str, Any], labels: dict[int, str]) -> str:
    if "choice" in choice:
        return labels.get(choice["choice"], "") if choice["choice"] is not None else _("空白票")
    ids = choice.get("choices") or choice.get("ranking") or []
    if not ids:
        return _("空白票")
    joiner = " > " if poll.method == Method.RANKED else "、"
    return joiner.join(labels.get(i, str(i)) for i in ids)


def public_ballot_rows(poll: Poll) -> list[PublicBallotRow]:
    """The public ballot list (call only when ``ballot_list_public``): named polls list each
    counted ballot's units, area and choice; secret polls who took part (units and area) with
    no choice. Sorted by unit, never in casting order; never a name. Two queries."""
    voters = {voter["key"]: voter for voter in poll.frozen_electorate or []}
    secret = _spec(poll)["secrecy"] == Secrecy.SECRET
    rows: list[PublicBallotRow] = []
    if secret:
        for key in Participation.objects.filter(poll_id=poll.pk).values_list(
            "voter_key", flat=True
        ):
            voter = voters.get(key, {})
            rows.append(PublicBallotRow(_units(voter), Decimal(voter.get("area", "0")), ""))
    else:
        labels = {option["id"]: option["label"] for option in poll.frozen_spec.get("options", [])}
        for ballot_key, choice, area in Ballot.objects.filter(poll_id=poll.pk).values_list(
            "voter_key", "choice", "area"
        ):
            rows.append(
                PublicBallotRow(
                    _units(voters.get(ballot_key or "", {})),
                    area,
                    _choice_text(poll, choice, labels),
                )
            )
    return sorted(rows, key=lambda row: (row.units, row.choice))
