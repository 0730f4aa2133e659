"""The committee registers, views and revokes written proxies in the admin; bad input loses
nothing and is explained; other communities see nothing."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from tests.factories.votes import committee_staff, option_id, owners_estate, owners_poll
from votes import services
from votes.electorate import electorate_index
from votes.exceptions import VoteRefused
from votes.models import BallotChannel, ProxyAuthorisation, ProxyLetter

pytestmark = pytest.mark.django_db


def png() -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (30, 40), "white").save(out, format="PNG")
    return SimpleUploadedFile("委托书.png", out.getvalue(), content_type="image/png")


@pytest.fixture
def setup(client):
    estate = owners_estate(single_units=4)
    poll = owners_poll(estate)
    staff = committee_staff(estate.community)
    client.force_login(staff)
    key = electorate_index(poll).user_keys[estate.owners[0].pk][0]
    return estate, poll, staff, key


def post_letter(client, estate, poll, key, **overrides):
    data = {
        "principal_key": key,
        "holder_name": "王受托",
        "holder_phone": "13800001111",
        "scan": png(),
        "polls": [poll.pk],
        f"instruction_{poll.pk}": str(option_id(poll, 1)),
    }
    data.update(overrides)
    return client.post(reverse("votes_proxies_add", args=[estate.community.slug]), data)


def test_committee_registers_a_letter_with_instruction(client, setup):
    estate, poll, staff, key = setup
    form = client.get(reverse("votes_proxies_add", args=[estate.community.slug]))
    assert form.status_code == 200 and "表决指示" in form.content.decode()
    response = post_letter(client, estate, poll, key)
    assert response.status_code == 302
    letter = ProxyLetter.objects.get()
    auth = ProxyAuthorisation.objects.get(letter=letter)
    assert auth.instruction == {"choice": option_id(poll, 1)} and letter.entered_by == staff
    detail = client.get(response["Location"]).content.decode()
    assert "王受托" in detail and "反对" in detail
    scan = client.get(reverse("votes_proxies_scan", args=[letter.pk]))
    # The photo is re-encoded as JPEG without metadata.
    assert scan.status_code == 200 and b"".join(scan.streaming_content)[:3] == b"\xff\xd8\xff"
    index = client.get(reverse("votes_proxies")).content.decode()
    assert letter.principal_label in index
    with pytest.raises(VoteRefused):
        services.ballot_cast(
            poll=poll,
            voter=key,
            choice={"choice": option_id(poll)},
            channel=BallotChannel.PROXY,
            entered_by=staff,
        )


def test_bad_scan_is_explained_and_nothing_stored(client, setup):
    estate, poll, _staff, key = setup
    bad = SimpleUploadedFile("x.pdf", b"hello", content_type="application/pdf")
    response = post_letter(client, estate, poll, key, scan=bad)
    assert response.status_code == 400
    html = response.content.decode()
    assert "PDF 或图片" in html and "王受托" in html  # the typed values stay in the form
    assert not ProxyLetter.objects.exists()


def test_revoke_needs_a_reason_and_is_logged(client, setup):
    estate, poll, staff, key = setup
    post_letter(client, estate, poll, key)
    letter = ProxyLetter.objects.get()
    detail = reverse("votes_proxies_detail", args=[letter.pk])
    refused = client.post(detail, {"reason": ""})
    assert refused.status_code == 400 and "请填写撤销理由" in refused.content.decode()
    assert client.post(detail, {"reason": "业主本人回来了"}).status_code == 302
    letter.refresh_from_db()
    assert letter.revoked_by == staff and letter.revoke_reason == "业主本人回来了"
    html = client.get(detail).content.decode()
    assert "已撤销" in html and "业主本人回来了" in html
    services.ballot_cast(poll=poll, voter=estate.owners[0], choice={"choice": option_id(poll)})


def test_other_community_committee_sees_nothing(client, setup):
    estate, poll, _staff, key = setup
    post_letter(client, estate, poll, key)
    letter = ProxyLetter.objects.get()
    other = owners_estate(single_units=1)
    client.force_login(committee_staff(other.community))
    assert client.get(reverse("votes_proxies_detail", args=[letter.pk])).status_code == 404
    assert client.get(reverse("votes_proxies_scan", args=[letter.pk])).status_code == 404
    assert letter.principal_label not in client.get(reverse("votes_proxies")).content.decode()
    add = client.get(reverse("votes_proxies_add", args=[estate.community.slug]))
    assert add.status_code in (302, 403) and "委托人(房号)" not in add.content.decode()
