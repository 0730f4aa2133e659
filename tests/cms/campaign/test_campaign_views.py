"""The campaign pages: committee staff in the admin, canvassers on their phone page."""

from __future__ import annotations

import subprocess

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from deliberation.models import Party, Unit
from tests.factories.base import MemberFactory, UserFactory
from tests.factories.campaign import campaign_estate, campaign_poll, photo
from tests.factories.votes import committee_staff, option_id
from votes import services as vote_services
from votes.campaign import services
from votes.models import Ballot, BallotChannel, BallotEntry, CampaignUnit, EntryStatus, PhoneCall

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def scene(wagtail_site):
    cache.clear()
    estate = campaign_estate(2, 3)
    poll = campaign_poll(estate)
    return estate, poll


def units_of(estate) -> list[Unit]:
    return list(Unit.objects.filter(building__community=estate.community).order_by("pk"))


def test_campaign_view_shows_both_marks_and_buildings(scene):
    estate, poll = scene
    for owner in estate.owners[:2]:
        vote_services.ballot_cast(poll=poll, voter=owner, choice={"choice": option_id(poll)})
    page = client_for(estate.staff).get(reverse("votes_campaign", args=[poll.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "参与表决人数 2/6" in text and "参与表决面积 160.00/480.00㎡" in text
    assert "还差 2 户达到三分之二" in text
    assert "1号楼" in text and "2号楼" in text
    data = client_for(estate.staff).get(reverse("votes_campaign_progress", args=[poll.pk])).json()
    assert (data["hp"], data["ht"], data["ap"], data["at"]) == (2, 6, "160.00", "480.00")
    assert [b["voted_owners"] for b in data["buildings"]] == [2, 0]
    assert "choice" not in str(data)


@pytest.mark.parametrize("who", ["resident", "other_committee", "canvasser"])
def test_campaign_admin_is_for_the_committee_only(scene, who):
    estate, poll = scene
    if who == "resident":
        user = estate.owners[0]
    elif who == "other_committee":
        user = committee_staff(campaign_estate(1, 1).community)
    else:
        user = UserFactory()
        MemberFactory(community=estate.community, user=user, party=Party.RESIDENT)
        services.canvasser_assign(
            poll=poll, user=user, building=units_of(estate)[0].building, actor=estate.staff
        )
    client = client_for(user)
    for name in ("votes_campaign", "votes_campaign_not_voted", "votes_campaign_entry"):
        answer = client.get(reverse(name, args=[poll.pk]))
        assert answer.status_code in (302, 403, 404), (name, answer.status_code)
        if answer.status_code == 302:
            assert "login" in answer["Location"] or answer["Location"].endswith("/admin/")


def test_views_cost_the_same_queries_at_two_sizes(wagtail_site, django_assert_max_num_queries):
    for size in (2, 15):
        estate = campaign_estate(3, size)
        poll = campaign_poll(estate)
        for owner in estate.owners[::2]:
            vote_services.ballot_cast(poll=poll, voter=owner, choice={"choice": option_id(poll)})
        client = client_for(estate.staff)
        client.get(reverse("votes_campaign", args=[poll.pk]))  # session and caches warm
        with django_assert_max_num_queries(45):
            assert client.get(reverse("votes_campaign", args=[poll.pk])).status_code == 200
        with django_assert_max_num_queries(20):
            url = reverse("votes_campaign_progress", args=[poll.pk])
            assert client.get(url).status_code == 200
        with django_assert_max_num_queries(45):
            url = reverse("votes_campaign_not_voted", args=[poll.pk]) + "?contacts=1"
            assert client.get(url).status_code == 200


def test_not_voted_list_per_building_never_shows_a_choice(scene):
    estate, poll = scene
    vote_services.ballot_cast(poll=poll, voter=estate.owners[0], choice={"choice": option_id(poll)})
    first = units_of(estate)[0]
    url = reverse("votes_campaign_not_voted", args=[poll.pk]) + f"?building={first.building_id}"
    text = client_for(estate.staff).get(url).content.decode()
    numbers = [u.number for u in units_of(estate)[:3]]
    assert numbers[0] not in text.split("未投票房屋", 1)[1]
    assert numbers[1] in text and numbers[2] in text
    assert "2号楼 · 未投票房屋" not in text
    for label in ("赞成", "反对", "弃权"):
        assert label not in text


def test_printed_ballots_one_page_per_unit_with_code(scene, tmp_path):
    estate, poll = scene
    building = units_of(estate)[0].building
    url = reverse("votes_campaign_ballots", args=[poll.pk]) + f"?building={building.pk}"
    answer = client_for(estate.staff).get(url)
    assert answer.status_code == 200 and answer["Content-Type"] == "application/pdf"
    pdf = tmp_path / "ballots.pdf"
    pdf.write_bytes(answer.content)
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    pages = next(line for line in info.splitlines() if line.startswith("Pages:"))
    assert pages.split()[1] == "3", pages
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    for row in CampaignUnit.objects.filter(poll=poll, building=building):
        assert row.code in text
    assert "三分之二以上" in text and poll.question in text
    no_building = client_for(estate.staff).get(reverse("votes_campaign_ballots", args=[poll.pk]))
    assert no_building.status_code == 400


def test_code_opens_the_unit_and_entry_waits_for_a_second_person(scene):
    estate, poll = scene
    row = CampaignUnit.objects.filter(poll=poll).order_by("unit_id").first()
    entry_url = reverse("votes_campaign_entry", args=[poll.pk])
    staff = client_for(estate.staff)
    typed = "-".join([row.code[:4], row.code[4:8], row.code[8:]]).lower()
    page = staff.get(entry_url, {"code": typed})
    assert page.status_code == 200 and row.unit.number in page.content.decode()
    assert staff.get(entry_url, {"code": "NOPE"}).status_code == 400
    bad = staff.post(
        entry_url,
        {"code": row.code, "channel": "paper", "choice": option_id(poll), "evidence": ""},
    )
    assert bad.status_code == 400 and "请上传签字选票" in bad.content.decode()
    assert not BallotEntry.objects.exists()
    done = staff.post(
        entry_url,
        {
            "code": row.code,
            "channel": "paper",
            "choice": option_id(poll),
            "evidence": photo(),
            "signer_name": "业主本人",
        },
    )
    assert done.status_code == 302
    entry = BallotEntry.objects.get()
    assert entry.status == EntryStatus.PENDING and not Ballot.objects.exists()
    entries_url = reverse("votes_campaign_entries", args=[poll.pk])
    own = staff.post(entries_url, {"entry": entry.pk, "action": "confirm"})
    assert own.status_code == 400 and "不能复核自己录入的选票" in own.content.decode()
    second = committee_staff(estate.community)
    listing = client_for(second).get(entries_url).content.decode()
    assert "核对无误,计入" in listing and "查看签字选票" in listing
    assert client_for(second).post(entries_url, {"entry": entry.pk}).status_code == 302
    entry.refresh_from_db()
    assert entry.status == EntryStatus.CONFIRMED and entry.decided_by == second
    history = client_for(second).get(entries_url, {"status": "confirmed"}).content.decode()
    assert str(estate.staff) in history and str(second) in history and entry.receipt in history
    # The evidence is served to the committee only.
    assert client_for(second).get(entry.evidence.url).status_code == 200
    assert client_for(estate.owners[0]).get(entry.evidence.url).status_code == 404
    assert Client().get(entry.evidence.url).status_code == 404


def test_reject_from_the_list_needs_a_reason(scene):
    estate, poll = scene
    entry = services.ballot_entry_submit(
        poll=poll,
        unit_id=units_of(estate)[0].pk,
        channel=BallotChannel.PAPER,
        choice={"choice": option_id(poll)},
        actor=estate.staff,
        evidence=photo(),
    )
    url = reverse("votes_campaign_entries", args=[poll.pk])
    client = client_for(committee_staff(estate.community))
    missing = client.post(url, {"entry": entry.pk, "action": "reject", "reason": ""})
    assert missing.status_code == 400 and "请填写退回原因" in missing.content.decode()
    assert (
        client.post(url, {"entry": entry.pk, "action": "reject", "reason": "房号不符"}).status_code
        == 302
    )
    entry.refresh_from_db()
    assert entry.status == EntryStatus.REJECTED and entry.reject_reason == "房号不符"


def test_phone_vote_form_requires_the_read_back(scene):
    estate, poll = scene
    unit = units_of(estate)[1]
    url = reverse("votes_campaign_entry", args=[poll.pk])
    staff = client_for(estate.staff)
    page = staff.get(url, {"unit": unit.pk, "channel": "phone"}).content.decode()
    assert "已向业主复述所选选项" in page and 'name="read_back"' in page
    base = {"unit": unit.pk, "channel": "phone", "choice": option_id(poll), "number": "13900000000"}
    refused = staff.post(url, base)
    assert refused.status_code == 400 and "复述" in refused.content.decode()
    assert staff.post(url, {**base, "read_back": "1", "duration_minutes": "3"}).status_code == 302
    call = PhoneCall.objects.get()
    assert call.entry.status == EntryStatus.PENDING and call.duration_minutes == 3
    no_answer = {"unit": units_of(estate)[2].pk, "channel": "phone", "number": "139"}
    assert staff.post(url, {**no_answer, "outcome": "no_answer"}).status_code == 302
    assert PhoneCall.objects.count() == 2 and BallotEntry.objects.count() == 1


def test_canvasser_records_door_ballots_for_their_building_only(scene):
    estate, poll = scene
    canvasser = UserFactory()
    MemberFactory(community=estate.community, user=canvasser, party=Party.RESIDENT)
    units = units_of(estate)
    mine, other = units[0], units[3]
    services.canvasser_assign(poll=poll, user=canvasser, building=mine.building, actor=estate.staff)
    client = client_for(canvasser)
    url = reverse("poll-canvass", args=[estate.community.slug, poll.pk])
    page = client.get(url).content.decode()
    assert mine.number in page and other.building.name not in page
    refused = client.post(url, {"unit": other.pk, "choice": option_id(poll), "evidence": photo()})
    assert refused.status_code == 400 and not BallotEntry.objects.exists()
    done = client.post(url, {"unit": mine.pk, "choice": option_id(poll), "evidence": photo()})
    assert done.status_code == 302
    entry = BallotEntry.objects.get()
    assert (entry.channel, entry.entered_by, entry.status) == (
        BallotChannel.DOOR,
        canvasser,
        EntryStatus.PENDING,
    )
    stranger = UserFactory()
    assert client_for(stranger).get(url).status_code == 403
    assert Client().get(url).status_code in (302, 403)


def test_canvassers_are_assigned_by_the_committee(scene):
    estate, poll = scene
    person = UserFactory(phone="13700000001")
    MemberFactory(community=estate.community, user=person, party=Party.RESIDENT)
    url = reverse("votes_campaign_canvassers", args=[poll.pk])
    building = units_of(estate)[0].building
    client = client_for(estate.staff)
    assert client.post(url, {"who": "13700000001", "buildings": []}).status_code == 400
    assert client.post(url, {"who": "nobody", "buildings": [building.pk]}).status_code == 400
    assert client.post(url, {"who": "13700000001", "buildings": [building.pk]}).status_code == 302
    assert poll.canvassers.get().user == person


def test_progress_json_is_computed_once_per_short_window(scene):
    estate, poll = scene
    url = reverse("votes_campaign_progress", args=[poll.pk])
    client = client_for(estate.staff)
    assert client.get(url).json()["hp"] == 0
    vote_services.ballot_cast(poll=poll, voter=estate.owners[0], choice={"choice": option_id(poll)})
    assert client.get(url).json()["hp"] == 0  # within the window: the numbers computed before
    cache.clear()  # the window has passed
    assert client.get(url).json()["hp"] == 1


def test_page_and_numbers_share_one_computation_per_window(scene, django_assert_max_num_queries):
    """300 staff watching one campaign: the page and its numbers read one shared computation
    (per poll, per short window), so a view in the window runs no aggregation of its own."""
    estate, poll = scene
    client = client_for(estate.staff)
    page = reverse("votes_campaign", args=[poll.pk])
    numbers = reverse("votes_campaign_progress", args=[poll.pk])
    assert "参与表决人数 0/6" in client.get(page).content.decode()
    vote_services.ballot_cast(poll=poll, voter=estate.owners[0], choice={"choice": option_id(poll)})
    with django_assert_max_num_queries(12):
        assert client.get(numbers).json()["hp"] == 0  # within the window: the page's numbers
    cache.clear()  # the window has passed
    assert client.get(numbers).json()["hp"] == 1
    assert "参与表决人数 1/6" in client.get(page).content.decode()


def test_a_stale_copy_is_served_while_another_request_recomputes(scene, monkeypatch):
    """Past the window one request recomputes; the others get the copy they have meanwhile
    (a thundering herd of watchers does not run the aggregation once each)."""
    from votes.campaign import selectors

    estate, poll = scene
    first, _ = selectors.campaign_progress_shared(poll)
    vote_services.ballot_cast(poll=poll, voter=estate.owners[0], choice={"choice": option_id(poll)})
    monkeypatch.setattr(selectors, "PROGRESS_FRESH_SECONDS", 0)
    opened = poll.opened_at.timestamp()
    lock = f"campaign:progress-shared:{poll.pk}:{opened}:lock"
    assert cache.add(lock, 1, 30)  # another request is recomputing
    held, _ = selectors.campaign_progress_shared(poll)
    assert held.hp == first.hp == 0
    cache.delete(lock)
    fresh, _ = selectors.campaign_progress_shared(poll)
    assert fresh.hp == 1
