"""Production overlay: secure transport and cookies; refuses the development key."""

from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import (
    DEV_SECRET_KEY,
    SECRET_KEY,
    SIFANG_BALLOT_CHAIN_KEY,
    SIFANG_FAULT_KILL_BEFORE_ACK_REF,
    SIFANG_OTP_SENDER,
    SIFANG_SMS_URL,
    SITE_URL_FROM_ENVIRONMENT,
    derived_ballot_chain_key,
    env_bool,
)

DEBUG = False
if SECRET_KEY == DEV_SECRET_KEY or len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("Set SECRET_KEY to a random string of at least 50 characters.")

# The console sender prints sign-in codes to the log: never in production.
if SIFANG_OTP_SENDER.endswith("ConsoleSender"):
    raise ImproperlyConfigured("Set SIFANG_OTP_SENDER to an SMS sender (e.g. HttpSmsSender).")
# Without a gateway every code request would fail: refuse to start instead.
if SIFANG_OTP_SENDER.endswith("HttpSmsSender") and not SIFANG_SMS_URL.startswith(
    ("https://", "http://")
):
    raise ImproperlyConfigured("Set SIFANG_SMS_URL to the SMS gateway's http(s) URL.")

# The ballot chain key must be its own secret: not derived from SECRET_KEY, not stored anywhere
# the database writer can read (docs/ballot-chain.md).
if (
    SIFANG_BALLOT_CHAIN_KEY in (SECRET_KEY, derived_ballot_chain_key(SECRET_KEY))
    or len(SIFANG_BALLOT_CHAIN_KEY) < 32
):
    raise ImproperlyConfigured(
        "Set SIFANG_BALLOT_CHAIN_KEY to its own random string of at least 32 characters."
    )

# A fault-injection hook of the integration tests: never in production.
if SIFANG_FAULT_KILL_BEFORE_ACK_REF:
    raise ImproperlyConfigured("Unset SIFANG_FAULT_KILL_BEFORE_ACK_REF (a test-only fault hook).")

# QR codes and printed links must reach the public site, never the development default.
_site = urlsplit(SITE_URL_FROM_ENVIRONMENT)
if _site.scheme not in ("https", "http") or not _site.hostname:
    raise ImproperlyConfigured(
        "Set SITE_URL to the site's public address, e.g. https://yishi.example.org."
    )

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = 31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
