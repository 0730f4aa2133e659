"""Named errors of the meetings app. ``code`` is one of ``protocol.ERROR_CODES``."""

from django.utils.translation import gettext_lazy as _

MEETING_ERROR_MESSAGES = {
    "forbidden": _("您没有权限进行此操作"),
    "not_found": _("找不到该议程、表决或成员"),
    "bad_state": _("会议当前状态不允许此操作"),
    "not_checked_in": _("请先签到再申请发言"),
    "already_queued": _("您已在发言队列中"),
    "speech_limit": _("您在本议题的发言次数已用完"),
    "wrong_code": _("签到码不正确"),
    "rate_limited": _("签到码错误次数过多，请稍后再试"),
    "bad_request": _("请求内容不正确"),
}


class MeetingRefused(Exception):
    """A meeting action was refused; nothing was written."""

    def __init__(self, code: str, message: str = "") -> None:
        if code not in MEETING_ERROR_MESSAGES:
            raise ValueError(f"unknown meeting refusal code {code!r}")
        self.code = code
        self.message = message or str(MEETING_ERROR_MESSAGES[code])
        super().__init__(f"{code}: {self.message}")
