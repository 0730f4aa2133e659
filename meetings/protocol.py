"""The live-meeting websocket protocol (DESIGN.md "Live meetings"): frame validation and the
client-side reducer, both pure.

Client → server: one JSON object per text frame with a ``type``; every message may carry a
``ref`` (echoed in ``error`` and ``ballot.accepted``). Unknown fields are refused.
Server → client: ``state`` (the whole snapshot), then frames that carry whole sections of it
(``agenda``, ``speakers``, ``attendance``, ``tally``, ``poll.opened``, ``poll.closed``,
``meeting.closed``), each with the meeting's ``seq``; ``ballot.accepted {ref, receipt}`` and
``error {ref, code, message}`` go to the one connection.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Annotated, Any, Literal

from django.utils.translation import gettext_lazy as _
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, ValidationError

Ref = Annotated[str, Field(max_length=64)] | StrictInt | None
Id = Annotated[StrictInt, Field(ge=1)]

# Every error code a client may receive, with the default message.
ERROR_CODES: dict[str, Any] = {
    # the frame itself
    "bad_request": _("请求内容不正确"),
    "too_large": _("消息过长"),
    "unknown_type": _("不支持的消息类型"),
    # who and when
    "forbidden": _("您没有权限进行此操作"),
    "not_found": _("找不到该议程、表决或成员"),
    "bad_state": _("会议当前状态不允许此操作"),
    # speakers (南塘议事规则)
    "not_checked_in": _("请先签到再申请发言"),
    "already_queued": _("您已在发言队列中"),
    "speech_limit": _("您在本议题的发言次数已用完"),
    # ballots (votes.exceptions.VoteRefused)
    "not_eligible": _("您不在本次表决的范围内"),
    "already_voted": _("本户(本人)已经投过票"),
    "poll_closed": _("表决已截止"),
    "poll_not_open": _("表决尚未开始"),
    "poll_paused": _("表决已暂停,恢复后请再投票"),
    "delegated": _("您已委托他人代为表决，不能再自行投票"),
    "wrong_option": _("所选选项不属于本次表决"),
    "change_limit": _("本次表决只允许改票一次,您已经改过"),
    # the server
    "server_error": _("服务器暂时无法处理，请稍后重试"),
}


class ProtocolError(Exception):
    def __init__(self, code: str, message: str = "", ref: Any = None) -> None:
        assert code in ERROR_CODES, code
        self.code = code
        self.message = message or str(ERROR_CODES[code])
        self.ref = ref
        super().__init__(f"{code}: {self.message}")


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    ref: Ref = None
    type: str  # each message narrows it to its one ``Literal``


class BallotCast(_Message):
    type: Literal["ballot.cast"]
    poll: Id
    choice: Id | None = None
    choices: Annotated[list[Id], Field(max_length=50)] | None = None
    ranking: Annotated[list[Id], Field(max_length=50)] | None = None

    def payload(self) -> dict[str, Any]:
        """The choice payload of ``votes.services``: exactly one of the three keys."""
        # Keys the client sent, null included: ``{"choice": null}`` is a blank ballot (弃权),
        # which the votes service accepts where the poll's rule counts participation.
        given = {
            k: v
            for k, v in (
                ("choice", self.choice),
                ("choices", self.choices),
                ("ranking", self.ranking),
            )
            if k in self.model_fields_set
        }
        if len(given) != 1:
            raise ProtocolError("bad_request", str(_("请只给出一种选择")), self.ref)
        return given


class SpeakerRequestMsg(_Message):
    type: Literal["speaker.request"]


class SpeakerWithdraw(_Message):
    type: Literal["speaker.withdraw"]


class AgendaGoto(_Message):
    type: Literal["agenda.goto"]
    item: Id


class PollOpen(_Message):
    type: Literal["poll.open"]
    poll: Id


class PollClose(_Message):
    type: Literal["poll.close"]
    poll: Id


class PollReopen(_Message):
    """Undo a mistaken ``poll.close`` while the result is unpublished (the meeting is live)."""

    type: Literal["poll.reopen"]
    poll: Id
    reason: Annotated[str, Field(max_length=500)] = ""


class SpeakerNext(_Message):
    type: Literal["speaker.next"]


class NoteAdd(_Message):
    type: Literal["note.add"]
    item: Id
    text: Annotated[str, Field(min_length=1, max_length=2000)]


class AttendanceMark(_Message):
    type: Literal["attendance.mark"]
    member: Id
    present: StrictBool


class MeetingClose(_Message):
    type: Literal["meeting.close"]


MESSAGES: dict[str, type[_Message]] = {
    "ballot.cast": BallotCast,
    "speaker.request": SpeakerRequestMsg,
    "speaker.withdraw": SpeakerWithdraw,
    "agenda.goto": AgendaGoto,
    "poll.open": PollOpen,
    "poll.close": PollClose,
    "poll.reopen": PollReopen,
    "speaker.next": SpeakerNext,
    "note.add": NoteAdd,
    "attendance.mark": AttendanceMark,
    "meeting.close": MeetingClose,
}


# No database stores a NUL (PostgreSQL) or a lone UTF-16 surrogate (UTF-8); JSON can spell both.
_UNSTORABLE_TEXT = re.compile("[\x00\ud800-\udfff]")


def _has_unstorable_text(value: Any) -> bool:
    if isinstance(value, str):
        return _UNSTORABLE_TEXT.search(value) is not None
    if isinstance(value, dict):
        return any(_has_unstorable_text(k) or _has_unstorable_text(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_unstorable_text(item) for item in value)
    return False


def _ref_of(data: Any) -> Any:
    if isinstance(data, dict):
        ref = data.get("ref")
        if isinstance(ref, str) and len(ref) <= 64:
            return ref
        if isinstance(ref, int) and not isinstance(ref, bool):
            return ref
    return None


def parse(text: str | None, *, max_bytes: int) -> _Message:
    """Validate one client frame. Raises ``ProtocolError`` with a fixed code."""
    if text is None:
        raise ProtocolError("bad_request", str(_("只接受文本消息")))
    if len(text) > max_bytes or len(text.encode("utf-8")) > max_bytes:
        raise ProtocolError("too_large")
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ProtocolError("bad_request", str(_("不是有效的 JSON"))) from exc
    if _has_unstorable_text(data):
        # No ref: it may be the offending string, and an error frame must encode as UTF-8.
        raise ProtocolError(
            "bad_request", str(_("消息中含有无法保存的字符(空字符或不成对的代理字符)"))
        )
    ref = _ref_of(data)
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        raise ProtocolError("bad_request", str(_("缺少消息类型")), ref)
    model = MESSAGES.get(data["type"])
    if model is None:
        raise ProtocolError("unknown_type", ref=ref)
    try:
        message = model.model_validate(data)
    except ValidationError as exc:
        fields = ", ".join(".".join(str(p) for p in e["loc"]) for e in exc.errors())
        raise ProtocolError("bad_request", f"{ERROR_CODES['bad_request']}: {fields}", ref) from exc
    if isinstance(message, BallotCast):
        message.payload()
    return message


def error_frame(code: str, message: str = "", ref: Any = None) -> dict[str, Any]:
    return {
        "type": "error",
        "ref": ref,
        "code": code,
        "message": message or str(ERROR_CODES.get(code, ERROR_CODES["server_error"])),
    }


# --- the client's reducer (live.js does the same) ---------------------------------------

SECTIONS = ("meeting", "agenda", "poll", "tally", "speakers", "attendance")


def apply_frame(state: dict[str, Any] | None, frame: dict[str, Any]) -> dict[str, Any]:
    """Apply one server frame to a client's state and return the new state.

    A ``state`` frame replaces everything. Other frames replace the sections they carry unless
    the client holds that section at a newer ``seq``; a tally of the same poll never goes
    back to fewer ballots, and a tally of a poll no longer shown is dropped.
    ``ballot.accepted`` and ``error`` do not touch the shared state.
    """
    kind = frame.get("type")
    if kind == "state":
        new = copy.deepcopy(frame)
        new["seqs"] = dict.fromkeys(SECTIONS, frame["seq"])
        return new
    if state is None or kind in ("error", "ballot.accepted"):
        return state or {}
    new = copy.deepcopy(state)
    seq = frame.get("seq", 0)
    seqs = new.setdefault("seqs", {})
    for name in SECTIONS:
        if name not in frame:
            continue
        if seq < seqs.get(name, 0):
            continue
        if name == "tally" and _tally_stale(new, frame):
            continue
        new[name] = copy.deepcopy(frame[name])
        seqs[name] = seq
    if seq > new.get("seq", 0):
        new["seq"] = seq
    return new


def _tally_stale(state: dict[str, Any], frame: dict[str, Any]) -> bool:
    """A bare ``tally`` frame for a poll that is not the one shown is stale (the agenda moved
    on); a tally of the same poll with fewer ballots than held is older."""
    incoming = frame.get("tally")
    poll = frame["poll"] if "poll" in frame else state.get("poll")
    if (
        frame.get("type") == "tally"
        and incoming
        and (not poll or poll.get("id") != incoming.get("poll"))
    ):
        return True
    held = state.get("tally")
    if not held or not incoming or held.get("poll") != incoming.get("poll"):
        return False
    return (incoming.get("ballots") or 0) < (held.get("ballots") or 0)


def shared_view(state: dict[str, Any]) -> dict[str, Any]:
    """The sections every client of the same role shares (for comparing snapshots)."""
    return {k: v for k, v in state.items() if k in SECTIONS}
