"""Named errors of the votes app. Callers map ``.code`` to their own error frames."""

from django.utils.translation import gettext_lazy as _

REFUSAL_MESSAGES = {
    "not_eligible": _("您不在本次表决的范围内"),
    "already_voted": _("本户(本人)已经投过票"),
    "poll_closed": _("表决已截止"),
    "poll_not_open": _("表决尚未开始"),
    # The poll is paused, or (outage) its online channel is: try again after it resumes.
    "poll_paused": _("表决已暂停,恢复后请再投票"),
    "bad_request": _("选票内容不正确"),
    "delegated": _("您已委托他人代为表决，不能再自行投票"),
    "wrong_option": _("所选选项不属于本次表决"),
    "change_limit": _("本次表决只允许改票一次,您已经改过"),
    "proxy_instruction": _("委托人对本表决有书面指示,代投的选择必须与指示一致"),
    "proxy_revoked": _("该授权委托已被撤销,受托人不能再代为投票"),
}


class VoteRefused(Exception):
    """A ballot was refused. ``code`` is one of ``REFUSAL_MESSAGES``."""

    def __init__(self, code: str, message: str = "") -> None:
        if code not in REFUSAL_MESSAGES:
            raise ValueError(f"unknown refusal code {code!r}")
        self.code = code
        self.message = message or str(REFUSAL_MESSAGES[code])
        super().__init__(f"{code}: {self.message}")


class PollStateError(Exception):
    """A lifecycle step that the poll's current status does not allow."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class PollFrozen(PollStateError):
    """A change to the rule, electorate or options after the poll opened."""
