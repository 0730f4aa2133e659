"""Pluggable senders of one-time sign-in codes, chosen by ``settings.SIFANG_OTP_SENDER``.

A sender is any class with ``send(*, phone, code, ttl_minutes) -> None`` that raises
:class:`CodeSendFailed` when the message could not be handed over. Two are provided:

- :class:`ConsoleSender` (default, development and tests): logs the code and keeps the last
  messages in ``ConsoleSender.outbox`` so tests can read them, like Django's locmem mail backend.
- :class:`HttpSmsSender`: posts JSON to an SMS gateway (``SIFANG_SMS_URL``, ``SIFANG_SMS_TOKEN``,
  ``SIFANG_SMS_SIGN``, ``SIFANG_SMS_TEMPLATE``). Providers that need request signing (Aliyun,
  Tencent Cloud) sit behind a small relay or a subclass overriding :meth:`HttpSmsSender.payload`
  and :meth:`HttpSmsSender.headers`.
"""

import json
import logging
import sys
import urllib.error
import urllib.request
from collections import deque
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

logger = logging.getLogger("sifang.otp")


class CodeSendFailed(Exception):
    """The code could not be handed to the phone network."""


class CodeSender(Protocol):
    def send(self, *, phone: str, code: str, ttl_minutes: int) -> None: ...


class MessageSender(Protocol):
    """A sender that also carries notifications (``deliberation.notifications``)."""

    def send_message(self, *, phone: str, text: str) -> None: ...


def code_message(code: str, ttl_minutes: int) -> str:
    return _("【四方议事厅】您的登录验证码是 %(code)s，%(minutes)s 分钟内有效。请勿告诉他人。") % {
        "code": code,
        "minutes": ttl_minutes,
    }


@dataclass(frozen=True)
class SentCode:
    phone: str
    code: str
    message: str


class ConsoleSender:
    """Writes the code to the log and to stderr; never leaves the machine."""

    outbox: deque[SentCode] = deque(maxlen=100)

    def send(self, *, phone: str, code: str, ttl_minutes: int) -> None:
        message = code_message(code, ttl_minutes)
        type(self).outbox.append(SentCode(phone=phone, code=code, message=message))
        logger.info("sign-in code for %s: %s", phone, code)
        print(f"[sifang otp] {phone}: {message}", file=sys.stderr)

    def send_message(self, *, phone: str, text: str) -> None:
        type(self).outbox.append(SentCode(phone=phone, code="", message=text))
        logger.info("message for %s: %s", phone[-4:], text)
        print(f"[sifang sms] {phone}: {text}", file=sys.stderr)


class HttpSmsSender:
    """Posts ``{"phone", "sign", "template", "params": {"code", "minutes"}, "text"}`` as JSON."""

    timeout_seconds = 5

    def __init__(self) -> None:
        self.url: str = getattr(settings, "SIFANG_SMS_URL", "")
        self.token: str = getattr(settings, "SIFANG_SMS_TOKEN", "")
        self.sign: str = getattr(settings, "SIFANG_SMS_SIGN", "四方议事厅")
        self.template: str = getattr(settings, "SIFANG_SMS_TEMPLATE", "")
        self.message_template: str = getattr(settings, "SIFANG_SMS_MESSAGE_TEMPLATE", "")
        if not self.url.startswith(("https://", "http://")):
            raise CodeSendFailed("SIFANG_SMS_URL must be an http(s) URL")

    def payload(self, *, phone: str, code: str, ttl_minutes: int) -> dict[str, object]:
        return {
            "phone": phone,
            "sign": self.sign,
            "template": self.template,
            "params": {"code": code, "minutes": ttl_minutes},
            "text": code_message(code, ttl_minutes),
        }

    def headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    def message_payload(self, *, phone: str, text: str) -> dict[str, object]:
        """A notification: no template parameters, the whole text in ``text``."""
        return {
            "phone": phone,
            "sign": self.sign,
            "template": self.message_template,
            "params": {},
            "text": text,
        }

    def send(self, *, phone: str, code: str, ttl_minutes: int) -> None:
        self._post(phone, self.payload(phone=phone, code=code, ttl_minutes=ttl_minutes))

    def send_message(self, *, phone: str, text: str) -> None:
        self._post(phone, self.message_payload(phone=phone, text=text))

    def _post(self, phone: str, payload: dict[str, object]) -> None:
        body = json.dumps(payload).encode()
        request = urllib.request.Request(  # noqa: S310 - scheme checked in __init__
            self.url, data=body, headers=self.headers(), method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_seconds) as response:  # noqa: S310
                if not 200 <= response.status < 300:
                    raise CodeSendFailed(f"SMS gateway answered {response.status}")
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            logger.warning("SMS gateway failed for %s: %s", phone[-4:], error)
            raise CodeSendFailed(str(error)) from error


def get_sender() -> CodeSender:
    """A new instance of the configured sender class."""
    return import_string(settings.SIFANG_OTP_SENDER)()


def get_message_sender() -> MessageSender:
    """The configured sender, for notifications (the same gateway as sign-in codes)."""
    return import_string(settings.SIFANG_OTP_SENDER)()
