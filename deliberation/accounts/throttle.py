"""Fixed-window rate limits counted in the database (``RateBucket``), shared by the sign-in codes
and the meeting check-in codes.

A :class:`Rule` allows ``limit`` hits on ``key`` per ``window`` seconds; windows are aligned to
the epoch, so a key is free again when its window ends. Counts live in the database, so a limit
holds across every worker; a caller that must not race (two requests both passing the check)
checks and hits inside one transaction under a row lock it already holds, or uses
:func:`throttle_lock_and_check`.

The check-in limits (:class:`CheckinLimits`) are read from ``settings.SIFANG_CHECKIN_LIMITS``.
"""

import math
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db.models import F

from deliberation.accounts.network import address_key
from deliberation.models import RateBucket


@dataclass(frozen=True)
class Rule:
    key: str
    window: int  # seconds
    limit: int


@dataclass(frozen=True)
class Blocked:
    """The first full rule and the seconds until its window ends."""

    rule: Rule
    retry_after: int

    @property
    def minutes(self) -> int:
        return minutes_up(self.retry_after)


def minutes_up(seconds: int) -> int:
    """Whole minutes, rounded up, at least one: what a person is told to wait."""
    return max(1, math.ceil(seconds / 60))


def window_start(now: datetime, window: int) -> datetime:
    return datetime.fromtimestamp(int(now.timestamp()) // window * window, tz=UTC)


def _seconds_left(start: datetime, window: int, now: datetime) -> int:
    return max(1, math.ceil((start + timedelta(seconds=window) - now).total_seconds()))


def throttle_lock_and_check(
    rules: list[Rule], now: datetime
) -> tuple[list[RateBucket], Blocked | None]:
    """Lock each rule's current bucket in order; stop at the first full one.

    Runs inside the caller's transaction; the row locks make concurrent requests on one key
    count one after the other. Returns the locked buckets (to increment on success) and the
    refusal, if any.
    """
    buckets: list[RateBucket] = []
    for rule in rules:
        start = window_start(now, rule.window)
        bucket, _created = RateBucket.objects.select_for_update().get_or_create(
            key=rule.key, window_start=start
        )
        if bucket.count >= rule.limit:
            return buckets, Blocked(rule, _seconds_left(start, rule.window, now))
        buckets.append(bucket)
    return buckets, None


def throttle_blocked(rules: list[Rule], now: datetime) -> Blocked | None:
    """The first rule whose current window is full, or ``None``. Reads only."""
    for rule in rules:
        start = window_start(now, rule.window)
        bucket = RateBucket.objects.filter(key=rule.key, window_start=start).first()
        if bucket is not None and bucket.count >= rule.limit:
            return Blocked(rule, _seconds_left(start, rule.window, now))
    return None


def throttle_hit(rules: list[Rule], now: datetime) -> None:
    """Count one hit on every rule's current window."""
    for rule in rules:
        start = window_start(now, rule.window)
        RateBucket.objects.get_or_create(key=rule.key, window_start=start)
        RateBucket.objects.filter(key=rule.key, window_start=start).update(count=F("count") + 1)


def throttle_purge(now: datetime) -> None:
    """Forget windows older than a day (no rule's window is longer)."""
    RateBucket.objects.filter(window_start__lt=now - timedelta(days=1)).delete()


# --- meeting check-in codes -----------------------------------------------------------------------


@dataclass(frozen=True)
class CheckinLimits:
    """Wrong check-in codes allowed before every check-in of that scope is refused until the
    window ends, the right code included."""

    user_failures: int = 5  # per person, any meeting
    user_window_seconds: int = 600
    meeting_failures: int = 50  # per meeting, everyone together
    meeting_window_seconds: int = 60
    ip_failures: int = 30  # per client address (a venue's Wi-Fi is one address: keep it loose)
    ip_window_seconds: int = 600


def checkin_limits() -> CheckinLimits:
    overrides = getattr(settings, "SIFANG_CHECKIN_LIMITS", {}) or {}
    known = {f.name for f in fields(CheckinLimits)}
    return CheckinLimits(**{k: v for k, v in overrides.items() if k in known})


def checkin_rules(*, meeting_id: int, user_id: int, ip: str | None) -> list[Rule]:
    """The limits on wrong check-in codes for this person, meeting and client address."""
    lim = checkin_limits()
    return [
        Rule(f"checkin-user:{user_id}", lim.user_window_seconds, lim.user_failures),
        Rule(f"checkin-meeting:{meeting_id}", lim.meeting_window_seconds, lim.meeting_failures),
        Rule(f"checkin-ip:{address_key(ip)}", lim.ip_window_seconds, lim.ip_failures),
    ]
