"""Production signs a resident in from its documented environment (issue 12 point 6).

A real daphne runs ``config.settings.production`` with the environment docs/deploy.md lists,
behind what nginx would add (``X-Forwarded-For``, ``X-Forwarded-Proto``). A local HTTP server
stands in for the SMS gateway and records what it is sent. The resident asks for a code, the
gateway receives it, the resident types it in, and Django's own session store says the session
is signed in as that resident. The database is a copy of the migrated test database (SQLite) or
the test database itself (PostgreSQL), so no second migration runs.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
HOST = "yishi.example.org"
PHONE = "13912345678"
CLIENT = "203.0.113.7"  # the resident's address, as nginx appends it
SMS_TOKEN = "sms-t0ken-for-the-test"
# Not inherited by the server: the test run's backends and the browser suite's async switch.
ISOLATED_VARIABLES = {"DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}


@dataclass
class FakeGateway:
    """An SMS gateway on localhost that answers 200 and keeps every request it gets."""

    received: list[dict[str, object]] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}/send"

    def start(self) -> None:
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                gateway.received.append(
                    {
                        "path": self.path,
                        "authorization": self.headers.get("Authorization"),
                        "body": json.loads(self.rfile.read(length).decode()),
                    }
                )
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"ok": true}')

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


@pytest.fixture
def gateway() -> Iterator[FakeGateway]:
    fake = FakeGateway()
    fake.start()
    yield fake
    fake.stop()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def database_url(tmp_path: Path) -> str:
    """A URL for the server: the test database (PostgreSQL) or a file copy of it (SQLite)."""
    settings = connection.settings_dict
    if connection.vendor == "postgresql":
        user = settings["USER"] or ""
        password = f":{settings['PASSWORD']}" if settings["PASSWORD"] else ""
        host = settings["HOST"] or "127.0.0.1"
        port = settings["PORT"] or 5432
        return f"postgres://{user}{password}@{host}:{port}/{settings['NAME']}"
    connection.ensure_connection()
    copy = tmp_path / "production.sqlite3"
    target = sqlite3.connect(copy)
    raw = connection.connection
    assert raw is not None
    raw.backup(target)
    target.close()
    return f"sqlite:///{copy}"


def documented_environment(tmp_path: Path, *, sms_url: str, db_url: str) -> dict[str, str]:
    """The variables README's configuration table and docs/deploy.md tell an operator to set."""
    env = {k: v for k, v in os.environ.items() if k not in ISOLATED_VARIABLES}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "SIFANG_BALLOT_CHAIN_KEY": secrets.token_urlsafe(32),
            "DATABASE_URL": db_url,
            "ALLOWED_HOSTS": HOST,
            "SITE_URL": f"https://{HOST}",
            "MEDIA_ROOT": str(tmp_path / "media"),
            "STATIC_ROOT": str(tmp_path / "static"),
            "SIFANG_OTP_SENDER": "deliberation.accounts.senders.HttpSmsSender",
            "SIFANG_SMS_URL": sms_url,
            "SIFANG_SMS_TOKEN": SMS_TOKEN,
            "SIFANG_PROXY_COUNT": "1",
        }
    )
    return env


class Browser:
    """Plain HTTP to the server as nginx forwards it; keeps cookies by hand (they are Secure)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def post(self, path: str, form: dict[str, str]) -> tuple[int, dict[str, str]]:
        body = urlencode(form)
        headers = {
            "Host": HOST,
            "Origin": f"https://{HOST}",
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Forwarded-For": f"198.51.100.99, {CLIENT}",  # a client-written entry, then nginx's
            "X-Forwarded-Proto": "https",
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
        }
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request("POST", path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            for header, value in response.getheaders():
                if header.lower() == "set-cookie":
                    name, _sep, rest = value.partition("=")
                    self.cookies[name.strip()] = rest.split(";", 1)[0]
            return response.status, {k.lower(): v for k, v in response.getheaders()}
        finally:
            conn.close()


@dataclass
class Daphne:
    env: dict[str, str]
    port: int
    log: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = self.log.open("wb")  # a file, not a pipe: a full pipe would stall the server
        self.process = subprocess.Popen(
            [
                str(ROOT / ".venv/bin/daphne"),
                "-b",
                "127.0.0.1",
                "-p",
                str(self.port),
                "config.asgi:application",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        log.close()
        # Waits for the socket; a bound only so a broken start fails instead of hanging.
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                if self.process.poll() is not None:
                    stderr = self.log.read_text(errors="replace")
                    raise AssertionError(f"daphne exited: {stderr[-3000:]}") from None
                time.sleep(0.3)
        raise AssertionError("daphne did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


SESSION_PROBE = """
import json
import re
from django.contrib.sessions.backends.db import SessionStore
from deliberation.models import SignInCode, User
session = SessionStore(session_key={key!r})
user_id = session.get("_auth_user_id")
user = User.objects.filter(pk=user_id).first() if user_id else None
print(json.dumps({{
    "phone": user.phone if user else None,
    "code_ips": [c.ip for c in SignInCode.objects.filter(phone={phone!r})],
}}))
"""


def probe_session(env: dict[str, str], session_key: str) -> dict[str, object]:
    """Ask Django itself, under the same settings, who the session is signed in as."""
    out = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            SESSION_PROBE.format(key=session_key, phone=PHONE),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.django_db(transaction=True)
def test_a_resident_signs_in_under_production_settings(
    tmp_path: Path, gateway: FakeGateway
) -> None:
    env = documented_environment(tmp_path, sms_url=gateway.url, db_url=database_url(tmp_path))
    server = Daphne(env=env, port=free_port(), log=tmp_path / "daphne.log")
    server.start()
    try:
        browser = Browser(server.port)
        # A CSRF secret of the client's choosing is what a first visit would set (32 characters).
        csrf = secrets.token_hex(16)
        browser.cookies["csrftoken"] = csrf

        status, headers = browser.post(
            "/accounts/code/", {"csrfmiddlewaretoken": csrf, "phone": PHONE, "next": "/"}
        )
        assert status == 302, status
        assert urlsplit(headers["location"]).path == "/accounts/code/verify/"
        assert len(gateway.received) == 1
        sent = gateway.received[0]
        assert sent["authorization"] == f"Bearer {SMS_TOKEN}"
        body = sent["body"]
        assert isinstance(body, dict) and body["phone"] == PHONE
        code = body["params"]["code"]  # type: ignore[index]
        assert str(code) in str(body["text"])

        status, headers = browser.post(
            "/accounts/code/verify/", {"csrfmiddlewaretoken": csrf, "code": str(code)}
        )
        assert status == 302, status
        assert headers["location"] == "/"
        found = probe_session(env, browser.cookies["sessionid"])
        assert found["phone"] == PHONE
        # Behind the proxy the resident is counted under their own address, not nginx's.
        assert found["code_ips"] == [CLIENT]
    finally:
        server.stop()


# --- the environment ------------------------------------------------------------------------------

READ_BACK = (
    "import django, json; django.setup(); from django.conf import settings as s;"
    "print(json.dumps({'sms': [s.SIFANG_SMS_URL, s.SIFANG_SMS_TOKEN],"
    "'proxies': s.SIFANG_PROXY_COUNT,"
    "'signin': s.SIFANG_SIGNIN_LIMITS, 'checkin': s.SIFANG_CHECKIN_LIMITS,"
    "'axes': [s.AXES_FAILURE_LIMIT, s.AXES_COOLOFF_TIME.total_seconds()],"
    "'tally': s.SIFANG_TALLY_INTERVAL, 'sender': s.SIFANG_OTP_SENDER}))"
)


def test_sign_in_settings_come_from_the_environment(tmp_path: Path) -> None:
    env = documented_environment(
        tmp_path, sms_url="https://sms.example.org/send", db_url="sqlite:///unused.sqlite3"
    )
    env.update(
        {
            "SIFANG_PROXY_COUNT": "2",
            "SIFANG_SIGNIN_IP_REQUESTS_PER_HOUR": "40",
            "SIFANG_SIGNIN_PHONE_FAILURES_PER_HOUR": "7",
            "SIFANG_CHECKIN_MEETING_FAILURES": "80",
            "SIFANG_LOGIN_FAILURE_LIMIT": "8",
            "SIFANG_LOGIN_COOLOFF_MINUTES": "30",
            "SIFANG_TALLY_INTERVAL": "0.5",
        }
    )
    out = subprocess.run(
        [sys.executable, "-c", READ_BACK], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr[-3000:]
    found = json.loads(out.stdout.strip().splitlines()[-1])
    assert found["sms"] == ["https://sms.example.org/send", SMS_TOKEN]
    assert found["proxies"] == 2
    assert found["signin"]["ip_requests_per_hour"] == 40
    assert found["signin"]["phone_failures_per_hour"] == 7
    assert found["checkin"]["meeting_failures"] == 80
    assert found["axes"] == [8, 1800.0]
    assert found["tally"] == 0.5
    assert found["sender"] == "deliberation.accounts.senders.HttpSmsSender"


def test_production_refuses_the_sms_sender_without_a_gateway(tmp_path: Path) -> None:
    env = documented_environment(tmp_path, sms_url="", db_url="sqlite:///unused.sqlite3")
    out = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert out.returncode != 0
    assert "SIFANG_SMS_URL" in out.stderr


def test_every_sifang_variable_read_is_documented() -> None:
    base = (ROOT / "config/settings/base.py").read_text()
    read = set(re.findall(r'env_\w+\(\s*"(SIFANG_\w+)"', base))
    read |= set(re.findall(r'os\.environ\.get\(\s*"(SIFANG_\w+)"', base))
    assert {"SIFANG_SMS_URL", "SIFANG_PROXY_COUNT", "SIFANG_TALLY_INTERVAL"} <= read
    documented = (ROOT / "README.md").read_text() + "".join(
        path.read_text() for path in sorted((ROOT / "docs").glob("*.md"))
    )
    assert sorted(name for name in read if name not in documented) == []
