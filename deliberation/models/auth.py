"""Resident sign-in records: one-time codes (hashed) and rate-limit buckets."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class SignInCode(models.Model):
    """A one-time sign-in code sent to a phone. Only its keyed hash is stored.

    A code is usable while ``used_at`` and ``invalidated_at`` are empty, ``expires_at`` is in the
    future and ``attempts`` is below the limit; ``deliberation.accounts.services`` enforces
    this under a row lock.
    """

    phone = models.CharField(_("手机号"), max_length=20)
    code_hash = models.CharField(max_length=128)
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)
    invalidated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("登录验证码")
        verbose_name_plural = _("登录验证码")
        indexes = [
            models.Index(fields=["phone", "-created_at"]),
            models.Index(fields=["created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.phone[:3]}****{self.phone[-4:]} @ {self.created_at:%Y-%m-%d %H:%M}"


class RateBucket(models.Model):
    """Hits on one rate-limit key in one fixed time window (a row lock serialises increments)."""

    key = models.CharField(max_length=120)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "window_start"], name="ratebucket_unique_window")
        ]
        indexes = [models.Index(fields=["window_start"])]

    def __str__(self) -> str:
        return f"{self.key} @ {self.window_start:%H:%M}: {self.count}"
