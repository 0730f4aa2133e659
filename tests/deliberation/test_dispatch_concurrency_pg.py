"""Two staff of a unit claiming one dispatch at the same moment: the row lock lets one win and
the other is told who claimed it (PostgreSQL: threads, each with its own connection)."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings
from django.db import connection

from deliberation.dispatch import services as svc
from deliberation.exceptions import TransitionNotAllowed
from deliberation.models import Dispatch, DispatchEvent
from tests.factories.dispatch import dispatch_world, unit_staff

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
        reason="row locks and concurrent writers need PostgreSQL (set DATABASE_URL); "
        "SQLite serialises every writer, so this race cannot happen there",
    ),
]


def test_simultaneous_claims_one_wins() -> None:
    world = dispatch_world()
    people = [world.water_staff, world.water_staff2] + [unit_staff(world.water) for _ in range(4)]
    dispatch = svc.dispatch_create(proposal=world.proposal, unit=world.water, actor=world.committee)
    go = threading.Event()

    def claim(index: int) -> str:
        try:
            go.wait(timeout=30)
            try:
                svc.dispatch_claim(dispatch=dispatch, actor=people[index])
            except TransitionNotAllowed as refused:
                return refused.code
            return "won"
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(people)) as pool:
        futures = [pool.submit(claim, i) for i in range(len(people))]
        go.set()
        results = [f.result(timeout=60) for f in futures]
    assert results.count("won") == 1
    assert sorted(set(results) - {"won"}) == ["already_claimed"]
    winner = people[results.index("won")]
    assert Dispatch.objects.get(pk=dispatch.pk).claimed_by == winner
    assert DispatchEvent.objects.filter(dispatch=dispatch, kind="claimed").count() == 1
