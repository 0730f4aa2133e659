"""Vote changes and the proxy cap under real concurrency on PostgreSQL."""

import io

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from deliberation.exceptions import InvalidInput
from tests.factories.base import CommunityFactory
from tests.factories.votes import option_id, owners_estate, owners_poll, resident_poll, residents
from tests.votes.test_concurrency_pg import cast_job, run_at_once
from votes.electorate import electorate_index
from votes.models import Ballot, BallotVersion, ChangePolicy, ProxyAuthorisation
from votes.proxies.services import proxy_letter_register
from votes.selectors import poll_chain_problem

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
        reason="row locks and concurrent writers need PostgreSQL (set DATABASE_URL)",
    ),
]


def test_one_voter_changing_ten_times_at_once_under_once_policy():
    community = CommunityFactory()
    voter = residents(community, 1)[0]
    poll = resident_poll(community, change_policy=ChangePolicy.ONCE)
    jobs = [cast_job(poll, voter, {"choice": option_id(poll, i % 3)}) for i in range(10)]
    results = run_at_once(jobs)
    accepted = [r for r in results if not isinstance(r, str)]
    assert len(accepted) == 2  # the first ballot and the one change
    assert sorted(r for r in results if isinstance(r, str)) == ["change_limit"] * 8
    assert Ballot.objects.filter(poll=poll).count() == 1
    assert BallotVersion.objects.filter(poll=poll).count() == 1
    assert poll_chain_problem(poll) is None


def test_until_close_changes_at_once_keep_one_counted_ballot_and_a_valid_chain():
    community = CommunityFactory()
    voters = residents(community, 5)
    poll = resident_poll(community, change_policy=ChangePolicy.UNTIL_CLOSE)
    jobs = [cast_job(poll, v, {"choice": option_id(poll, i % 3)}) for i in range(4) for v in voters]
    results = run_at_once(jobs)
    assert not [r for r in results if isinstance(r, str)]
    assert Ballot.objects.filter(poll=poll).count() == 5
    assert BallotVersion.objects.filter(poll=poll).count() == 15
    assert poll_chain_problem(poll) is None


def test_registrations_racing_for_the_last_place_under_the_cap():
    estate = owners_estate(single_units=10)
    estate.community.proxy_cap = 3
    estate.community.save()
    poll = owners_poll(estate)
    index = electorate_index(poll)

    def job(owner):
        def run():
            out = io.BytesIO()
            Image.new("RGB", (20, 20)).save(out, format="PNG")
            try:
                return proxy_letter_register(
                    community=estate.community,
                    principal_key=index.user_keys[owner.pk][0],
                    holder_name="同一受托人",
                    holder_phone="13800001111",
                    scan=SimpleUploadedFile("s.png", out.getvalue()),
                    polls=[poll],
                    actor=estate.staff,
                ).pk
            except InvalidInput:
                return "refused"

        return run

    results = run_at_once([job(owner) for owner in estate.owners])
    assert results.count("refused") == len(estate.owners) - 3
    assert ProxyAuthorisation.objects.filter(poll=poll, holder_key="13800001111").count() == 3
