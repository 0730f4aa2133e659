"""Staff entries with evidence and four eyes; phone votes; canvassers; progress; alerts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from deliberation.exceptions import InvalidInput
from deliberation.models import Notification, Unit
from tests.factories.base import UserFactory
from tests.factories.campaign import campaign_estate, campaign_poll, pdf_scan, photo
from tests.factories.votes import committee_staff, option_id
from votes import services as vote_services
from votes.campaign import rules, selectors, services
from votes.campaign.services import CallRecord, FourEyes
from votes.exceptions import VoteRefused
from votes.models import (
    Ballot,
    BallotChannel,
    BallotEntry,
    CampaignRules,
    CampaignUnit,
    EntryStatus,
    Participation,
    PhoneCall,
)

pytestmark = pytest.mark.django_db


def units_of(estate) -> list[Unit]:
    return list(Unit.objects.filter(building__community=estate.community).order_by("pk"))


def paper(poll, unit, actor, **kwargs):
    kwargs.setdefault("evidence", photo())
    return services.ballot_entry_submit(
        poll=poll,
        unit_id=unit.pk,
        channel=kwargs.pop("channel", BallotChannel.PAPER),
        choice=kwargs.pop("choice", {"choice": option_id(poll)}),
        actor=actor,
        **kwargs,
    )


def test_units_written_once_with_unique_codes():
    estate = campaign_estate(2, 3)
    poll = campaign_poll(estate)
    assert services.campaign_units_ensure(poll=poll) == 0
    codes = list(CampaignUnit.objects.filter(poll=poll).values_list("code", flat=True))
    assert len(codes) == 6 and len(set(codes)) == 6
    assert all(len(c) == 12 and c.isalnum() for c in codes)


def test_entry_counts_only_after_a_second_person_confirms():
    estate = campaign_estate(1, 3)
    poll = campaign_poll(estate)
    second = committee_staff(estate.community)
    unit = units_of(estate)[0]
    entry = paper(poll, unit, estate.staff, signer_name="张三", signer_id="110101195001011234")
    assert entry.status == EntryStatus.PENDING
    assert not Ballot.objects.filter(poll=poll).exists()
    assert selectors.campaign_progress(poll).hp == 0
    assert selectors.campaign_progress(poll).pending == 1
    with pytest.raises(FourEyes):
        services.ballot_entry_confirm(entry=entry, actor=estate.staff)
    assert not Ballot.objects.filter(poll=poll).exists()
    done = services.ballot_entry_confirm(entry=entry, actor=second)
    assert done.status == EntryStatus.CONFIRMED and done.decided_by == second
    ballot = Ballot.objects.get(poll=poll)
    assert ballot.entered_by == estate.staff and ballot.channel == BallotChannel.PAPER
    assert done.receipt == ballot.receipt
    assert done.evidence_sha256 and done.evidence.name.startswith("campaign-evidence/")
    assert done.signer_id_tail == "1234" and "1101" not in done.signer_id_hash
    progress = selectors.campaign_progress(poll)
    assert (progress.hp, progress.ap, progress.pending) == (1, Decimal("80.00"), 0)
    # The owner is told, with the receipt (their channel: SMS, letter or inbox).
    note = Notification.objects.get(recipient=estate.owners[0], subject_key__contains=":entry:")
    assert ballot.receipt in note.body


def test_confirmed_twice_is_refused_and_database_forbids_self_confirmation():
    estate = campaign_estate(1, 2)
    poll = campaign_poll(estate)
    entry = paper(poll, units_of(estate)[0], estate.staff)
    services.ballot_entry_confirm(entry=entry, actor=committee_staff(estate.community))
    with pytest.raises(VoteRefused):
        services.ballot_entry_confirm(entry=entry, actor=committee_staff(estate.community))
    from django.db import IntegrityError, transaction

    other = paper(poll, units_of(estate)[1], estate.staff)
    with pytest.raises(IntegrityError), transaction.atomic():
        BallotEntry.objects.filter(pk=other.pk).update(
            status=EntryStatus.CONFIRMED, decided_by=estate.staff
        )


def test_reject_needs_a_reason_and_never_counts():
    estate = campaign_estate(1, 2)
    poll = campaign_poll(estate)
    entry = paper(poll, units_of(estate)[0], estate.staff)
    with pytest.raises(InvalidInput):
        services.ballot_entry_reject(entry=entry, actor=estate.staff, reason=" ")
    done = services.ballot_entry_reject(entry=entry, actor=estate.staff, reason="签字不清")
    assert done.status == EntryStatus.REJECTED and done.reject_reason == "签字不清"
    assert not Participation.objects.filter(poll=poll).exists()
    # The unit may be entered again after a rejection.
    assert paper(poll, units_of(estate)[0], estate.staff).status == EntryStatus.PENDING


def test_one_pending_entry_per_owner_and_none_after_voting():
    estate = campaign_estate(1, 2)
    poll = campaign_poll(estate)
    unit = units_of(estate)[0]
    paper(poll, unit, estate.staff)
    with pytest.raises(VoteRefused) as info:
        paper(poll, unit, estate.staff)
    assert info.value.code == "already_voted"
    vote_services.ballot_cast(poll=poll, voter=estate.owners[1], choice={"choice": option_id(poll)})
    with pytest.raises(VoteRefused) as info:
        paper(poll, units_of(estate)[1], estate.staff)
    assert info.value.code == "already_voted"


def test_owner_who_voted_online_meanwhile_rejects_the_pending_entry():
    estate = campaign_estate(1, 2)
    poll = campaign_poll(estate)
    entry = paper(poll, units_of(estate)[0], estate.staff)
    vote_services.ballot_cast(poll=poll, voter=estate.owners[0], choice={"choice": option_id(poll)})
    done = services.ballot_entry_confirm(entry=entry, actor=committee_staff(estate.community))
    assert done.status == EntryStatus.REJECTED
    assert Ballot.objects.filter(poll=poll).count() == 1  # nothing counted twice


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (None, "请上传"),
        (SimpleUploadedFile("a.jpg", b"", content_type="image/jpeg"), "空的"),
        (SimpleUploadedFile("a.jpg", b"not an image", content_type="image/jpeg"), "只接受"),
        (SimpleUploadedFile("a.pdf", b"%PDF-1.4 cut", content_type="application/pdf"), "不完整"),
    ],
)
def test_evidence_is_required_and_checked(upload, message):
    estate = campaign_estate(1, 1)
    poll = campaign_poll(estate)
    with pytest.raises(InvalidInput) as info:
        paper(poll, units_of(estate)[0], estate.staff, evidence=upload)
    assert message in info.value.fields["evidence"][0]
    assert not BallotEntry.objects.exists()


def test_evidence_size_limit(settings):
    settings.SIFANG_CAMPAIGN_EVIDENCE_MAX_BYTES = 100
    estate = campaign_estate(1, 1)
    poll = campaign_poll(estate)
    with pytest.raises(InvalidInput) as info:
        paper(poll, units_of(estate)[0], estate.staff, evidence=photo(size=(200, 200)))
    assert "MB" in info.value.fields["evidence"][0]


def test_pdf_scan_is_accepted_for_a_proxy_ballot_which_needs_the_holder():
    estate = campaign_estate(1, 1)
    poll = campaign_poll(estate)
    unit = units_of(estate)[0]
    with pytest.raises(InvalidInput) as info:
        paper(poll, unit, estate.staff, channel=BallotChannel.PROXY, evidence=pdf_scan())
    assert set(info.value.fields) == {"proxy_name", "proxy_note"}
    entry = paper(
        poll,
        unit,
        estate.staff,
        channel=BallotChannel.PROXY,
        evidence=pdf_scan(),
        proxy_name="李四",
        proxy_note="授权委托书 2026-11-30",
    )
    services.ballot_entry_confirm(entry=entry, actor=committee_staff(estate.community))
    assert Participation.objects.get(poll=poll).channel == BallotChannel.PROXY


def test_phone_vote_needs_read_back_and_records_the_call():
    estate = campaign_estate(1, 2)
    poll = campaign_poll(estate)
    unit = units_of(estate)[0]
    call = CallRecord(number="13800000000", called_at=timezone.now(), duration_minutes=4)
    with pytest.raises(InvalidInput) as info:
        services.ballot_entry_submit(
            poll=poll,
            unit_id=unit.pk,
            channel=BallotChannel.PHONE,
            choice={"choice": option_id(poll)},
            actor=estate.staff,
            call=call,
        )
    assert "read_back" in info.value.fields
    entry = services.ballot_entry_submit(
        poll=poll,
        unit_id=unit.pk,
        channel=BallotChannel.PHONE,
        choice={"choice": option_id(poll)},
        actor=estate.staff,
        call=CallRecord(
            number="13800000000",
            called_at=timezone.now(),
            duration_minutes=4,
            notes="业主确认选择同意",
            read_back=True,
        ),
    )
    assert entry.status == EntryStatus.PENDING  # four eyes by default
    record = PhoneCall.objects.get(entry=entry)
    assert (record.caller, record.number, record.read_back) == (estate.staff, "13800000000", True)
    services.ballot_entry_confirm(entry=entry, actor=committee_staff(estate.community))
    assert Ballot.objects.get(poll=poll).channel == BallotChannel.PHONE


def test_phone_vote_without_confirmation_when_the_poll_rules_say_so():
    estate = campaign_estate(1, 2)
    poll = campaign_poll(estate)
    services.campaign_rules_set(poll=poll, phone_needs_confirmation=False, actor=estate.staff)
    assert CampaignRules.objects.get(poll=poll).phone_needs_confirmation is False
    entry = services.ballot_entry_submit(
        poll=poll,
        unit_id=units_of(estate)[0].pk,
        channel=BallotChannel.PHONE,
        choice={"choice": option_id(poll)},
        actor=estate.staff,
        call=CallRecord(number="13800000000", called_at=timezone.now(), read_back=True),
    )
    assert entry.status == EntryStatus.CONFIRMED and entry.decided_by is None
    assert Ballot.objects.filter(poll=poll).count() == 1


def test_unanswered_call_is_recorded_without_a_ballot():
    estate = campaign_estate(1, 1)
    poll = campaign_poll(estate)
    services.phone_call_record(
        poll=poll,
        unit_id=units_of(estate)[0].pk,
        actor=estate.staff,
        call=CallRecord(number="138", called_at=timezone.now(), outcome="no_answer"),
    )
    assert selectors.not_voted_units(poll, with_contacts=True)[0].calls == 1
    assert not BallotEntry.objects.exists()


def test_canvasser_may_record_door_ballots_for_their_buildings_only():
    estate = campaign_estate(2, 2)
    poll = campaign_poll(estate)
    canvasser = UserFactory()
    first, second = (u.building for u in units_of(estate)[::2])
    services.canvasser_assign(poll=poll, user=canvasser, building=first, actor=estate.staff)
    assert rules.can_canvass(canvasser, poll)
    assert rules.can_record_door_ballot(canvasser, poll, first.pk)
    assert not rules.can_record_door_ballot(canvasser, poll, second.pk)
    assert not rules.can_run_campaign(canvasser, poll)
    assert not rules.can_enter_campaign_ballots(canvasser, poll)
    assert not rules.can_canvass(UserFactory(), poll)


def test_progress_matches_the_count_at_close_and_per_building():
    estate = campaign_estate(2, 3)
    poll = campaign_poll(estate)
    second = committee_staff(estate.community)
    for owner in estate.owners[:3]:
        vote_services.ballot_cast(poll=poll, voter=owner, choice={"choice": option_id(poll)})
    entry = paper(poll, units_of(estate)[3], estate.staff)
    services.ballot_entry_confirm(entry=entry, actor=second)
    progress = selectors.campaign_progress(poll)
    assert (progress.ht, progress.at, progress.hp, progress.ap) == (
        6,
        Decimal("480.00"),
        4,
        Decimal("320.00"),
    )
    assert progress.head.met and progress.area.met  # 4/6 = 2/3: "以上" includes it
    assert (progress.need_owners, progress.need_area) == (0, Decimal("0"))
    assert [(b.voted_owners, b.owners) for b in progress.buildings] == [(3, 3), (1, 3)]
    closed = vote_services.poll_close(poll=poll, actor=estate.staff)
    parts = {t["key"]: t for t in closed.preliminary_result["thresholds"]}
    assert parts["participation_headcount"]["text"] == progress.head.text
    assert parts["participation_area"]["text"] == progress.area.text


def test_progress_short_of_two_thirds_says_how_many_more():
    estate = campaign_estate(1, 6)
    poll = campaign_poll(estate)
    vote_services.ballot_cast(poll=poll, voter=estate.owners[0], choice={"choice": option_id(poll)})
    progress = selectors.campaign_progress(poll)
    assert not progress.head.met and progress.need_owners == 3
    assert progress.need_area == Decimal("240.00")


def test_not_voted_list_never_shows_a_choice_and_marks_pending():
    estate = campaign_estate(1, 3)
    poll = campaign_poll(estate)
    vote_services.ballot_cast(poll=poll, voter=estate.owners[0], choice={"choice": option_id(poll)})
    paper(poll, units_of(estate)[1], estate.staff)
    waiting = selectors.not_voted_units(poll)
    pending = {w.unit_id: w.pending for w in waiting}
    first, second = units_of(estate)[1:]
    assert pending == {first.pk: True, second.pk: False}
    assert all("*" in name for w in waiting for name in w.owners)
    assert not any(hasattr(w, "choice") for w in waiting)


def test_alert_when_one_signer_or_canvasser_accounts_for_many_owners(settings):
    settings.SIFANG_CAMPAIGN_ALERT_UNITS = 2
    estate = campaign_estate(1, 5)
    poll = campaign_poll(estate)
    canvasser = UserFactory(display_name="开发商代理")
    services.canvasser_assign(
        poll=poll, user=canvasser, building=units_of(estate)[0].building, actor=estate.staff
    )
    for unit in units_of(estate)[:3]:
        paper(poll, unit, canvasser, channel=BallotChannel.DOOR, signer_id="31010119800101999X")
    alerts = selectors.campaign_alerts(poll)
    assert {(a.kind, a.owners) for a in alerts} == {("signer", 3), ("canvasser", 3)}
    assert any(a.who == "****999X" for a in alerts)
    # Two owners are not "many" at a threshold of 2; rejected entries stop counting.
    entry = BallotEntry.objects.filter(poll=poll).first()
    services.ballot_entry_reject(entry=entry, actor=estate.staff, reason="代签")
    assert selectors.campaign_alerts(poll) == []


def test_proxy_holder_alert_counts_registered_proxies_too(settings):
    settings.SIFANG_CAMPAIGN_ALERT_UNITS = 1
    estate = campaign_estate(1, 3)
    poll = campaign_poll(estate)
    # Another owner than the one of the first unit, whose paper proxy ballot follows (the order
    # campaign units were written in is not the units' order).
    vote_services.proxy_register(
        poll=poll,
        voter_key=CampaignUnit.objects.filter(poll=poll)
        .exclude(unit=units_of(estate)[0])
        .order_by("unit_id")[0]
        .voter_key,
        note="委托书",
        actor=estate.staff,
        proxy_name="王五",
    )
    paper(
        poll,
        units_of(estate)[0],
        estate.staff,
        channel=BallotChannel.PROXY,
        proxy_name="王五",
        proxy_note="委托书",
    )
    assert [(a.kind, a.who, a.owners) for a in selectors.campaign_alerts(poll)] == [
        ("proxy", "王五", 2)
    ]


def test_closed_poll_takes_no_entries():
    estate = campaign_estate(1, 1)
    poll = campaign_poll(estate)
    poll = vote_services.poll_close(poll=poll, actor=estate.staff)
    with pytest.raises(VoteRefused) as info:
        paper(poll, units_of(estate)[0], estate.staff)
    assert info.value.code == "poll_closed"


def test_progress_queries_do_not_grow_with_units(django_assert_max_num_queries):
    for size in (2, 12):
        estate = campaign_estate(2, size)
        poll = campaign_poll(estate)
        for owner in estate.owners[: size // 2]:
            vote_services.ballot_cast(poll=poll, voter=owner, choice={"choice": option_id(poll)})
        with django_assert_max_num_queries(6):
            progress = selectors.campaign_progress(poll)
        assert progress.hp == size // 2
        with django_assert_max_num_queries(3):
            assert len(selectors.not_voted_units(poll, with_contacts=True)) == 2 * size - size // 2


def test_due_closing_is_honoured(monkeypatch):
    estate = campaign_estate(1, 1)
    poll = campaign_poll(estate, closes_at=timezone.now() + dt.timedelta(hours=1))
    monkeypatch.setattr(
        "django.utils.timezone.now", lambda: dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)
    )
    with pytest.raises(VoteRefused):
        paper(poll, units_of(estate)[0], estate.staff)
