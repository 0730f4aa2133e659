"""Hardening (issue 12, point 7): the Content-Security-Policy, the feed's plain text, photos of
unpublished matters, text no database can store, unsafe requests missing their slash, and the
API docs behind staff sign-in."""

from __future__ import annotations

import datetime as dt
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from deliberation.models import Party, PhotoStage, Proposal, ProposalPhoto
from deliberation.resolutions.services import PhotoInput, resolution_complete, resolution_create
from meetings.models import Note
from tests.factories.base import CommunityFactory, UserFactory
from tests.factories.meetings import meeting_scene
from tests.factories.proposals import published, resident, staff, submitted, upload
from tests.factories.resolutions import DecidedProposalFactory, staff_member
from tests.meetings.conftest import _fast_tally, live  # noqa: F401 - fixtures

ATOM = "{http://www.w3.org/2005/Atom}"
TEMPLATES = Path(__file__).resolve().parents[2] / "cms" / "templates"
UNSTORABLE = ["\ud800", "a\x00b"]


def directives(response) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    """The response's Content-Security-Policy as directive → sources."""
    policy = response["Content-Security-Policy"]
    parsed = {}
    for part in policy.split(";"):
        name, *sources = part.split()
        parsed[name] = sources
    return parsed


def signed_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def post_json(client: Client, url: str, text: str):  # type: ignore[no-untyped-def]
    return client.post(url, data=text, content_type="application/json")


# --- Content-Security-Policy ------------------------------------------------------------------


@pytest.mark.django_db
def test_public_and_live_pages_carry_a_policy_without_inline_script(client, wagtail_site) -> None:
    scene = meeting_scene(open_meeting=True)
    args = [scene.community.slug, scene.meeting.pk]
    pages = [
        (client, "/"),
        (client, reverse("proposal-list", args=[scene.community.slug])),
        (client, reverse("meeting-live", args=args)),
        (client, reverse("meeting-projector", args=args)),
        (signed_in(scene.facilitator), reverse("meeting-console", args=args)),
        (client, "/api/openapi.json"),
        (client, "/no-such-page/"),
    ]
    for who, url in pages:
        response = who.get(url)
        assert response.status_code in (200, 404), url
        csp = directives(response)
        assert csp["script-src"] == ["'self'"], url
        assert csp["style-src"] == ["'self'"], url
        assert csp["object-src"] == ["'none'"], url
        assert csp["frame-ancestors"] == ["'none'"], url
        # The live pages open their websocket on the page's own host.
        assert csp["connect-src"] == ["'self'", "ws://testserver"], url


@pytest.mark.django_db
def test_the_websocket_source_follows_the_scheme_and_host(client) -> None:
    response = client.get("/api/openapi.json", secure=True, HTTP_HOST="localhost")
    assert "wss://localhost" in directives(response)["connect-src"]


@pytest.mark.django_db
def test_the_admin_allows_wagtails_inline_scripts_only_there(wagtail_site) -> None:
    admin = signed_in(UserFactory(is_superuser=True, is_staff=True))
    for url in ("/admin/", "/admin/login/", reverse("wagtailsnippets_deliberation_proposal:list")):
        response = admin.get(url, follow=url.endswith("login/"))
        assert response.status_code == 200, url
        csp = directives(response)
        assert csp["script-src"] == ["'self'", "'unsafe-inline'"], url
        assert "'unsafe-eval'" not in response["Content-Security-Policy"]
        assert csp["object-src"] == ["'none'"]


def test_the_projects_templates_hold_no_inline_script_style_or_handler() -> None:
    offenders = []
    for template in TEMPLATES.rglob("*.html"):
        if template.name.endswith("_pdf.html"):
            continue  # printed by WeasyPrint, never served to a browser: no CSP applies
        text = template.read_text()
        for tag in re.findall(r"<script\b[^>]*>", text):
            if "src=" not in tag:
                offenders.append(f"{template.name}: {tag}")
        if re.search(r"<style\b", text):
            offenders.append(f"{template.name}: <style>")
        if re.search(r"\sstyle\s*=", text):
            offenders.append(f"{template.name}: style attribute")
        if re.search(r"\son[a-z]+\s*=", text):
            offenders.append(f"{template.name}: event handler attribute")
        if "javascript:" in text:
            offenders.append(f"{template.name}: javascript: URL")
    assert offenders == []


# --- the feed ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_feed_carries_reports_and_titles_as_plain_text(client) -> None:
    community = CommunityFactory()
    committee = staff_member(community, Party.COMMITTEE).user
    property_staff = staff_member(community, Party.PROPERTY).user
    proposal = DecidedProposalFactory(community=community, title="<b>路灯</b>")
    resolution = resolution_create(
        proposal=proposal,
        decision="更换路灯",
        responsible_party=Party.PROPERTY,
        deadline=timezone.localdate() + dt.timedelta(days=7),
        actor=committee,
    )
    report = '<script>alert("x")</script><img src=x onerror=alert(1)>已更换'
    resolution_complete(resolution=resolution, actor=property_staff, report=report)

    response = client.get(reverse("resolution-feed", args=[community.slug]))
    raw = response.content.decode()
    assert "<script>" not in raw and "&lt;script&gt;" in raw
    root = ET.fromstring(response.content)  # noqa: S314 - our own feed, in a test
    entries = root.findall(f"{ATOM}entry")
    summaries = [entry.find(f"{ATOM}summary") for entry in entries]
    assert {summary.get("type") for summary in summaries} == {"text"}
    assert report in [summary.text for summary in summaries]
    titles = [entry.find(f"{ATOM}title") for entry in entries]
    assert all(title.get("type", "text") == "text" for title in titles)
    assert titles[0].text == "已办结:<b>路灯</b>"


# --- photos -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_photos_of_an_unpublished_matter_need_permission() -> None:
    community = CommunityFactory()
    author = resident(community)
    proposal = submitted(community, author=author, photos=[upload("我家门口.jpg")])
    photo = ProposalPhoto.objects.get(proposal=proposal)
    # A random name: neither the file name nor the month.
    assert re.fullmatch(r"proposals/[0-9a-f]{32}\.jpg", photo.image.name), photo.image.name
    url = photo.image.url
    assert url.startswith("/media/proposals/")

    assert Client().get(url).status_code == 404
    assert signed_in(resident(community).user).get(url).status_code == 404
    assert signed_in(staff(CommunityFactory()).user).get(url).status_code == 404
    own = signed_in(author.user).get(url)
    assert own.status_code == 200
    assert b"".join(own.streaming_content).startswith(b"\xff\xd8")  # the JPEG itself
    assert "private" in own["Cache-Control"]
    assert signed_in(staff(community).user).get(url).status_code == 200


@pytest.mark.django_db
def test_photos_follow_publication_and_unknown_names_are_not_found() -> None:
    proposal = published(photos=[upload()])
    url = proposal.photos.get().image.url
    assert Client().get(url).status_code == 200
    proposal.unpublish(user=staff(proposal.community).user)  # Wagtail's unpublish action
    assert Client().get(url).status_code == 404
    assert Client().get("/media/proposals/2026/12/photo.jpg").status_code == 404


@pytest.mark.django_db
def test_progress_photos_of_an_unpublished_matter_need_permission() -> None:
    community = CommunityFactory()
    committee = staff_member(community, Party.COMMITTEE).user
    property_staff = staff_member(community, Party.PROPERTY).user
    proposal = DecidedProposalFactory(community=community)
    resolution = resolution_create(
        proposal=proposal,
        decision="更换路灯",
        responsible_party=Party.PROPERTY,
        deadline=timezone.localdate() + dt.timedelta(days=7),
        actor=committee,
    )
    resolution_complete(
        resolution=resolution,
        actor=property_staff,
        report="已更换",
        photos=[PhotoInput(file=upload(), stage=PhotoStage.AFTER)],
    )
    photo = resolution.updates.get().photos.get()
    assert re.fullmatch(r"resolutions/[0-9a-f]{32}\.jpg", photo.image.name)
    url = photo.image.url
    assert Client().get(url).status_code == 200
    Proposal.objects.filter(pk=proposal.pk).update(live=False)
    assert Client().get(url).status_code == 404
    assert signed_in(property_staff).get(url).status_code == 200
    assert signed_in(committee).get(url).status_code == 200


# --- text no database stores ------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("text", UNSTORABLE)
def test_unstorable_json_text_is_a_bad_request_and_nothing_is_written(client, text) -> None:
    community = CommunityFactory()
    client.force_login(resident(community).user)
    body = json.dumps({"community": community.slug, "title": text, "body": "3号楼前"})
    response = post_json(client, "/api/proposals/", body)
    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"
    assert "无法保存的字符" in response.json()["message"]
    assert not Proposal.objects.exists()


@pytest.mark.django_db
def test_an_emoji_surrogate_pair_is_fine(client) -> None:
    community = CommunityFactory()
    client.force_login(resident(community).user)
    body = json.dumps({"community": community.slug, "title": "路灯 😀", "body": "3号楼前"})
    assert "\\ud83d\\ude00" in body
    assert post_json(client, "/api/proposals/", body).status_code == 201


@pytest.mark.django_db
def test_nul_in_a_form_or_query_string_is_a_bad_request(client) -> None:
    community = CommunityFactory()
    member = resident(community)
    client.force_login(member.user)
    url = reverse("proposal-new", args=[community.slug])
    response = client.post(url, {"title": "路灯\x00", "body": "3号楼前", "category": "other"})
    assert response.status_code == 400
    assert "无法保存的字符" in response.content.decode()
    assert not Proposal.objects.exists()
    listing = reverse("proposal-list", args=[community.slug])
    assert client.get(listing + "?q=%00").status_code == 400
    assert client.get("/api/proposals/?community=a%00").status_code == 400


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("text", UNSTORABLE)
async def test_a_websocket_frame_with_unstorable_text_is_refused_and_the_socket_lives(
    live,  # noqa: F811 - the fixture imported above
    text,
) -> None:
    scene = await sync_to_async(meeting_scene)(open_meeting=True)
    facilitator = await live(scene.meeting.pk, scene.facilitator)
    await facilitator.recv()
    item = scene.items[0].pk
    await facilitator.send({"type": "note.add", "item": item, "text": text, "ref": "n1"})
    error = await facilitator.until("error")
    assert (error["code"], error["ref"]) == ("bad_request", None)
    assert "无法保存的字符" in error["message"]
    # A bad ref cannot come back in the error frame either.
    await facilitator.send({"type": "speaker.request", "ref": text})
    assert (await facilitator.until("error"))["code"] == "bad_request"
    assert await sync_to_async(Note.objects.count)() == 0
    await facilitator.send({"type": "note.add", "item": item, "text": "物业答复", "ref": "n2"})
    await facilitator.until("agenda")
    assert await sync_to_async(Note.objects.count)() == 1


# --- trailing slash, API docs -------------------------------------------------------------------


@pytest.mark.django_db
def test_an_unsafe_request_without_its_trailing_slash_is_a_clear_404(client, settings) -> None:
    settings.DEBUG = True
    client.force_login(resident(CommunityFactory()).user)
    response = post_json(client, "/api/proposals", "{}")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert "/api/proposals/" in response.json()["message"]
    page = client.post("/elder-mode", {"enable": "1"})
    assert page.status_code == 404 and "/elder-mode/" in page.content.decode()
    assert client.get("/api/proposals").status_code == 301  # a GET is still redirected


@pytest.mark.django_db
def test_api_docs_need_admin_access_and_the_schema_stays_public(client) -> None:
    docs = client.get("/api/docs")
    assert docs.status_code == 302 and docs["Location"].startswith("/admin/login/")
    assert signed_in(resident(CommunityFactory()).user).get("/api/docs").status_code == 302
    schema = client.get("/api/openapi.json")
    assert schema.status_code == 200 and schema.json()["openapi"]
    admin = signed_in(UserFactory(is_superuser=True, is_staff=True))
    page = admin.get("/api/docs")
    assert page.status_code == 200
    assert b"cdn.jsdelivr.net" not in page.content  # Swagger UI from this host (CSP)
