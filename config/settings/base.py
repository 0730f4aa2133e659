"""Sifang settings. The environment is read here and nowhere else.

Overlays: ``production`` (secure defaults, ``check --deploy`` clean) and ``test``.
"""

import hashlib
import hmac
import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name, "").strip()
    return float(value) if value else default


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)
# The fallback key only serves the embedded development set-up; production.py refuses it.
DEV_SECRET_KEY = "dev-only-not-secret-sifang-0123456789-abcdefghijklmnopqrstuvwxyz"  # noqa: S105
SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET_KEY)


def derived_ballot_chain_key(secret_key: str) -> str:
    """The development/test ballot chain key: SECRET_KEY under its own label (never production)."""
    return hmac.new(secret_key.encode(), b"sifang:ballot-chain-key", hashlib.sha256).hexdigest()


# Keys every link of a poll's ballot chain (HMAC-SHA256); kept out of the database so a database
# writer cannot rewrite a chain (docs/ballot-chain.md). production.py refuses the derived default.
SIFANG_BALLOT_CHAIN_KEY = os.environ.get("SIFANG_BALLOT_CHAIN_KEY") or derived_ballot_chain_key(
    SECRET_KEY
)
# While a poll is open its chain head is published at most this often (and only when it moved).
SIFANG_BALLOT_CHAIN_PUBLISH_MINUTES = int(
    os.environ.get("SIFANG_BALLOT_CHAIN_PUBLISH_MINUTES", "60")
)
# The public address: QR codes and printed links are built from it (``make demo`` sets it from
# HOST and PORT); production.py refuses to start without it.
SITE_URL_FROM_ENVIRONMENT = os.environ.get("SITE_URL", "").strip().rstrip("/")
SITE_URL = SITE_URL_FROM_ENVIRONMENT or "http://127.0.0.1:8000"
# The site's own host is always allowed, so a demo served on another address answers.
ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", f"127.0.0.1,localhost,testserver,{urlsplit(SITE_URL).hostname or ''}"
)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", SITE_URL)

INSTALLED_APPS = [
    "daphne",
    # Sifang apps first so their templates and translations take precedence.
    "cms",
    "meetings",
    "votes",
    "deliberation",
    "demo",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "channels",
    # Its templates and static files: /api/docs loads Swagger UI from this host (CSP), no CDN.
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Early, so static files and every error page carry the policy too.
    "config.middleware.SifangCSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "config.middleware.SlashAwareCommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After LocaleMiddleware (its 400 is translated), before any view stores the input.
    "config.middleware.UnstorableTextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After sessions, CSRF, authentication and messages: it reads all four (cms/page_cache.py).
    "cms.page_cache.PageCacheMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # Last, as django-axes requires: turns a locked-out password sign-in into its lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "cms.context_processors.elder_mode",
                "cms.context_processors.enums",
                "cms.context_processors.inbox",
            ],
        },
    },
]

# Persistent connections: a connection per request costs ~14 ms a ballot (DESIGN.md); on
# PostgreSQL a pool keeps them (below).
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "600")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Concurrent readers with one writer; wait for the lock instead of failing at once.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0 if DEBUG else DATABASES["default"]["CONN_MAX_AGE"]
elif env_int("DB_POOL_MAX_SIZE", 16) > 0:
    # Under daphne every request runs in a thread of its own, and a persistent connection per
    # thread ran PostgreSQL out of connections under wrk -c50 (issue 16). A bounded pool hands
    # each request a warm connection and takes it back at the request's end; Django requires
    # CONN_MAX_AGE 0 with it. DB_POOL_MAX_SIZE=0 goes back to persistent connections.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": env_int("DB_POOL_MAX_SIZE", 16),
        # A request waiting longer than this for a connection gets an error, not a hang.
        "timeout": float(os.environ.get("DB_POOL_TIMEOUT", "20")),
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            # channels_redis's layer, riding out a Redis restart (config/channel_layer.py).
            "BACKEND": "config.channel_layer.ResilientRedisChannelLayer",
            "CONFIG": {
                # Defaults that a query string in REDIS_URL may override. redis-py's 5 s read
                # timeout equals channels_redis's 5 s blocking pop and closes idle sockets with
                # 1011; its pool of 100 fails a burst of handshakes (docs/deploy.md).
                "hosts": [{"address": REDIS_URL, "socket_timeout": 30, "max_connections": 1000}],
                "capacity": 1500,
                "expiry": 30,
            },
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "sifang",
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Whole public pages cached per data version (cms/page_cache.py). Needs a cache every process
# shares, so that a write in any process (a worker, a command) empties it: on with Redis.
SIFANG_PAGE_CACHE = env_bool("SIFANG_PAGE_CACHE", bool(REDIS_URL))

AUTH_USER_MODEL = "deliberation.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes first: it refuses a locked-out password sign-in before any backend checks it.
# Resident code sign-in calls login() with ModelBackend directly and is limited by its own rules.
AUTHENTICATION_BACKENDS = [
    "deliberation.accounts.backends.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "static_collected"))
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "sifang@localhost")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)

WAGTAIL_SITE_NAME = "四方议事厅 Sifang"
WAGTAILADMIN_BASE_URL = SITE_URL
WAGTAIL_I18N_ENABLED = False
WAGTAILADMIN_PERMITTED_LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
WAGTAIL_CONTENT_LANGUAGES = [("zh-hans", "简体中文")]
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_SERVE_METHOD = "serve_view"
# No staff e-mail hashes to a third party, and the CSP below allows images from this host only.
WAGTAIL_GRAVATAR_PROVIDER_URL = None
# The admin would fetch releases.wagtail.org; upgrades come through the lock file instead.
WAGTAIL_ENABLE_UPDATE_CHECK = False

# Content-Security-Policy (django-csp, config/middleware.py). The project's pages run no inline
# script or style: scripts and stylesheets come from /static/; the live pages' data travels in
# json_script data blocks (not executed, so not subject to script-src) and data-* attributes.
# The middleware adds ws(s)://<host> to connect-src for the live meeting websocket.
_CSP_COMMON = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],  # as X-Frame-Options DENY
}
CONTENT_SECURITY_POLICY = {"DIRECTIVES": _CSP_COMMON}
# Wagtail's admin renders inline <script> blocks (inline panels, date pickers) without a nonce
# and sets style attributes throughout, so /admin/ alone allows inline scripts and styles.
# Scripts still load only from this host; only signed-in staff reach these pages.
SIFANG_CSP_ADMIN_PREFIX = "/admin/"
SIFANG_CSP_ADMIN = {
    "DIRECTIVES": {
        **_CSP_COMMON,
        "script-src": ["'self'", "'unsafe-inline'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "frame-src": ["'self'"],
        "worker-src": ["'self'", "blob:"],
        # Wagtail previews a page in a same-origin iframe served under /admin/.
        "frame-ancestors": ["'self'"],
    }
}

# django-tasks: the database worker in production (``manage.py db_worker``). The embedded
# set-up runs tasks immediately so ``make demo`` needs no second process.
TASKS = {
    "default": {
        "BACKEND": os.environ.get(
            "TASKS_BACKEND", "django_tasks.backends.immediate.ImmediateBackend"
        )
    }
}

# Pluggable one-time-code sender for resident sign-in; production needs an SMS sender.
SIFANG_OTP_SENDER = os.environ.get(
    "SIFANG_OTP_SENDER", "deliberation.accounts.senders.ConsoleSender"
)
# deliberation.accounts.senders.HttpSmsSender: the gateway, its bearer token, signature, template.
SIFANG_SMS_URL = os.environ.get("SIFANG_SMS_URL", "")
SIFANG_SMS_TOKEN = os.environ.get("SIFANG_SMS_TOKEN", "")
SIFANG_SMS_SIGN = os.environ.get("SIFANG_SMS_SIGN", "四方议事厅")
SIFANG_SMS_TEMPLATE = os.environ.get("SIFANG_SMS_TEMPLATE", "")

# Trusted reverse proxies in front of the application, each appending to X-Forwarded-For
# (nginx as in docs/deploy.md: 1). 0 = clients connect directly and REMOTE_ADDR is the client.
# Every per-address limit reads the client through deliberation.accounts.network.client_ip.
SIFANG_PROXY_COUNT = env_int("SIFANG_PROXY_COUNT", 0)

# Owners' campaigns (votes.campaign): alert when one signer ID, canvasser or proxy holder accounts
# for ballots of more than this many owners; largest accepted photo/scan of a signed ballot.
SIFANG_CAMPAIGN_ALERT_UNITS = env_int("SIFANG_CAMPAIGN_ALERT_UNITS", 5)
SIFANG_CAMPAIGN_EVIDENCE_MAX_BYTES = env_int("SIFANG_CAMPAIGN_EVIDENCE_MAX_BYTES", 10 * 1024 * 1024)

# Resident code sign-in limits (deliberation.accounts.services.Limits).
SIFANG_SIGNIN_LIMITS = {
    "ttl_seconds": env_int("SIFANG_SIGNIN_CODE_TTL_SECONDS", 300),
    "max_attempts": env_int("SIFANG_SIGNIN_CODE_ATTEMPTS", 5),
    "resend_seconds": env_int("SIFANG_SIGNIN_RESEND_SECONDS", 60),
    "phone_requests_per_hour": env_int("SIFANG_SIGNIN_PHONE_REQUESTS_PER_HOUR", 5),
    "ip_requests_per_hour": env_int("SIFANG_SIGNIN_IP_REQUESTS_PER_HOUR", 20),
    "phone_failures_per_hour": env_int("SIFANG_SIGNIN_PHONE_FAILURES_PER_HOUR", 10),
    "ip_failures_per_hour": env_int("SIFANG_SIGNIN_IP_FAILURES_PER_HOUR", 30),
}
# Wrong meeting check-in codes (deliberation.accounts.throttle.CheckinLimits): past a limit every
# check-in of that person / meeting / address is refused until the window ends.
SIFANG_CHECKIN_LIMITS = {
    "user_failures": env_int("SIFANG_CHECKIN_USER_FAILURES", 5),
    "user_window_seconds": env_int("SIFANG_CHECKIN_USER_WINDOW_SECONDS", 600),
    "meeting_failures": env_int("SIFANG_CHECKIN_MEETING_FAILURES", 50),
    "meeting_window_seconds": env_int("SIFANG_CHECKIN_MEETING_WINDOW_SECONDS", 60),
    "ip_failures": env_int("SIFANG_CHECKIN_IP_FAILURES", 30),
    "ip_window_seconds": env_int("SIFANG_CHECKIN_IP_WINDOW_SECONDS", 600),
}

# Staff password sign-in (/accounts/login/, /admin/login/) through django-axes: after
# SIFANG_LOGIN_FAILURE_LIMIT failures for one user name, or from one client address, password
# sign-in for it is refused (the right password too) until SIFANG_LOGIN_COOLOFF_MINUTES after
# the last failure. Attempts during a lockout do not extend it, so a stranger hammering a
# user name keeps it locked no longer than one cool-off after they stop.
AXES_FAILURE_LIMIT = env_int("SIFANG_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("SIFANG_LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# A success must not wipe an address's failures: anyone can sign in as a resident by code.
AXES_RESET_ON_SUCCESS = False
AXES_CLIENT_IP_CALLABLE = "deliberation.accounts.network.client_ip"
AXES_LOCKOUT_CALLABLE = "cms.views.accounts.lockout_response"
AXES_ENABLE_ADMIN = False  # django.contrib.admin is not installed; Wagtail is the admin

# Websocket frames larger than this are refused by the consumer (daphne enforces its own cap too).
SIFANG_WS_MAX_FRAME_BYTES = env_int("SIFANG_WS_MAX_FRAME_BYTES", 16 * 1024)
# A websocket whose peer stops reading is closed (1013) once frames of more than this many bytes
# wait for it beyond Twisted's 64 KiB write buffer (config/daphne_backpressure.py).
SIFANG_WS_MAX_BUFFERED_BYTES = env_int("SIFANG_WS_MAX_BUFFERED_BYTES", 1024 * 1024)
# Fault injection for tests/integration only: a daphne worker started with this set kills itself
# (SIGKILL) after the ballot cast with this ``ref`` committed and before its ``ballot.accepted``
# is sent (meetings/consumers.py); ``*`` matches any ref. production.py refuses it.
SIFANG_FAULT_KILL_BEFORE_ACK_REF = os.environ.get("SIFANG_FAULT_KILL_BEFORE_ACK_REF", "")
# At most one live tally per poll per this many seconds, across every process (meetings/tallies.py).
SIFANG_TALLY_INTERVAL = env_float("SIFANG_TALLY_INTERVAL", 0.3)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.channels.server": {"level": "WARNING"},
        # WeasyPrint and fontTools narrate every render at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        # django-axes' start-up banner would reach every command's output (cron mails it).
        "axes.apps": {"level": "WARNING"},
    },
}
