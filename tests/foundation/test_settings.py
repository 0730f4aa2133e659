"""Settings come from the environment; production values pass ``check --deploy``."""

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
# Not inherited by the subprocesses: the backends under test, and the browser suite's
# DJANGO_ALLOW_ASYNC_UNSAFE (which check --deploy rightly reports as an error).
ISOLATED_VARIABLES = {"DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}


def run_settings(env: dict[str, str], code: str) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if k not in ISOLATED_VARIABLES}
    full_env.update(env)
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=full_env, capture_output=True, text=True
    )


PRINT = (
    "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE','config.settings.base');"
    "django.setup(); from django.conf import settings as s;"
    "print(s.DATABASES['default']['ENGINE']); print(s.CHANNEL_LAYERS['default']['BACKEND'])"
)


def test_embedded_default_is_sqlite_and_in_memory() -> None:
    out = run_settings({}, PRINT)
    assert out.returncode == 0, out.stderr
    engine, layer = out.stdout.split()
    assert engine == "django.db.backends.sqlite3"
    assert layer == "channels.layers.InMemoryChannelLayer"


def test_database_url_and_redis_url_select_postgres_and_redis() -> None:
    out = run_settings(
        {
            "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/whatever",
            "REDIS_URL": "redis://127.0.0.1:6379/3",
        },
        PRINT,
    )
    assert out.returncode == 0, out.stderr
    engine, layer = out.stdout.split()
    assert engine == "django.db.backends.postgresql"
    assert layer == "config.channel_layer.ResilientRedisChannelLayer"


def test_this_run_uses_the_backends_the_environment_names() -> None:
    wants_pg = os.environ.get("DATABASE_URL", "").startswith("postgres")
    assert settings.DATABASES["default"]["ENGINE"].endswith("postgresql") == wants_pg
    wants_redis = bool(os.environ.get("REDIS_URL"))
    backend = settings.CHANNEL_LAYERS["default"]["BACKEND"]
    assert backend.endswith("RedisChannelLayer") == wants_redis


def test_check_deploy_is_clean_with_production_values() -> None:
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": "k3Yq9vXw2LmN8pRt5sUv7wXy0zA1bC4dE6fG8hJ0kL2mN4pQ6rS8tU0vW2xY4z",
        "ALLOWED_HOSTS": "sifang.example.org",
        "SITE_URL": "https://sifang.example.org",
        "DEBUG": "0",
        "SIFANG_OTP_SENDER": "deliberation.accounts.senders.HttpSmsSender",
        "SIFANG_SMS_URL": "https://sms.example.org/send",
        "SIFANG_BALLOT_CHAIN_KEY": "c9Hk2mPq7wRt4vXz8bNd3fGj6kLp1sUy5aCe0hJn",
    }
    full_env = {k: v for k, v in os.environ.items() if k not in ISOLATED_VARIABLES}
    full_env.update(env)
    out = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=full_env,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "WARNING" not in out.stderr and "WARNINGS" not in out.stdout
    assert "System check identified no issues" in out.stdout


def test_worker_settings_are_production_without_the_web_server() -> None:
    out = run_settings(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.worker",
            "SECRET_KEY": "k3Yq9vXw2LmN8pRt5sUv7wXy0zA1bC4dE6fG8hJ0kL2mN4pQ6rS8tU0vW2xY4z",
            "SIFANG_OTP_SENDER": "deliberation.accounts.senders.HttpSmsSender",
            "SIFANG_SMS_URL": "https://sms.example.org/send",
            "SIFANG_BALLOT_CHAIN_KEY": "c9Hk2mPq7wRt4vXz8bNd3fGj6kLp1sUy5aCe0hJn",
            # The worker renders the notices and minutes: their QR codes need the address.
            "SITE_URL": "https://sifang.example.org",
        },
        "import django; django.setup(); from django.conf import settings as s;"
        "print('daphne' in s.INSTALLED_APPS, s.DEBUG, s.TASKS['default']['BACKEND'])",
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "False", "django_tasks_db.DatabaseBackend"]


def test_production_refuses_the_console_code_sender() -> None:
    out = run_settings(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "SECRET_KEY": "k3Yq9vXw2LmN8pRt5sUv7wXy0zA1bC4dE6fG8hJ0kL2mN4pQ6rS8tU0vW2xY4z",
        },
        "import django; django.setup()",
    )
    assert out.returncode != 0
    assert "SIFANG_OTP_SENDER" in out.stderr


def test_production_refuses_the_development_key() -> None:
    out = run_settings(
        {"DJANGO_SETTINGS_MODULE": "config.settings.production"},
        "import django; django.setup()",
    )
    assert out.returncode != 0
    assert "SECRET_KEY" in out.stderr
