"""Issue 15 point 2: the public result of an owners' decision shows, per staff-entered ballot,
who entered it and who confirmed it (staff names and roles), never the owner's choice; units only
where the poll publishes its ballot list. A proxy entry against the written instruction is refused
when entered, not left waiting for a confirmation that could never count."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from deliberation.models import Party, Unit
from meetings.minutes.notices import vote_result_content
from tests.factories.base import MemberFactory, UserFactory
from tests.factories.campaign import campaign_estate, campaign_poll, photo
from tests.factories.votes import committee_staff, option_id
from votes import services as vote_services
from votes.campaign import selectors, services
from votes.electorate import electorate_index
from votes.exceptions import VoteRefused
from votes.models import BallotChannel, BallotEntry, EntryStatus
from votes.proxies.services import proxy_letter_register

pytestmark = pytest.mark.django_db


def units_of(estate) -> list[Unit]:  # type: ignore[no-untyped-def]
    return list(Unit.objects.filter(building__community=estate.community).order_by("pk"))


def staffed(estate, poll):  # type: ignore[no-untyped-def]
    """Entries of three channels: two confirmed by a second person, one still pending."""
    estate.staff.display_name = "陈丽华"
    estate.staff.save()
    second = committee_staff(estate.community)
    second.display_name = "黄海燕"
    second.save()
    canvasser = UserFactory(display_name="吴德明")
    MemberFactory(community=estate.community, user=canvasser, party=Party.RESIDENT)
    units = units_of(estate)
    services.canvasser_assign(
        poll=poll, user=canvasser, building=units[1].building, actor=estate.staff
    )
    chosen = {"choice": option_id(poll, 1)}  # 反对: must never show next to a unit
    made = [
        services.ballot_entry_submit(
            poll=poll,
            unit_id=units[0].pk,
            channel=BallotChannel.PAPER,
            choice=chosen,
            actor=estate.staff,
            evidence=photo(),
        ),
        services.ballot_entry_submit(
            poll=poll,
            unit_id=units[1].pk,
            channel=BallotChannel.DOOR,
            choice=chosen,
            actor=canvasser,
            evidence=photo(),
        ),
    ]
    for entry in made:
        services.ballot_entry_confirm(entry=entry, actor=second)
    services.ballot_entry_submit(
        poll=poll,
        unit_id=units[2].pk,
        channel=BallotChannel.PAPER,
        choice=chosen,
        actor=estate.staff,
        evidence=photo(),
    )
    return units, second


def section(html: str) -> str:
    found = re.search(r'<section class="staff-entries".*?</section>', html, re.S)
    assert found, "no staff-entries section"
    return found.group(0)


def test_result_page_shows_who_entered_and_who_confirmed_never_the_choice(client):
    """Owners' decisions are named (a secret one is refused at creation); the entries list
    still carries no choice: the declared ballot list is where named choices are published."""
    estate = campaign_estate(2, 3)
    poll = campaign_poll(estate, public_ballot_list=True)
    units, _second = staffed(estate, poll)
    page = reverse("poll-detail", args=[estate.community.slug, poll.pk])
    assert 'class="staff-entries"' not in client.get(page).content.decode()  # open: not yet
    vote_services.poll_close(poll=poll, actor=estate.staff)
    html = section(client.get(page).content.decode())
    assert re.search(r'data-channel="paper">[^<]*1</li>', html)
    assert re.search(r'data-channel="door">[^<]*1</li>', html)
    assert re.search(r'data-channel="proxy">[^<]*0</li>', html)
    assert "陈丽华(社区工作人员)" in html and "吴德明(扫楼人员)" in html
    assert html.count("黄海燕(社区工作人员)") == 2
    assert str(units[0]) in html and str(units[1]) in html
    assert str(units[2]) not in html  # pending: counts nowhere, listed nowhere
    assert "另有 1 张录入选票截止时未经复核,不计入结果。" in html
    for option in poll.options.all():
        assert option.label not in html


def test_units_stay_off_the_page_when_the_poll_publishes_aggregates_only(client):
    estate = campaign_estate(2, 3)
    poll = campaign_poll(estate)  # public_ballot_list off: the default
    units, _second = staffed(estate, poll)
    vote_services.poll_close(poll=poll, actor=estate.staff)
    page = reverse("poll-detail", args=[estate.community.slug, poll.pk])
    html = section(client.get(page).content.decode())
    assert "黄海燕(社区工作人员)" in html and "陈丽华(社区工作人员)" in html
    assert str(units[0]) not in html and str(units[1]) not in html
    assert "录入记录不列房号" in html


def test_result_notice_counts_entries_and_names_the_staff_not_the_units():
    estate = campaign_estate(2, 3)
    poll = campaign_poll(estate, public_ballot_list=True)
    units, _second = staffed(estate, poll)
    poll = vote_services.poll_close(poll=poll, actor=estate.staff)
    content = vote_result_content(poll)["staff_entries"]
    assert content["total"] == 2
    assert content["entered_by"] == ["吴德明(扫楼人员)", "陈丽华(社区工作人员)"]
    assert content["confirmed_by"] == ["黄海燕(社区工作人员)"]
    assert str(units[0]) not in str(content)


def test_public_entries_cost_two_queries_at_any_size(django_assert_max_num_queries):
    for per_building in (2, 8):
        estate = campaign_estate(2, per_building)
        poll = campaign_poll(estate)
        second = committee_staff(estate.community)
        for unit in units_of(estate):
            entry = services.ballot_entry_submit(
                poll=poll,
                unit_id=unit.pk,
                channel=BallotChannel.PAPER,
                choice={"choice": option_id(poll)},
                actor=estate.staff,
                evidence=photo(),
            )
            services.ballot_entry_confirm(entry=entry, actor=second)
        with django_assert_max_num_queries(2):
            found = selectors.public_entries(poll, show_units=True)
            assert len(found.rows) == 2 * per_building
            assert all(row.unit and row.entered_by and row.confirmed_by for row in found.rows)


def test_proxy_entry_against_the_written_instruction_is_refused_when_entered():
    estate = campaign_estate(1, 3)
    poll = campaign_poll(estate)
    principal = estate.owners[0]
    key = electorate_index(poll).user_keys[principal.pk][0]
    proxy_letter_register(
        community=estate.community,
        principal_key=key,
        holder_name="王受托",
        holder_phone="13800001111",
        scan=photo("letter.jpg"),
        polls=[poll],
        actor=estate.staff,
        instructions={poll.pk: {"choice": option_id(poll)}},
    )
    unit = units_of(estate)[0]

    def proxy(choice: int) -> BallotEntry:
        return services.ballot_entry_submit(
            poll=poll,
            unit_id=unit.pk,
            channel=BallotChannel.PROXY,
            choice={"choice": choice},
            actor=estate.staff,
            evidence=photo(),
            proxy_name="王受托",
            proxy_note="书面授权委托书",
        )

    with pytest.raises(VoteRefused) as refused:
        proxy(option_id(poll, 1))
    assert refused.value.code == "proxy_instruction"
    assert not BallotEntry.objects.filter(poll=poll).exists()
    entry = proxy(option_id(poll))
    done = services.ballot_entry_confirm(entry=entry, actor=committee_staff(estate.community))
    assert done.status == EntryStatus.CONFIRMED
