"""Resident sign-in with a phone number and a one-time code.

``signin_code_request`` sends a fresh code (earlier unused ones stop working);
``signin_code_verify`` checks it and returns the user to log in. Codes are stored as keyed
hashes, expire after ``ttl_seconds``, are single-use, and die after ``max_attempts`` wrong
guesses. Requests and wrong guesses are limited per phone and per IP in fixed windows counted in
the database (``RateBucket``, incremented under a row lock), so the limits hold across workers.
Every refusal raises :class:`SignInRefused` with a stable ``code`` and a Chinese message.
Client addresses are counted by ``deliberation.accounts.network.address_key`` (IPv6 per /64).

Limits are read from ``settings.SIFANG_SIGNIN_LIMITS`` (a dict overriding :class:`Limits`).
"""

import math
import secrets
from dataclasses import dataclass, fields
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from deliberation.accounts.network import address_key
from deliberation.accounts.senders import CodeSendFailed, get_sender
from deliberation.accounts.throttle import (
    Blocked,
    Rule,
    minutes_up,
    throttle_blocked,
    throttle_hit,
    throttle_lock_and_check,
    throttle_purge,
)
from deliberation.exceptions import DeliberationError
from deliberation.models import RateBucket, SignInCode, User
from deliberation.registry.phones import normalise_phone


@dataclass(frozen=True)
class Limits:
    ttl_seconds: int = 300
    code_length: int = 6
    max_attempts: int = 5  # wrong guesses per code
    resend_seconds: int = 60  # one code per phone per this many seconds
    phone_requests_per_hour: int = 5
    ip_requests_per_hour: int = 20
    phone_failures_per_hour: int = 10
    ip_failures_per_hour: int = 30


def limits() -> Limits:
    overrides = getattr(settings, "SIFANG_SIGNIN_LIMITS", {}) or {}
    known = {f.name for f in fields(Limits)}
    return Limits(**{k: v for k, v in overrides.items() if k in known})


class SignInRefused(DeliberationError):
    """A code request or verification refused; ``code`` says why, ``retry_after`` when (s)."""

    code = "signin_refused"

    def __init__(self, message: str, *, code: str, retry_after: int | None = None) -> None:
        super().__init__(message, code=code)
        self.retry_after = retry_after


@dataclass(frozen=True)
class CodeRequested:
    phone: str
    expires_at: datetime
    resend_after_seconds: int


# --- rate limiting --------------------------------------------------------------------------------


def _purge_old(now: datetime) -> None:
    throttle_purge(now)
    SignInCode.objects.filter(created_at__lt=now - timedelta(days=1)).delete()


# --- codes ----------------------------------------------------------------------------------------


def _hash_code(phone: str, code: str, salt: str) -> str:
    digest = salted_hmac("sifang.signin-code", f"{phone}:{code}:{salt}", algorithm="sha256")
    return f"{salt}${digest.hexdigest()}"


def _code_matches(stored: str, phone: str, code: str) -> bool:
    salt, _sep, _digest = stored.partition("$")
    return constant_time_compare(stored, _hash_code(phone, code, salt))


def _clean_phone(phone: str) -> str:
    cleaned = normalise_phone(phone)
    if not cleaned:
        raise SignInRefused(_("请输入正确的 11 位手机号码"), code="bad_phone")
    return cleaned


def _may_sign_in_with_code(phone: str) -> bool:
    """Whether a code may sign ``phone`` in: an unknown number (first sign-in) or an active
    resident account. Staff accounts sign in with their password; inactive ones not at all."""
    user = User.objects.filter(phone=phone).first()
    if user is None:
        return True
    return user.is_active and not (user.is_staff or user.is_superuser)


def signin_code_request(*, phone: str, ip: str | None) -> CodeRequested:
    """Send a new sign-in code to ``phone``.

    Raises :class:`SignInRefused` with code ``bad_phone``, ``too_soon`` (within
    ``resend_seconds`` of the last code), ``phone_rate_limited``, ``ip_rate_limited`` or
    ``send_failed``. The code is stored (hashed) and committed before it is sent; if sending
    fails the code is invalidated.

    A staff or inactive account's number gets exactly the answer an unknown number gets (the
    same limits, the same "code sent"), but no message goes out and no code it could receive
    signs it in: the page must not tell anyone which numbers belong to staff.
    """
    lim = limits()
    phone = _clean_phone(phone)
    now = timezone.now()
    rules = [
        Rule(f"code-phone:{phone}", 3600, lim.phone_requests_per_hour),
        Rule(f"code-ip:{address_key(ip)}", 3600, lim.ip_requests_per_hour),
    ]
    code = "".join(secrets.choice("0123456789") for _ in range(lim.code_length))
    with transaction.atomic():
        # The phone's bucket is locked first, so the resend check below cannot race.
        buckets, refused = throttle_lock_and_check(rules, now)
        last = SignInCode.objects.filter(phone=phone).order_by("-created_at", "-pk").first()
        if refused is None and last is not None:
            wait = (last.created_at + timedelta(seconds=lim.resend_seconds) - now).total_seconds()
            if wait > 0:
                refused = Blocked(
                    Rule(f"code-resend:{phone}", lim.resend_seconds, 1), math.ceil(wait)
                )
        if refused is None:
            RateBucket.objects.filter(pk__in=[b.pk for b in buckets]).update(count=F("count") + 1)
            _purge_old(now)
            SignInCode.objects.filter(
                phone=phone, used_at__isnull=True, invalidated_at__isnull=True
            ).update(invalidated_at=now)
            record = SignInCode.objects.create(
                phone=phone,
                code_hash=_hash_code(phone, code, secrets.token_hex(8)),
                ip=ip,
                expires_at=now + timedelta(seconds=lim.ttl_seconds),
            )
            deliver = _may_sign_in_with_code(phone)
    if refused is not None:
        seconds = refused.retry_after
        if refused.rule.key.startswith("code-resend:"):
            raise SignInRefused(
                _("验证码已发送，请 %(seconds)s 秒后再重新获取") % {"seconds": seconds},
                code="too_soon",
                retry_after=seconds,
            )
        if refused.rule.key.startswith("code-phone:"):
            message = _("该手机号获取验证码次数过多，请 %(minutes)s 分钟后再试")
            code_name = "phone_rate_limited"
        else:
            message = _("本网络获取验证码的次数过多，请 %(minutes)s 分钟后再试")
            code_name = "ip_rate_limited"
        raise SignInRefused(
            message % {"minutes": refused.minutes}, code=code_name, retry_after=seconds
        )
    if deliver:
        try:
            get_sender().send(phone=phone, code=code, ttl_minutes=minutes_up(lim.ttl_seconds))
        except CodeSendFailed as error:
            SignInCode.objects.filter(pk=record.pk).update(invalidated_at=timezone.now())
            raise SignInRefused(
                _("验证码发送失败，请稍后再试，或联系社区工作人员"), code="send_failed"
            ) from error
    return CodeRequested(
        phone=phone, expires_at=record.expires_at, resend_after_seconds=lim.resend_seconds
    )


def signin_code_verify(*, phone: str, code: str, ip: str | None) -> User:
    """Check ``code`` for ``phone``; return the user (created on first sign-in) to log in.

    Raises :class:`SignInRefused` with code ``bad_phone``, ``bad_code`` (not N digits; not
    counted), ``too_many_failures`` (per phone or IP, before any check), ``no_code``,
    ``expired``, ``used``, ``too_many_attempts`` (this code is dead) or ``wrong_code`` (with
    the attempts left). A wrong guess is counted even though the call raises. For a staff or
    inactive account every code is a wrong guess.
    """
    lim = limits()
    phone = _clean_phone(phone)
    code = "".join(code.split())
    if not (code.isdigit() and code.isascii() and len(code) == lim.code_length):
        raise SignInRefused(
            _("请输入 %(length)s 位数字验证码") % {"length": lim.code_length}, code="bad_code"
        )
    now = timezone.now()
    failure_rules = [
        Rule(f"fail-phone:{phone}", 3600, lim.phone_failures_per_hour),
        Rule(f"fail-ip:{address_key(ip)}", 3600, lim.ip_failures_per_hour),
    ]
    outcome: str
    left = 0
    user: User | None = None
    with transaction.atomic():
        full = throttle_blocked(failure_rules, now)
        if full is not None:
            outcome = "too_many_failures"
            left = full.retry_after
        else:
            record = (
                SignInCode.objects.select_for_update()
                .filter(phone=phone)
                .order_by("-created_at", "-pk")
                .first()
            )
            if record is None:
                outcome = "no_code"
            elif record.used_at is not None:
                outcome = "used"
            elif record.invalidated_at is not None:
                outcome = "too_many_attempts" if record.attempts >= lim.max_attempts else "no_code"
            elif record.expires_at <= now:
                outcome = "expired"
            elif _code_matches(record.code_hash, phone, code) and _may_sign_in_with_code(phone):
                record.used_at = now
                record.save(update_fields=["used_at"])
                user = User.objects.filter(phone=phone).first()
                if user is None:
                    user = User.objects.create_user(
                        username=_free_username(f"p{phone}"), phone=phone
                    )
                outcome = "ok"
            else:
                record.attempts += 1
                left = lim.max_attempts - record.attempts
                if left <= 0:
                    record.invalidated_at = now
                record.save(update_fields=["attempts", "invalidated_at"])
                throttle_hit(failure_rules, now)
                outcome = "wrong_code" if left > 0 else "too_many_attempts"
    if outcome == "ok":
        assert user is not None
        return user
    messages = {
        "too_many_failures": _("验证码错误次数过多，请 %(minutes)s 分钟后再试")
        % {"minutes": minutes_up(left)},
        "no_code": _("请先获取验证码"),
        "used": _("这个验证码已经用过了，请重新获取"),
        "too_many_attempts": _("验证码错误次数过多，已失效，请重新获取"),
        "expired": _("验证码已过期，请重新获取"),
        "wrong_code": _("验证码不正确，还可以再试 %(left)s 次") % {"left": left},
    }
    raise SignInRefused(
        messages[outcome],
        code=outcome,
        retry_after=left if outcome == "too_many_failures" else None,
    )


def _free_username(base: str) -> str:
    name, suffix = base, 1
    while User.objects.filter(username=name).exists():
        suffix += 1
        name = f"{base}-{suffix}"
    return name
