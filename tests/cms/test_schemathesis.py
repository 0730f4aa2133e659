"""No API operation answers a server error, whatever it is sent (issue 12, point 7).

Schemathesis reads the schema the app serves (/api/openapi.json) and calls Django's WSGI
application in this process, so the test's database and its fixtures are the ones the API sees.
Every operation gets valid and invalid inputs (a bounded, derandomized number of examples, so a
run is reproducible), sent by a signed-in committee staff member with a CSRF token, which lets
the writes reach their handlers. Runs in the normal suite (so in both .ci/run passes).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.middleware.csrf import get_token
from django.test import Client, RequestFactory
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from deliberation.models import Party
from deliberation.resolutions.services import resolution_create
from tests.factories.base import CommunityFactory
from tests.factories.proposals import published, resident, staff, submitted
from tests.factories.resolutions import DecidedProposalFactory
from tests.factories.votes import resident_poll, residents

EXAMPLES = 30


@pytest.fixture
def estate() -> dict[str, Any]:
    """A community with something behind each kind of path: proposals published and not, an open
    poll and a resolution. Returns the committee staff member's session and CSRF headers."""
    community = CommunityFactory(slug="fuzz")
    committee = staff(community)
    published(community)
    proposal = submitted(community, author=resident(community))
    residents(community, 2)
    poll = resident_poll(community)
    resolution = resolution_create(
        proposal=DecidedProposalFactory(community=community),
        decision="更换路灯",
        responsible_party=Party.PROPERTY,
        deadline=timezone.localdate() + dt.timedelta(days=7),
        actor=committee.user,
    )
    client = Client()
    client.force_login(committee.user)
    token = get_token(RequestFactory().get("/"))
    return {
        "community": community.slug,
        "ids": {"proposals": proposal.pk, "polls": poll.pk, "resolutions": resolution.pk},
        "cookies": {"sessionid": client.cookies["sessionid"].value, "csrftoken": token},
        "headers": {"X-CSRFToken": token},
    }


def known_objects(path: str, estate: dict[str, Any]) -> dict[str, Any]:
    """Path parameters naming the estate's objects, and its community for list filters."""
    router = path.split("/")[2]  # /api/<router>/...
    path_parameters = {
        name: estate["ids"][router] for name in ("pk", "poll_id") if "{" + name + "}" in path
    }
    fixed: dict[str, Any] = {}
    if path_parameters:
        fixed["path_parameters"] = path_parameters
    elif path.endswith("s/"):
        fixed["query"] = {"community": estate["community"]}
    return fixed


@pytest.fixture
def wsgi_app() -> Iterator[Any]:
    """Django's WSGI application, minus the per-request connection housekeeping: as in Django's
    test client, a request must not close the connection that holds the test's transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield get_wsgi_application()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.django_db
def test_no_api_operation_answers_a_server_error(estate: dict[str, Any], wsgi_app: Any) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", wsgi_app)
    failures: list[str] = []
    statuses: dict[str, set[int]] = {}
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for mode, known in (
            (GenerationMode.POSITIVE, False),
            (GenerationMode.NEGATIVE, False),
            (GenerationMode.POSITIVE, True),  # the estate's objects, random bodies and filters
        ):
            fixed = known_objects(operation.path, estate) if known else {}

            @settings(
                max_examples=EXAMPLES,
                derandomize=True,
                database=None,
                deadline=None,
                phases=[Phase.explicit, Phase.generate],  # no shrinking: report the first input
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy(generation_mode=mode, **fixed))
            def run(case: Any) -> None:
                response = case.call(cookies=estate["cookies"], headers=estate["headers"])
                statuses.setdefault(case.operation.label, set()).add(response.status_code)
                case.validate_response(response, checks=[not_a_server_error])

            try:
                run()
            except Exception as exc:
                label = f"{mode.value}{', known objects' if known else ''}"
                failures.append(f"{operation.label} ({label}): {exc}")
    assert operations >= 16  # every router is in the schema
    assert failures == [], "\n\n".join(failures)
    # The session and CSRF token work: writes get past authentication to their handlers.
    assert not any(codes <= {401, 403} for codes in statuses.values()), statuses
