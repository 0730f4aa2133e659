"""Sign-in limits under real concurrency on PostgreSQL: threads, each with its own connection."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings
from django.db import connection

from deliberation.accounts.senders import ConsoleSender
from deliberation.accounts.services import SignInRefused, signin_code_request, signin_code_verify
from deliberation.models import SignInCode

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
        reason="row locks and concurrent writers need PostgreSQL (set DATABASE_URL); "
        "SQLite serialises every writer, so these races cannot happen there",
    ),
]

THREADS = 12
PHONE = "13912345678"


def run_at_once(job, count=THREADS):
    go = threading.Event()

    def run(index):
        try:
            go.wait(timeout=30)
            try:
                return job(index)
            except SignInRefused as refused:
                return refused.code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=count) as pool:
        futures = [pool.submit(run, i) for i in range(count)]
        go.set()
        return [f.result(timeout=60) for f in futures]


def test_simultaneous_requests_for_one_phone_send_one_code():
    ConsoleSender.outbox.clear()
    results = run_at_once(lambda i: signin_code_request(phone=PHONE, ip=f"10.0.0.{i}"))
    sent = [r for r in results if not isinstance(r, str)]
    assert len(sent) == 1
    assert sorted(set(r for r in results if isinstance(r, str))) == ["too_soon"]
    assert SignInCode.objects.filter(phone=PHONE).count() == 1


def test_simultaneous_requests_from_one_ip_respect_the_limit(settings):
    settings.SIFANG_SIGNIN_LIMITS = {"ip_requests_per_hour": 5}
    results = run_at_once(lambda i: signin_code_request(phone=f"139000000{i:02d}", ip="10.1.1.1"))
    assert sum(1 for r in results if not isinstance(r, str)) == 5
    assert results.count("ip_rate_limited") == THREADS - 5


def test_simultaneous_guesses_count_every_one():
    ConsoleSender.outbox.clear()
    signin_code_request(phone=PHONE, ip="10.0.0.1")
    code = ConsoleSender.outbox[-1].code
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    results = run_at_once(lambda i: signin_code_verify(phone=PHONE, code=wrong, ip="10.0.0.1"))
    # Five wrong tries kill the code; nobody gets a sixth try on it.
    assert results.count("wrong_code") == 4
    assert results.count("too_many_attempts") == THREADS - 4
    assert SignInCode.objects.get(phone=PHONE).attempts == 5
