"""JSON API for polls, mounted at ``/api/polls/``.

Identity comes from the session only: a body naming a voter is refused. Errors are
``{"code": ..., "message": ...}``: 400 bad input or wrong option, 401 not signed in,
403 not eligible / delegated / not staff / CSRF, 404 unknown poll, 409 already voted or the
poll not open or closed.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from ninja.utils import check_csrf

from votes import rules, selectors
from votes.exceptions import VoteRefused
from votes.models import BallotChannel, Poll
from votes.services import ballot_cast

router = Router(tags=["polls"])

REFUSAL_STATUS = {
    "not_eligible": 403,
    "delegated": 403,
    "already_voted": 409,
    "poll_closed": 409,
    "poll_not_open": 409,
    "wrong_option": 400,
    "bad_request": 400,
}
CHOICE_KEYS = {"choice", "choices", "ranking"}
IDENTITY_KEYS = {"voter", "voter_id", "user", "user_id", "voter_key", "member", "entered_by"}


class ErrorOut(Schema):
    code: str
    message: str


class ReceiptOut(Schema):
    poll: int
    seq: int
    receipt: str
    hash: str


class ChoiceIn(Schema):
    """Exactly one of the three keys, per the poll's method."""

    choice: int | None = None
    choices: list[int] | None = None
    ranking: list[int] | None = None


class StaffBallotIn(Schema):
    voter_key: str
    channel: str
    choice: int | None = None
    choices: list[int] | None = None
    ranking: list[int] | None = None
    proxy_note: str = ""
    proxy_name: str = ""


ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}


def _err(status: int, code: str, message: str) -> Status:
    return Status(status, {"code": code, "message": message})


def _poll(request: HttpRequest, poll_id: int) -> Poll | None:
    poll = Poll.objects.select_related("community").filter(pk=poll_id).first()
    if poll is None or not rules.can_view_poll(request.user, poll):
        return None
    return poll


def _body(request: HttpRequest) -> dict[str, Any] | None:
    try:
        data = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def _auth_error(request: HttpRequest) -> Status | None:
    if not request.user.is_authenticated:
        return _err(401, "unauthenticated", _("请先登录。"))
    if check_csrf(request) is not None:
        return _err(403, "csrf", _("请求缺少有效的 CSRF 令牌。"))
    return None


def _refusal(exc: VoteRefused) -> Status:
    return _err(REFUSAL_STATUS.get(exc.code, 400), exc.code, exc.message)


@router.get("/{poll_id}/", response={200: dict, 404: ErrorOut}, summary="A poll and its result")
def poll_detail(request: HttpRequest, poll_id: int):  # type: ignore[no-untyped-def]
    """The poll, its options, denominators (once open), and its result where it may be shown."""
    poll = _poll(request, poll_id)
    if poll is None:
        return _err(404, "not_found", _("没有这个表决。"))
    data = selectors.poll_result_public(poll)
    keys = selectors.voter_keys_for_user(poll, request.user)
    data["you"] = {
        "eligible": bool(keys),
        "voted": selectors.has_participated(poll, keys),
        "receipt": selectors.voter_receipt(poll, keys),
    }
    return data


@router.post(
    "/{poll_id}/ballots/",
    response={201: ReceiptOut, **ERRORS},
    summary="Cast your ballot (the signed-in voter)",
    openapi_extra={
        "requestBody": {
            "content": {"application/json": {"schema": ChoiceIn.model_json_schema()}},
            "required": True,
        }
    },
)
def ballot_create(request: HttpRequest, poll_id: int):  # type: ignore[no-untyped-def]
    """Cast the signed-in user's ballot: ``{"choice": id}``, ``{"choices": [..]}`` or
    ``{"ranking": [..]}``. The voter is the session's user; a body naming anyone is refused."""
    denied = _auth_error(request)
    if denied:
        return denied
    poll = _poll(request, poll_id)
    if poll is None:
        return _err(404, "not_found", _("没有这个表决。"))
    body = _body(request)
    if body is None or set(body) & IDENTITY_KEYS:
        return _err(400, "bad_request", _("投票人身份只取自登录状态，请求中不能指定投票人。"))
    try:
        receipt = ballot_cast(poll=poll, voter=request.user, choice=body)
    except VoteRefused as exc:
        return _refusal(exc)
    return Status(201, receipt.to_dict())


@router.post(
    "/{poll_id}/staff-ballots/",
    response={201: ReceiptOut, **ERRORS},
    summary="Staff entry of a paper, proxy or in-person ballot",
    openapi_extra={
        "requestBody": {
            "content": {"application/json": {"schema": StaffBallotIn.model_json_schema()}},
            "required": True,
        }
    },
)
def staff_ballot_create(request: HttpRequest, poll_id: int):  # type: ignore[no-untyped-def]
    """Committee staff enter a signed paper ballot, a proxy ballot (the written authorisation
    in ``proxy_note``) or an in-person ballot for the voter ``voter_key`` (a unit-based key for
    owners' polls). The staff member is the session's user and is recorded."""
    denied = _auth_error(request)
    if denied:
        return denied
    poll = _poll(request, poll_id)
    if poll is None:
        return _err(404, "not_found", _("没有这个表决。"))
    if not rules.can_manage_polls(request.user, poll.community):
        return _err(403, "forbidden", _("只有社区工作人员可以录入纸质票和委托票。"))
    body = _body(request)
    if body is None or set(body) & (IDENTITY_KEYS - {"voter_key"}):
        return _err(400, "bad_request", _("请求格式不正确。"))
    channel = body.get("channel")
    if channel not in (BallotChannel.PAPER, BallotChannel.PROXY, BallotChannel.IN_PERSON):
        return _err(400, "bad_request", _("录入方式须为纸质票、委托代投或现场投票。"))
    voter_key = body.get("voter_key")
    if not isinstance(voter_key, str) or not voter_key:
        return _err(400, "bad_request", _("请选择投票人(房屋)。"))
    choice = {k: v for k, v in body.items() if k in CHOICE_KEYS}
    try:
        receipt = ballot_cast(
            poll=poll,
            voter=voter_key,
            choice=choice,
            channel=channel,
            entered_by=request.user,
            proxy_note=str(body.get("proxy_note") or ""),
            proxy_name=str(body.get("proxy_name") or ""),
        )
    except VoteRefused as exc:
        return _refusal(exc)
    return Status(201, receipt.to_dict())
