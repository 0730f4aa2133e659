"""JSON API under /api/proposals/: one test per endpoint, errors as {code, message}."""

import pytest

from deliberation.models import Party, Proposal, ProposalStatus
from tests.factories.base import CommunityFactory
from tests.factories.proposals import published, resident, staff, submitted

pytestmark = pytest.mark.django_db
API = "/api/proposals/"


def test_openapi_schema_lists_the_proposal_endpoints(client):
    schema = client.get("/api/openapi.json").json()
    paths = schema["paths"]
    for path in (
        "/api/proposals/",
        "/api/proposals/{pk}",
        "/api/proposals/{pk}/accept",
        "/api/proposals/{pk}/answer",
        "/api/proposals/{pk}/reject",
        "/api/proposals/{pk}/merge",
        "/api/proposals/{pk}/publish",
        "/api/proposals/{pk}/second",
    ):
        assert path in paths, path


def test_list_published(client):
    community = CommunityFactory()
    shown = published(community, title="停车难")
    submitted(community, title="停车位(未审核)")
    data = client.get(API, {"community": community.slug, "q": "停车"}).json()
    assert data["count"] == 1
    assert [row["id"] for row in data["results"]] == [shown.pk]
    assert data["results"][0]["url"] == f"/{community.slug}/proposals/{shown.pk}/"
    missing = client.get(API, {"community": "nowhere"})
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"


def test_read_published_and_hide_unpublished(client):
    community = CommunityFactory()
    author = resident(community, user__display_name="赵国华", user__phone="13700000001")
    shown = published(community, author=author)
    data = client.get(f"{API}{shown.pk}").json()
    assert data["title"] == shown.title and data["author"] == "赵*华"
    assert "13700000001" not in str(data)
    assert data["timeline"][0]["status"] == "submitted"
    hidden = submitted(community)
    response = client.get(f"{API}{hidden.pk}")
    assert response.status_code == 404
    assert set(response.json()) >= {"code", "message"}


def test_raise_a_matter_signed_in(client):
    community = CommunityFactory()
    anonymous = client.post(
        API,
        {"community": community.slug, "title": "t", "body": "b"},
        content_type="application/json",
    )
    assert anonymous.status_code == 401 and anonymous.json()["code"] == "unauthenticated"
    author = resident(community)
    client.force_login(author.user)
    response = client.post(
        API,
        {
            "community": community.slug,
            "title": "垃圾分类点太远",
            "body": "希望增设",
            "category": "sanitation",
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["status"] == "submitted" and data["live"] is False
    assert Proposal.objects.get(pk=data["id"]).author == author
    bad = client.post(
        API,
        {"community": community.slug, "title": "", "body": "b"},
        content_type="application/json",
    )
    assert bad.status_code == 400
    assert bad.json()["code"] == "invalid" and "title" in bad.json()["fields"]


def test_api_enforces_csrf_for_session_posts():
    from django.test import Client

    community = CommunityFactory()
    author = resident(community)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(author.user)
    response = strict.post(
        API,
        {"community": community.slug, "title": "t", "body": "b"},
        content_type="application/json",
    )
    assert response.status_code == 403 and response.json()["code"] == "csrf"


def staff_client(client, proposal):
    committee = staff(proposal.community)
    client.force_login(committee.user)
    return committee


def test_accept(client):
    proposal = submitted()
    staff_client(client, proposal)
    response = client.post(
        f"{API}{proposal.pk}/accept",
        {"category": "parking", "responsible_party": "property", "note": "转物业"},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["status"] == "accepted"
    again = client.post(
        f"{API}{proposal.pk}/accept",
        {"category": "parking", "responsible_party": "property"},
        content_type="application/json",
    )
    assert again.status_code == 409 and again.json()["code"] == "transition_not_allowed"


def test_answer(client):
    proposal = submitted()
    staff_client(client, proposal)
    response = client.post(
        f"{API}{proposal.pk}/answer", {"answer": "已安排维修"}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["status"] == "answered"
    assert "已安排维修" in response.json()["answer_html"]


def test_reject(client):
    proposal = submitted()
    staff_client(client, proposal)
    response = client.post(
        f"{API}{proposal.pk}/reject", {"reason": ""}, content_type="application/json"
    )
    assert response.status_code == 400 and response.json()["code"] == "invalid"
    response = client.post(
        f"{API}{proposal.pk}/reject", {"reason": "属于市政管辖"}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["status"] == "rejected"


def test_merge(client):
    target = submitted(title="停车")
    proposal = submitted(target.community, title="停车2")
    staff_client(client, proposal)
    response = client.post(
        f"{API}{proposal.pk}/merge", {"into": target.pk}, content_type="application/json"
    )
    assert response.status_code == 200
    assert response.json()["merged_into"] == target.pk


def test_publish(client):
    proposal = submitted()
    staff_client(client, proposal)
    response = client.post(f"{API}{proposal.pk}/publish", {}, content_type="application/json")
    assert response.status_code == 200 and response.json()["live"] is True


def test_second(client):
    proposal = published()
    client.force_login(resident(proposal.community).user)
    first = client.post(f"{API}{proposal.pk}/second")
    second = client.post(f"{API}{proposal.pk}/second")
    assert first.json() == {"created": True, "seconds_count": 1}
    assert second.json() == {"created": False, "seconds_count": 1}


def test_resident_cannot_triage(client):
    proposal = submitted()
    client.force_login(resident(proposal.community).user)
    for action, payload in (
        ("accept", {"category": "parking", "responsible_party": "property"}),
        ("answer", {"answer": "x"}),
        ("reject", {"reason": "x"}),
        ("publish", {}),
    ):
        response = client.post(
            f"{API}{proposal.pk}/{action}", payload, content_type="application/json"
        )
        assert response.status_code in (403, 404), action
        assert "code" in response.json() and "message" in response.json()
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.SUBMITTED and not proposal.live


def test_property_staff_cannot_see_other_communities_unpublished(client):
    proposal = submitted(title="别人的")
    client.force_login(staff(CommunityFactory(), Party.PROPERTY).user)
    assert client.get(f"{API}{proposal.pk}").status_code == 404
    own = staff(proposal.community, Party.PROPERTY)
    client.force_login(own.user)
    response = client.post(
        f"{API}{proposal.pk}/accept",
        {"category": "other", "responsible_party": "property"},
        content_type="application/json",
    )
    assert response.status_code in (403, 404)


def test_malformed_request_is_a_json_error_with_code_and_message(client):
    community = CommunityFactory()
    client.force_login(resident(community).user)
    response = client.post(API, {"community": community.slug}, content_type="application/json")
    assert response.status_code == 400
    data = response.json()
    assert data["code"] == "invalid" and data["message"] and "title" in data["fields"]
