"""JSON API for polls, mounted at ``/api/polls/``.

Identity comes from the session only (``auth=signed_in``): a body naming a voter is refused.
A malformed ballot body is refused as the votes service refuses a bad ballot,
``VoteRefused("bad_request")``, so a client meets one vocabulary for ballots. Errors are raised
and answered by ``cms/api/__init__.py``: 400 bad input or wrong option, 401 not signed in,
403 not eligible / delegated / not staff / CSRF, 404 unknown poll, 409 already voted or the poll
not open, closed or paused (``poll_paused``), or a staff ballot for an owners' decision
(``entry_flow_required``: those go through the four-eyes entry screen).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from pydantic import (
    StrictInt,
    StrictStr,
    ValidationError,
    ValidatorFunctionWrapHandler,
    model_validator,
)

from cms.api.common import ERRORS, ApiError, BodyIn, acting_user, signed_in
from deliberation.models import User
from votes import rules, selectors
from votes.campaign.rules import is_campaign_poll
from votes.exceptions import VoteRefused
from votes.models import BallotChannel, Poll
from votes.services import ballot_cast

router = Router(tags=["polls"])

CHOICE_KEYS = frozenset({"choice", "choices", "ranking"})
STAFF_CHANNELS = (BallotChannel.PAPER, BallotChannel.PROXY, BallotChannel.IN_PERSON)

# Keys that would name a voter: the voter is the session's user (or the staff's ``voter_key``).
IDENTITY_KEYS = frozenset(
    {"voter", "voter_id", "user", "user_id", "voter_key", "member", "entered_by"}
)
# An option id as sent: an integer, or a string the votes service reads as one (never a bool).
OptionId = StrictInt | StrictStr


class ReceiptOut(Schema):
    poll: int
    seq: int
    receipt: str
    hash: str


class BallotIn(BodyIn):
    """Base of ballot bodies. A malformed body (not an object, a wrong type, an undeclared key,
    among them any key naming a voter) is refused as the votes service refuses a bad ballot:
    ``VoteRefused("bad_request")`` with :meth:`refusal_message`."""

    @classmethod
    def refusal_message(cls, data: Any) -> str:
        """The message for refusing ``data``; empty for the votes service's own."""
        return ""

    @model_validator(mode="wrap")
    @classmethod
    def _refuse_malformed(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        try:
            return handler(data)
        except ValidationError as exc:
            raise VoteRefused("bad_request", cls.refusal_message(data)) from exc

    def chosen(self) -> dict[str, Any]:
        """The choice keys the client sent, as the votes service reads them."""
        return self.model_dump(include=set(CHOICE_KEYS), exclude_unset=True)


class ChoiceIn(BallotIn):
    """Exactly one of the three keys, per the poll's method (the service checks which)."""

    choice: OptionId | None = None
    choices: list[OptionId] | None = None
    ranking: list[OptionId] | None = None

    @classmethod
    def refusal_message(cls, data: Any) -> str:
        if not isinstance(data, dict) or set(data) & IDENTITY_KEYS:
            return _("投票人身份只取自登录状态，请求中不能指定投票人。")
        return ""


class StaffBallotIn(BallotIn):
    """A ballot staff enter for the voter ``voter_key`` through ``channel``."""

    voter_key: str = ""
    channel: str = ""
    choice: OptionId | None = None
    choices: list[OptionId] | None = None
    ranking: list[OptionId] | None = None
    proxy_note: str = ""
    proxy_name: str = ""

    @classmethod
    def refusal_message(cls, data: Any) -> str:
        return _("请求格式不正确。")


# An empty body reads as an empty ballot, which is refused as ``bad_request`` like any other.
EMPTY_BALLOT = ChoiceIn()
EMPTY_STAFF_BALLOT = StaffBallotIn()


def _poll(request: HttpRequest, poll_id: int) -> Poll:
    poll = Poll.objects.select_related("community").filter(pk=poll_id).first()
    if poll is None or not rules.can_view_poll(request.user, poll):
        raise ApiError(404, "not_found", _("没有这个表决。"))
    return poll


@router.get("/{poll_id}/", response={200: dict, **ERRORS}, summary="A poll and its result")
def poll_detail(request: HttpRequest, poll_id: int) -> dict[str, Any]:
    """The poll, its options, denominators (once open), and its result where it may be shown."""
    poll = _poll(request, poll_id)
    data = selectors.poll_result_public(poll)
    user = request.user if isinstance(request.user, User) else None
    keys = selectors.voter_keys_for_user(poll, user)
    data["you"] = {
        "eligible": bool(keys),
        "voted": selectors.has_participated(poll, keys),
        "receipt": selectors.voter_receipt(poll, keys),
    }
    return data


@router.post(
    "/{poll_id}/ballots/",
    response={201: ReceiptOut, **ERRORS},
    auth=signed_in,
    summary="Cast your ballot (the signed-in voter)",
)
def ballot_create(request: HttpRequest, poll_id: int, payload: ChoiceIn = EMPTY_BALLOT) -> Status:
    """Cast the signed-in user's ballot: ``{"choice": id}``, ``{"choices": [..]}`` or
    ``{"ranking": [..]}``. The voter is the session's user; a body naming anyone is refused."""
    poll, voter = _poll(request, poll_id), acting_user(request)
    if not rules.may_vote_in(voter, poll):
        raise ApiError(403, "forbidden", _("您不是本社区的成员，不能参加本次表决。"))
    receipt = ballot_cast(poll=poll, voter=voter, choice=payload.chosen())
    return Status(201, receipt.to_dict())


@router.post(
    "/{poll_id}/staff-ballots/",
    response={201: ReceiptOut, **ERRORS},
    auth=signed_in,
    summary="Staff entry of a paper, proxy or in-person ballot (deliberative polls only; "
    "owners' decisions: 409 entry_flow_required)",
)
def staff_ballot_create(
    request: HttpRequest, poll_id: int, payload: StaffBallotIn = EMPTY_STAFF_BALLOT
) -> Status:
    """Committee staff enter a signed paper ballot, a proxy ballot (the written authorisation
    in ``proxy_note``) or an in-person ballot for the voter ``voter_key`` of a deliberative
    poll. The staff member is the session's user and is recorded.

    An owners' decision (``kind`` ``owners``) is refused with 409 ``entry_flow_required`` and
    nothing is stored: there a staff-entered ballot counts only with a photo or scan of the
    signed paper and a second staff member's confirmation, which is the campaign entry screen
    (``/admin/campaign/{poll_id}/entry/``), not this operation."""
    staff = acting_user(request)
    poll = _poll(request, poll_id)
    if not rules.can_manage_polls(staff, poll.community):
        raise ApiError(403, "forbidden", _("只有社区工作人员可以录入纸质票和委托票。"))
    if is_campaign_poll(poll):
        raise ApiError(
            409,
            "entry_flow_required",
            _(
                "业主共同决定的纸质票、委托票须附签字选票的照片或扫描件,并经另一名工作人员"
                "复核后才计入,不能通过本接口录入:请使用录入页面 %(url)s。"
            )
            % {"url": reverse("votes_campaign_entry", args=[poll.pk])},
        )
    if payload.channel not in STAFF_CHANNELS:
        raise VoteRefused("bad_request", _("录入方式须为纸质票、委托代投或现场投票。"))
    if not payload.voter_key:
        raise VoteRefused("bad_request", _("请选择投票人(房屋)。"))
    receipt = ballot_cast(
        poll=poll,
        voter=payload.voter_key,
        choice=payload.chosen(),
        channel=payload.channel,
        entered_by=staff,
        proxy_note=payload.proxy_note,
        proxy_name=payload.proxy_name,
    )
    return Status(201, receipt.to_dict())
