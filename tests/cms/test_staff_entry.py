"""Staff entry fit for a busy office: paper-ballot lookup, entering a matter for a resident,
triage with photos and the resident's category, one review queue."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cms.admin.proposals import ProposalsToModeratePanel
from deliberation.models import Category, Channel, Party, Proposal, ProposalStatus
from deliberation.proposals.services import proposal_reject
from tests.factories.base import (
    BuildingFactory,
    CommunityFactory,
    MemberFactory,
    OwnershipFactory,
    UnitFactory,
)
from tests.factories.proposals import resident, staff, submitted, upload
from tests.factories.votes import (
    committee_staff,
    option_id,
    owners_estate,
    owners_poll,
    resident_poll,
)
from votes import services as vote_services
from votes.models import Ballot
from votes.selectors import paper_voter_search

pytestmark = pytest.mark.django_db


def _key(poll, user) -> str:
    return next(v["key"] for v in poll.frozen_electorate if user.pk in v["user_ids"])


# --- paper ballots ---------------------------------------------------------------------------


def test_paper_lookup_finds_by_name_and_phone(client):
    """The direct paper screen serves deliberative polls (owners' decisions go to the four-eyes
    campaign entry, tests/votes/test_results_pages.py)."""
    estate = owners_estate(single_units=3)
    owner = estate.owners[0]
    owner.display_name = "张秀英"
    owner.phone = "13912345678"
    owner.save()
    poll = resident_poll(estate.community, actor=estate.staff)
    officer = committee_staff(estate.community)
    client.force_login(officer)
    url = reverse("poll-paper", args=[estate.community.slug, poll.pk])
    for query in ("张秀英", "秀英", "5678"):
        html = client.get(url, {"q": query}).content.decode()
        assert "<strong>张秀英</strong>" in html, query
        assert f'value="{_key(poll, owner)}" required checked>' in html, query
    nobody = client.get(url, {"q": "没有这个人"}).content.decode()
    assert "没有找到" in nobody


def test_owner_lookup_finds_units_names_phones_and_co_owners():
    """The voter search by unit, name or phone, and a co-owned unit with both owners, on an
    owners' poll (the search itself; entry there is the campaign's, by ballot code)."""
    estate = owners_estate(single_units=3)
    owner = estate.owners[0]
    owner.display_name = "张秀英"
    owner.phone = "13912345678"
    owner.save()
    poll = owners_poll(estate)
    unit = next(v["label"] for v in poll.frozen_electorate if owner.pk in v["user_ids"])
    for query in ("张秀英", "秀英", "5678", unit, unit.replace("-", " - ")):
        hits = paper_voter_search(poll, query)
        assert [hit.key for hit in hits] == [_key(poll, owner)], query
        assert "张秀英" in hits[0].names, query
    co = paper_voter_search(poll, str(estate.co_owners[1]))
    assert len(co) == 1 and str(estate.co_owners[0]) in co[0].names
    assert paper_voter_search(poll, "没有这个人") == []


def test_paper_lookup_says_already_voted_not_ineligible(client):
    estate = owners_estate(single_units=2)
    poll = resident_poll(estate.community, actor=estate.staff)
    officer = committee_staff(estate.community)
    owner = estate.owners[0]
    vote_services.ballot_cast(poll=poll, voter=owner, choice={"choice": option_id(poll)})
    client.force_login(officer)
    url = reverse("poll-paper", args=[estate.community.slug, poll.pk])
    html = client.get(url, {"q": str(owner)}).content.decode()
    assert "已经投过票,不能再录入" in html
    assert "已投票(网上)" in html
    assert "您不在本次表决的范围内" not in html
    # Entering it anyway (a stale screen): refused as already voted, nothing stored twice.
    again = client.post(
        url,
        {"q": str(owner), "voter_key": _key(poll, owner), "choice_number": "1", "channel": "paper"},
    )
    assert again.status_code == 400
    assert "已经投过票" in again.content.decode()
    assert "不在本次表决的范围内" not in again.content.decode()
    assert Ballot.objects.filter(poll=poll).count() == 1
    # No voter picked: a clear request, not "not eligible".
    blank = client.post(url, {"q": "", "choice_number": "1", "channel": "paper"})
    assert blank.status_code == 400 and "请先选择投票人" in blank.content.decode()


def test_paper_lookup_costs_three_queries_at_any_size(django_assert_max_num_queries):
    small = owners_estate(single_units=3)
    large = owners_estate(single_units=40)
    for estate in (small, large):
        poll = owners_poll(estate)
        with django_assert_max_num_queries(3):
            hits = paper_voter_search(poll, "号楼")
        assert hits and all(hit.names or hit.key.startswith("d") for hit in hits)


# --- entering a matter for a resident ------------------------------------------------------


def _form(**behalf) -> dict[str, str]:
    data = {
        "title": "楼道堆物",
        "body": "三楼楼道堆满纸箱。",
        "category": Category.SAFETY,
        "location": "",
        "behalf-on_behalf": "on",
        "behalf-channel": Channel.VISIT,
    }
    data.update({f"behalf-{k}": v for k, v in behalf.items()})
    return data


def test_staff_enter_a_matter_for_an_elder_without_a_phone_by_name_or_unit(client):
    community = CommunityFactory()
    officer = staff(community)
    building = BuildingFactory(community=community, name="3号楼")
    elder = resident(community, user__display_name="王桂兰", user__phone=None)
    OwnershipFactory(unit=UnitFactory(building=building, number="201"), member=elder)
    client.force_login(officer.user)
    url = reverse("proposal-new", args=[community.slug])
    for query in ("王桂兰", "3号楼-201", "3号楼201"):
        response = client.post(url, _form(resident=query))
        assert response.status_code == 302, (query, response.content.decode()[:2000])
    made = Proposal.objects.filter(community=community)
    assert made.count() == 3
    assert {p.author_id for p in made} == {elder.pk}
    assert {p.entered_by_id for p in made} == {officer.user_id}


def test_several_matches_come_back_to_pick_one_and_nothing_is_lost(client):
    community = CommunityFactory()
    officer = staff(community)
    first = resident(community, user__display_name="李建国")
    second = resident(community, user__display_name="李建华")
    MemberFactory(community=community, party=Party.PROPERTY, user__display_name="李建设")
    client.force_login(officer.user)
    url = reverse("proposal-new", args=[community.slug])
    response = client.post(url, _form(resident="李建"))
    html = response.content.decode()
    assert response.status_code == 400
    assert "请从找到的居民中选择一位" in html
    assert "李建国" in html and "李建华" in html and "李建设" not in html
    assert "楼道堆物" in html  # the typed matter is kept
    picked = client.post(url, _form(resident="李建", resident_member=str(second.pk)))
    assert picked.status_code == 302
    assert Proposal.objects.get(community=community).author_id == second.pk
    assert first.pk != second.pk
    unknown = client.post(url, _form(resident="查无此人"))
    assert unknown.status_code == 400 and "没有找到这位居民" in unknown.content.decode()


def test_resident_form_has_no_preselected_category(client):
    community = CommunityFactory()
    client.force_login(resident(community).user)
    html = client.get(reverse("proposal-new", args=[community.slug])).content.decode()
    assert 'value="parking" selected' not in html
    assert '<option value="" selected>请选择类别</option>' in html


# --- triage --------------------------------------------------------------------------------


def test_triage_shows_photos_and_starts_from_the_residents_category(client):
    community = CommunityFactory()
    officer = staff(community)
    proposal = submitted(community, category=Category.GREENING, photos=[upload()])
    client.force_login(officer.user)
    url = reverse("deliberation_triage_proposal", args=[proposal.pk])
    html = client.get(url).content.decode()
    photo = proposal.photos.get()
    assert photo.image.url in html
    assert '<option value="greening" selected>' in html
    assert client.get(photo.image.url).status_code == 200


def test_accept_publishes_in_the_same_step(client):
    community = CommunityFactory()
    officer = staff(community)
    proposal = submitted(community)
    client.force_login(officer.user)
    url = reverse("deliberation_triage_proposal", args=[proposal.pk])
    response = client.post(
        url,
        {
            "action": "accept",
            "accept-category": proposal.category,
            "accept-responsible_party": Party.PROPERTY,
            "accept-publish": "on",
        },
    )
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.ACCEPTED and proposal.live
    assert proposal.current_workflow_task_state is None


def test_review_queue_drops_settled_matters_and_other_communities(rf, client):
    from django.template import Context

    community = CommunityFactory()
    other = CommunityFactory()
    officer = staff(community)
    waiting = submitted(community, title="等待审核")
    rejected = submitted(community, title="已不予受理")
    proposal_reject(proposal=rejected, actor=officer.user, reason="重复")
    submitted(other, title="别的社区")
    request = rf.get("/admin/")
    request.user = officer.user
    context = ProposalsToModeratePanel().get_context_data(
        Context({"request": request, "csrf_token": "x"})
    )
    titles = {state["obj"].title for state in context["states"]}
    assert titles == {waiting.title}
    client.force_login(officer.user)
    dashboard = client.get(reverse("wagtailadmin_home")).content.decode()
    assert "等待审核" in dashboard and "已不予受理" not in dashboard and "别的社区" not in dashboard
