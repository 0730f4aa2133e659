"""The demo roster goes through the roster importer; one account per party; idempotent."""

import pytest

from deliberation.models import Member, Ownership, Party, Unit, User
from deliberation.registry.rules import Role
from deliberation.scope import can_access_admin
from demo.registry import DEMO_PASSWORD, STAFF, roster_rows, seed_community

pytestmark = pytest.mark.django_db


def counts():
    return (
        Unit.objects.count(),
        User.objects.count(),
        Member.objects.count(),
        Ownership.objects.count(),
    )


def test_seed_community_imports_the_roster_and_is_idempotent():
    community = seed_community()
    first = counts()
    seed_community()
    assert counts() == first
    rows = roster_rows()
    assert Unit.objects.filter(building__community=community).count() == len(
        {(r["building"], r["unit"]) for r in rows}
    )
    assert Unit.objects.filter(unsold=True).exists()
    # Co-owned units and people with several units are in the demo.
    assert any(u.ownerships.count() > 1 for u in Unit.objects.all())
    assert any(m.ownerships.count() > 1 for m in Member.objects.filter(party=Party.RESIDENT))


def test_one_account_per_party_with_its_role(client):
    community = seed_community()
    parties = {
        m.party for m in Member.objects.filter(user__username__in=[s.username for s in STAFF])
    }
    assert parties == {Party.RESIDENT, Party.PROPERTY, Party.COMMITTEE, Party.DEPARTMENT}
    committee = User.objects.get(username="committee")
    assert committee.is_staff and committee.groups.filter(name=Role.FACILITATOR).exists()
    assert can_access_admin(committee)
    resident = User.objects.get(username="resident-rep")
    assert not resident.is_staff and not can_access_admin(resident)
    assert resident.phone  # can also sign in with a one-time code
    assert client.login(username="property", password=DEMO_PASSWORD)
    assert client.get("/admin/").status_code == 200
    assert community.members.count() == Member.objects.count()
