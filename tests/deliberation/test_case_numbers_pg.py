"""Case numbers under real concurrency on PostgreSQL: simultaneous intakes in one community and
month get distinct, gap-free numbers (the month's counter row is created once and locked)."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings
from django.db import connection, transaction

from deliberation.proposals.services import case_number_next
from tests.factories.base import CommunityFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
        reason="concurrent writers need PostgreSQL (set DATABASE_URL); SQLite serialises them",
    ),
]

THREADS = 10


def test_simultaneous_intakes_get_distinct_gap_free_numbers():
    community = CommunityFactory(slug="race")
    go = threading.Event()

    def take(_index: int) -> str:
        try:
            go.wait(timeout=30)
            with transaction.atomic():
                return case_number_next(community)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        futures = [pool.submit(take, i) for i in range(THREADS)]
        go.set()
        numbers = [f.result(timeout=60) for f in futures]
    assert len(set(numbers)) == THREADS
    assert sorted(int(n.rsplit("-", 1)[1]) for n in numbers) == list(range(1, THREADS + 1))
