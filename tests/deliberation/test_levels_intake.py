"""Issue 14 points 1, 2 and 6 in the domain: scope of the levels, a matter's grid from its
building or location, case numbers, box rounds (bad slips refused one by one), visit logs."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from deliberation import scope
from deliberation.exceptions import InvalidInput, NotPermitted
from deliberation.grids.services import (
    SlipInput,
    box_round_submit,
    visit_log_create,
    visit_log_to_proposal,
)
from deliberation.models import BoxRound, BoxSlip, CaseCounter, Channel, Proposal
from deliberation.proposals.selectors import proposal_timeline
from deliberation.proposals.services import case_number_next, proposal_locate, proposal_submit
from tests.factories.base import CommunityFactory, UserFactory
from tests.factories.levels import GridFactory, StreetFactory, coded_building, grid_worker
from tests.factories.levels import street_staff as make_street_staff
from tests.factories.proposals import resident, staff, submitted, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def estate():
    street = StreetFactory()
    community = CommunityFactory(slug="hexie", street=street)
    other = CommunityFactory(slug="other", street=StreetFactory())
    east, west = GridFactory(community=community, code="G1"), GridFactory(community=community)
    b3 = coded_building(community, east, "3")
    b12 = coded_building(community, west, "12")
    worker = grid_worker(east)
    return {
        "street": street,
        "community": community,
        "other": other,
        "east": east,
        "west": west,
        "b3": b3,
        "b12": b12,
        "worker": worker,
    }


# --- scope ---------------------------------------------------------------------------------------


def test_street_staff_reach_every_community_of_their_street_only(estate):
    sibling = CommunityFactory(street=estate["street"])
    user = make_street_staff(estate["street"])
    reach = set(scope.street_communities(user))
    assert reach == {estate["community"], sibling}
    assert scope.is_street_staff(user, estate["community"])
    assert not scope.is_street_staff(user, estate["other"])
    assert set(scope.supervising_communities(user)) == reach
    # Supervising is not sitting at the table: no party, no membership, no triage.
    assert scope.party_in(user, estate["community"]) is None
    assert not scope.is_committee_member(user, estate["community"])


def test_grid_worker_sees_their_grid_and_enters_box_and_visit_only(estate):
    from deliberation.proposals.rules import can_enter_on_behalf, can_triage_proposals

    worker, community = estate["worker"], estate["community"]
    assert list(scope.worker_grids(worker)) == [estate["east"]]
    assert scope.works_grid(worker, estate["east"])
    assert not scope.works_grid(worker, estate["west"])
    assert can_enter_on_behalf(worker, community, Channel.BOX)
    assert can_enter_on_behalf(worker, community, Channel.VISIT)
    assert not can_enter_on_behalf(worker, community, Channel.HOTLINE)
    assert not can_enter_on_behalf(worker, estate["other"], Channel.BOX)
    assert not can_triage_proposals(worker, community)


# --- a matter's place and case number ---------------------------------------------------------


def test_grid_comes_from_the_building_or_the_location_text(estate):
    community = estate["community"]
    by_text = submitted(community, location="12号楼2单元门口")
    assert by_text.building == estate["b12"] and by_text.grid == estate["west"]
    by_code = submitted(community, location="3栋楼下")
    assert by_code.building == estate["b3"] and by_code.grid == estate["east"]
    unknown = submitted(community, location="小区南门")
    assert unknown.building is None and unknown.grid is None


def test_case_numbers_are_per_community_and_month_and_unique(estate):
    community = estate["community"]
    month = timezone.localdate().strftime("%Y%m")
    first, second = submitted(community), submitted(community)
    assert first.case_number == f"hexie-{month}-0001"
    assert second.case_number == f"hexie-{month}-0002"
    elsewhere = submitted(estate["other"])
    assert elsewhere.case_number == f"other-{month}-0001"
    assert CaseCounter.objects.get(community=community, period=month).last == 2
    assert case_number_next(community) == f"hexie-{month}-0003"


def test_a_refused_intake_uses_no_case_number(estate):
    community = estate["community"]
    with pytest.raises(InvalidInput):
        proposal_submit(community=community, author=resident(community), title="", body="x")
    month = timezone.localdate().strftime("%Y%m")
    assert submitted(community).case_number == f"hexie-{month}-0001"


def test_staff_correct_the_place_and_the_timeline_says_so(estate):
    community = estate["community"]
    proposal = submitted(community, location="小区南门")
    committee = staff(community).user
    proposal_locate(proposal=proposal, actor=committee, building=estate["b3"], grid=None)
    proposal.refresh_from_db()
    assert proposal.building == estate["b3"] and proposal.grid == estate["east"]
    assert proposal.status == "submitted"
    last = proposal_timeline(proposal)[-1]
    assert last.label == "信息更正" and "3号楼" in last.note and estate["east"].name in last.note
    street_user = make_street_staff(estate["street"])
    proposal_locate(proposal=proposal, actor=street_user, building=None, grid=estate["west"])
    proposal.refresh_from_db()
    assert proposal.building is None and proposal.grid == estate["west"]


def test_location_correction_refused_to_workers_and_across_communities(estate):
    community = estate["community"]
    proposal = submitted(community)
    with pytest.raises(NotPermitted):
        proposal_locate(proposal=proposal, actor=estate["worker"], building=estate["b3"], grid=None)
    foreign = coded_building(estate["other"], None, "3")
    with pytest.raises(InvalidInput) as error:
        proposal_locate(proposal=proposal, actor=staff(community).user, building=foreign, grid=None)
    assert "building" in error.value.fields
    with pytest.raises(NotPermitted):
        proposal_locate(
            proposal=proposal,
            actor=make_street_staff(StreetFactory()),
            building=estate["b3"],
            grid=None,
        )


# --- box rounds ----------------------------------------------------------------------------------


def test_box_round_keeps_good_slips_and_refuses_unknown_building_codes(estate):
    community, worker = estate["community"], estate["worker"]
    member = resident(community)
    member.user.phone = "13912345678"
    member.user.save()
    result = box_round_submit(
        grid=estate["east"],
        actor=worker,
        opened_on=timezone.localdate(),
        slips=[
            SlipInput("3", "楼道灯坏了一个月", photo=upload(), name="王阿姨", phone="13912345678"),
            SlipInput("99", "99号楼门口堆放杂物"),
            SlipInput("12", "希望增加晾衣架"),
            SlipInput("3", ""),
            SlipInput("3", "电梯异响", phone="12345"),
        ],
    )
    assert [bool(s.proposal) for s in result.slips] == [True, False, True, False, False]
    assert "没有编号为“99”的楼栋" in result.slips[1].errors["building_code"][0]
    assert "text" in result.slips[3].errors and "phone" in result.slips[4].errors
    first, second = result.stored
    assert first.channel == Channel.BOX and first.entered_by == worker
    assert first.author == member and first.building == estate["b3"]
    assert first.grid == estate["east"] and first.photos.count() == 1 and first.case_number
    # A slip from another grid's building is still taken: its grid is the building's.
    assert second.grid == estate["west"]
    assert second.author.user.username.startswith("grid-intake-")
    assert BoxRound.objects.count() == 1 and BoxSlip.objects.count() == 2
    slip = BoxSlip.objects.get(proposal=first)
    assert (slip.contact_name, slip.contact_phone) == ("王阿姨", "13912345678")
    assert Proposal.objects.count() == 2


def test_box_round_with_only_bad_slips_stores_nothing(estate):
    result = box_round_submit(
        grid=estate["east"],
        actor=estate["worker"],
        opened_on=timezone.localdate(),
        slips=[SlipInput("88", "无此楼")],
    )
    assert result.round is None and not result.stored
    assert not Proposal.objects.exists() and not BoxRound.objects.exists()
    assert not CaseCounter.objects.filter(last__gt=0).exists()


def test_box_round_refused_outside_the_workers_grid_and_in_the_future(estate):
    with pytest.raises(NotPermitted):
        box_round_submit(
            grid=estate["west"],
            actor=estate["worker"],
            opened_on=timezone.localdate(),
            slips=[SlipInput("12", "x")],
        )
    with pytest.raises(NotPermitted):
        box_round_submit(
            grid=estate["east"],
            actor=UserFactory(),
            opened_on=timezone.localdate(),
            slips=[SlipInput("3", "x")],
        )
    with pytest.raises(InvalidInput):
        box_round_submit(
            grid=estate["east"],
            actor=estate["worker"],
            opened_on=timezone.localdate() + dt.timedelta(days=1),
            slips=[SlipInput("3", "x")],
        )


# --- visit logs ----------------------------------------------------------------------------------


def test_visit_entry_turns_into_a_matter_once(estate):
    entry = visit_log_create(
        grid=estate["east"],
        actor=estate["worker"],
        visited_on=timezone.localdate(),
        household="3号楼-201 李大爷",
        raised="下水道返味",
        follow_up="下周回访",
        building=estate["b3"],
    )
    proposal = visit_log_to_proposal(entry=entry, actor=estate["worker"])
    assert proposal.channel == Channel.VISIT and proposal.grid == estate["east"]
    assert proposal.building == estate["b3"] and proposal.case_number
    entry.refresh_from_db()
    assert entry.proposal == proposal
    with pytest.raises(InvalidInput):
        visit_log_to_proposal(entry=entry, actor=estate["worker"])
    assert Proposal.objects.count() == 1


def test_visit_entry_without_building_gets_the_workers_grid(estate):
    entry = visit_log_create(
        grid=estate["east"],
        actor=estate["worker"],
        visited_on=timezone.localdate(),
        household="李大爷家",
        raised="小区南门路灯不亮",
    )
    proposal = visit_log_to_proposal(entry=entry, actor=estate["worker"])
    assert proposal.building is None and proposal.grid == estate["east"]


def test_visit_log_refuses_bad_input_and_other_grids(estate):
    with pytest.raises(InvalidInput) as error:
        visit_log_create(
            grid=estate["east"],
            actor=estate["worker"],
            visited_on=timezone.localdate(),
            household="",
        )
    assert "household" in error.value.fields
    with pytest.raises(NotPermitted):
        visit_log_create(
            grid=estate["west"],
            actor=estate["worker"],
            visited_on=timezone.localdate(),
            household="12号楼-101",
        )


def test_street_role_never_enters_votes_meetings_or_matters():
    from deliberation.registry.rules import ROLE_PERMISSIONS, Role
    from deliberation.registry.services import roles_ensure

    group = roles_ensure()[Role.STREET]
    held = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}
    assert held == set(ROLE_PERMISSIONS[Role.STREET])
    assert not [p for p in held if p.startswith(("votes.", "meetings.")) or "proposal" in p]
