"""Written proxies (授权委托书): scan, scope, per-item instructions, revocation, the cap."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from deliberation.exceptions import InvalidInput
from tests.factories.votes import option_id, owners_estate, owners_poll
from votes import services
from votes.electorate import electorate_index
from votes.exceptions import VoteRefused
from votes.models import BallotChannel, Participation, ProxyAuthorisation, ProxyLetter
from votes.proxies.selectors import proxy_ballot_count
from votes.proxies.services import proxy_letter_register, proxy_letter_revoke

pytestmark = pytest.mark.django_db


def scan() -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (40, 60), "white").save(out, format="PNG")
    return SimpleUploadedFile("letter.png", out.getvalue(), content_type="image/png")


def pdf_scan() -> SimpleUploadedFile:
    body = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    return SimpleUploadedFile("letter.pdf", body, content_type="application/pdf")


@pytest.fixture
def estate():
    return owners_estate(single_units=6)


def key_of(poll, user) -> str:
    return electorate_index(poll).user_keys[user.pk][0]


def register(estate, polls, principal, phone="13800001111", **kwargs):
    return proxy_letter_register(
        community=estate.community,
        principal_key=key_of(polls[0], principal),
        holder_name=kwargs.pop("holder_name", "王受托"),
        holder_phone=phone,
        scan=kwargs.pop("scan", scan()),
        polls=polls,
        actor=estate.staff,
        **kwargs,
    )


def proxy_cast(estate, poll, principal, choice):
    return services.ballot_cast(
        poll=poll,
        voter=key_of(poll, principal),
        choice=choice,
        channel=BallotChannel.PROXY,
        entered_by=estate.staff,
    )


def test_letter_covers_its_polls_with_instructions(estate):
    first, second = owners_poll(estate), owners_poll(estate, question="改建围墙为栏杆")
    outside = owners_poll(estate, question="另一事项")
    principal = estate.owners[0]
    letter = register(
        estate,
        [first, second],
        principal,
        instructions={first.pk: {"choice": option_id(first, 1)}},
        scan=pdf_scan(),
    )
    assert letter.scan.name.endswith(".pdf") and letter.principal_label
    assert ProxyAuthorisation.objects.filter(letter=letter).count() == 2
    # The instruction binds: the opposite choice is refused with a clear message.
    with pytest.raises(VoteRefused) as info:
        proxy_cast(estate, first, principal, {"choice": option_id(first)})
    assert info.value.code == "proxy_instruction" and "指示" in info.value.message
    proxy_cast(estate, first, principal, {"choice": option_id(first, 1)})
    # No instruction on the second poll: the holder decides.
    proxy_cast(estate, second, principal, {"choice": option_id(second)})
    # The principal cannot vote themself where the letter applies, and may elsewhere.
    with pytest.raises(VoteRefused) as info:
        services.ballot_cast(poll=second, voter=principal, choice={"choice": option_id(second)})
    assert info.value.code in ("delegated", "already_voted")
    services.ballot_cast(poll=outside, voter=principal, choice={"choice": option_id(outside)})
    assert proxy_ballot_count(first) == 1 and proxy_ballot_count(outside) == 0


def test_revoked_letter_cannot_be_used_and_principal_votes_again(estate):
    poll = owners_poll(estate)
    principal = estate.owners[0]
    letter = register(estate, [poll], principal)
    with pytest.raises(InvalidInput):
        proxy_letter_revoke(letter=letter, actor=estate.staff, reason="  ")
    revoked = proxy_letter_revoke(letter=letter, actor=estate.staff, reason="业主本人回国")
    assert revoked.revoked_by == estate.staff and revoked.revoke_reason == "业主本人回国"
    assert revoked.revoked_at is not None
    with pytest.raises(VoteRefused) as info:
        proxy_cast(estate, poll, principal, {"choice": option_id(poll)})
    assert info.value.code == "proxy_revoked"
    services.ballot_cast(poll=poll, voter=principal, choice={"choice": option_id(poll)})
    assert Participation.objects.get(poll=poll).channel == BallotChannel.ONLINE
    with pytest.raises(InvalidInput):
        proxy_letter_revoke(letter=revoked, actor=estate.staff, reason="再撤一次")


def test_new_letter_after_revocation(estate):
    poll = owners_poll(estate)
    principal = estate.owners[0]
    first = register(estate, [poll], principal)
    with pytest.raises(InvalidInput):
        register(estate, [poll], principal, phone="13900002222")
    proxy_letter_revoke(letter=first, actor=estate.staff, reason="换受托人")
    register(estate, [poll], principal, phone="13900002222")
    proxy_cast(estate, poll, principal, {"choice": option_id(poll)})


def test_cap_per_holder_from_community_rules(estate):
    estate.community.proxy_cap = 2
    estate.community.save()
    poll = owners_poll(estate)
    register(estate, [poll], estate.owners[0])
    register(estate, [poll], estate.owners[1], phone="138-0000-1111")  # same holder
    with pytest.raises(InvalidInput) as info:
        register(estate, [poll], estate.owners[2])
    assert "上限" in " ".join(info.value.fields["polls"])
    assert ProxyLetter.objects.count() == 2
    # Another holder has room; a revoked letter frees a place.
    register(estate, [poll], estate.owners[2], phone="13700003333")
    proxy_letter_revoke(
        letter=ProxyLetter.objects.filter(holder_phone="13800001111").first(),
        actor=estate.staff,
        reason="撤销",
    )
    register(estate, [poll], estate.owners[3])


@pytest.mark.parametrize(
    "upload",
    [
        SimpleUploadedFile("letter.pdf", b"not a pdf at all", content_type="application/pdf"),
        SimpleUploadedFile("letter.png", b"\x89PNG broken", content_type="image/png"),
        SimpleUploadedFile("letter.pdf", b"%PDF-1.4 truncated", content_type="application/pdf"),
    ],
)
def test_bad_scan_refused_and_nothing_stored(estate, upload):
    poll = owners_poll(estate)
    with pytest.raises(InvalidInput) as info:
        register(estate, [poll], estate.owners[0], scan=upload)
    assert "scan" in info.value.fields
    assert not ProxyAuthorisation.objects.exists() and not ProxyLetter.objects.exists()


def test_bad_instruction_and_voted_principal_refused(estate):
    poll = owners_poll(estate)
    with pytest.raises(InvalidInput):
        register(estate, [poll], estate.owners[0], instructions={poll.pk: {"choice": 999999}})
    services.ballot_cast(poll=poll, voter=estate.owners[1], choice={"choice": option_id(poll)})
    with pytest.raises(InvalidInput) as info:
        register(estate, [poll], estate.owners[1])
    assert "已在" in " ".join(info.value.fields["polls"])
    assert not ProxyLetter.objects.exists()


def test_letter_for_a_draft_poll_applies_once_it_opens(estate):
    draft = owners_poll(estate, open_now=False)
    principal = estate.owners[0]
    ProxyLetter.objects.all().delete()
    from votes.electorate import owner_voters

    key = next(v["key"] for v in owner_voters(estate.community) if principal.pk in v["user_ids"])
    proxy_letter_register(
        community=estate.community,
        principal_key=key,
        holder_name="李受托",
        holder_phone="13600004444",
        scan=scan(),
        polls=[draft],
        actor=estate.staff,
        instructions={draft.pk: {"choice": option_id(draft)}},
    )
    poll = services.poll_open(poll=draft, actor=estate.staff)
    with pytest.raises(VoteRefused) as info:
        proxy_cast(estate, poll, principal, {"choice": option_id(poll, 1)})
    assert info.value.code == "proxy_instruction"
    proxy_cast(estate, poll, principal, {"choice": option_id(poll)})
