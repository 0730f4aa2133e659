"""The resolutions JSON API: list/read, and progress only from the responsible party's staff."""

import datetime as dt
import io

import pytest
from django.utils import timezone
from PIL import Image

from deliberation.models import Party, ProgressUpdate
from deliberation.resolutions.services import resolution_create
from tests.factories.base import CommunityFactory
from tests.factories.resolutions import DecidedProposalFactory, resident, staff_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def resolution():
    community = CommunityFactory(slug="apitown")
    return resolution_create(
        proposal=DecidedProposalFactory(community=community, title="楼道灯"),
        decision="修好楼道灯",
        responsible_party=Party.PROPERTY,
        deadline=timezone.localdate() + dt.timedelta(days=3),
        actor=None,
    )


def jpeg():
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), (10, 200, 10)).save(buffer, "JPEG")
    buffer.seek(0)
    buffer.name = "light.jpg"
    return buffer


def test_list_and_read(client, resolution):
    listing = client.get("/api/resolutions/", {"community": "apitown"}).json()
    assert listing["count"] == 1
    assert listing["results"][0]["title"] == "楼道灯"
    assert listing["results"][0]["status"] == "in_progress"
    detail = client.get(f"/api/resolutions/{resolution.pk}").json()
    assert detail["decision"] == "修好楼道灯"
    assert detail["steps"][0]["to_status"] == "in_progress"
    assert client.get("/api/resolutions/99999").json()["code"] == "not_found"
    assert client.get("/api/resolutions/", {"community": "nope"}).status_code == 404


def test_responsible_staff_post_progress_with_photo(client, resolution):
    staff = staff_member(resolution.community, Party.PROPERTY)
    client.force_login(staff.user)
    response = client.post(
        f"/api/resolutions/{resolution.pk}/progress",
        {"text": "换了灯泡", "percent": "60", "stage": "after", "photos": [jpeg()]},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["percent_done"] == 60
    assert body["updates"][0]["photos"][0]["stage"] == "after"
    done = client.post(f"/api/resolutions/{resolution.pk}/complete", {"report": "全部修好"})
    assert done.status_code == 200 and done.json()["status"] == "completed"
    late = client.post(f"/api/resolutions/{resolution.pk}/progress", {"text": "x", "percent": 1})
    assert late.status_code == 409 and late.json()["code"] == "not_open"


@pytest.mark.parametrize("who", ["anonymous", "resident", "committee"])
def test_others_cannot_post_progress(client, resolution, who):
    if who == "resident":
        client.force_login(resident(resolution.community).user)
    elif who == "committee":
        client.force_login(staff_member(resolution.community, Party.COMMITTEE).user)
    response = client.post(
        f"/api/resolutions/{resolution.pk}/progress", {"text": "x", "percent": "10"}
    )
    expected = 401 if who == "anonymous" else 403
    assert response.status_code == expected
    assert response.json()["code"] in {"unauthenticated", "forbidden"}
    assert not ProgressUpdate.objects.exists()


def test_bad_input_is_a_clear_400(client, resolution):
    client.force_login(staff_member(resolution.community, Party.PROPERTY).user)
    response = client.post(
        f"/api/resolutions/{resolution.pk}/progress", {"text": "x", "percent": "150"}
    )
    assert response.status_code == 400
    assert "percent" in response.json()["fields"]
