"""The reconnect schedule of a live page (``meetings/reconnect.py`` and the page's
``cms/static/cms/js/backoff.js``): exponential, capped, fully jittered, and the same in both."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from meetings.reconnect import (
    RECONNECT_BASE_S,
    RECONNECT_CAP_S,
    reconnect_ceiling,
    reconnect_delay,
)

BACKOFF_JS = Path(__file__).resolve().parents[2] / "cms" / "static" / "cms" / "js" / "backoff.js"


def test_the_ceiling_doubles_from_the_base_up_to_the_cap() -> None:
    ceilings = [reconnect_ceiling(a) for a in range(8)]
    assert ceilings[:4] == [0.5, 1.0, 2.0, 4.0]
    assert ceilings[4:] == [RECONNECT_CAP_S] * 4
    # Far out it stays at the cap (no overflow, no giving up).
    assert reconnect_ceiling(10_000) == RECONNECT_CAP_S
    with pytest.raises(ValueError):
        reconnect_ceiling(-1)


def test_every_delay_lies_between_zero_and_its_ceiling() -> None:
    rng = random.Random(7)
    for attempt in range(40):
        for _ in range(50):
            delay = reconnect_delay(attempt, random=rng.random)
            assert 0 <= delay < reconnect_ceiling(attempt)


def test_delays_are_fully_jittered_not_lockstep() -> None:
    # A thousand clients dropped at once, each with its own generator: their first retries
    # spread over the whole first window instead of landing together.
    first = sorted(reconnect_delay(0, random=random.Random(i).random) for i in range(1000))
    assert first[0] < 0.05 * RECONNECT_BASE_S and first[-1] > 0.95 * RECONNECT_BASE_S
    quarters = [sum(1 for d in first if q * 0.125 <= d < (q + 1) * 0.125) for q in range(4)]
    assert all(180 <= count <= 320 for count in quarters), quarters
    # Later retries are capped, still jittered over [0, cap).
    late = [reconnect_delay(12, random=random.Random(i).random) for i in range(1000)]
    assert max(late) < RECONNECT_CAP_S and min(late) < 0.1 * RECONNECT_CAP_S


def test_the_same_random_numbers_give_the_same_schedule() -> None:
    one = [reconnect_delay(a, random=random.Random(3).random) for a in range(10)]
    two = [reconnect_delay(a, random=random.Random(3).random) for a in range(10)]
    assert one == two


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_the_page_waits_exactly_as_the_python_schedule() -> None:
    rng = random.Random(2026)
    cases = [(attempt, rng.random()) for attempt in range(12) for _ in range(3)]
    script = (
        f"const b = require({json.dumps(str(BACKOFF_JS))});"
        f"const cases = {json.dumps(cases)};"
        "console.log(JSON.stringify({base: b.BASE_MS, cap: b.CAP_MS,"
        " delays: cases.map(([a, r]) => b.delay(a, () => r))}));"
    )
    out = json.loads(
        subprocess.run(
            ["node", "-e", script], capture_output=True, text=True, check=True, timeout=30
        ).stdout
    )
    assert out["base"] == RECONNECT_BASE_S * 1000 and out["cap"] == RECONNECT_CAP_S * 1000
    expected = [1000 * reconnect_delay(a, random=lambda r=r: r) for a, r in cases]
    assert out["delays"] == pytest.approx(expected, rel=1e-12)


@pytest.mark.django_db
def test_every_live_page_loads_the_schedule_with_the_python_constants() -> None:
    from django.test import Client
    from django.urls import reverse

    from tests.factories.meetings import meeting_scene

    scene = meeting_scene(open_meeting=True)
    client = Client()
    client.force_login(scene.facilitator)
    for name in ("meeting-live", "meeting-projector", "meeting-console"):
        page = client.get(reverse(name, args=[scene.community.slug, scene.meeting.pk]))
        body = page.content.decode()
        assert page.status_code == 200, name
        assert f'data-backoff-base-ms="{round(RECONNECT_BASE_S * 1000)}"' in body, name
        assert f'data-backoff-cap-ms="{round(RECONNECT_CAP_S * 1000)}"' in body, name
        # The schedule is loaded before the live script that uses it (both deferred).
        assert body.index("cms/js/backoff.js") < body.index("cms/js/live.js"), name
