"""Issue 14 points 1, 2 and 6 through the pages: a grid worker's box round (bad slips refused one
by one, nothing else lost), receipts, visit log, contact cards; the admin's street matters,
location correction, grids and buildings' grid and code."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from deliberation.models import BoxSlip, Channel, Proposal, VisitLog
from deliberation.registry.rules import Role
from deliberation.registry.services import roles_ensure, staff_member_set
from tests.factories.base import CommunityFactory, UnitFactory, UserFactory
from tests.factories.levels import GridFactory, StreetFactory, coded_building, grid_worker
from tests.factories.levels import street_staff as make_street_staff
from tests.factories.proposals import submitted, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def estate():
    roles_ensure()
    street = StreetFactory(hotline="0571-12345")
    community = CommunityFactory(slug="hexie", street=street, hotline="0571-66668888")
    east, west = GridFactory(community=community, code="G1"), GridFactory(community=community)
    b3 = coded_building(community, east, "3")
    b12 = coded_building(community, west, "12")
    worker = grid_worker(east, UserFactory(display_name="吴海燕"), phone="13800138000")
    committee = UserFactory()
    staff_member_set(community=community, user=committee, role=Role.FACILITATOR)
    return {
        "street": street,
        "community": community,
        "east": east,
        "west": west,
        "b3": b3,
        "b12": b12,
        "worker": worker,
        "committee": committee,
    }


def _round_data(grid, slips, opened_on=None) -> dict:
    data = {
        "grid": grid.pk,
        "opened_on": (opened_on or timezone.localdate()).isoformat(),
        "slip-TOTAL_FORMS": str(len(slips)),
        "slip-INITIAL_FORMS": "0",
    }
    for index, slip in enumerate(slips):
        for name, value in {"category": "other", **slip}.items():
            data[f"slip-{index}-{name}"] = value
    return data


# --- box round -----------------------------------------------------------------------------------


def test_box_round_form_is_offered_to_the_grid_worker_only(client, estate):
    url = reverse("grid-box-round", args=["hexie"])
    client.force_login(estate["worker"])
    html = client.get(url).content.decode()
    assert html.count('name="slip-') >= 5 * 6  # five blank slips, six fields each
    assert f'value="{estate["east"].pk}"' in html and f'value="{estate["west"].pk}"' not in html
    # The date input only takes ISO dates, whatever the language's date format.
    assert f'type="date" name="opened_on" value="{timezone.localdate().isoformat()}"' in html
    client.force_login(UserFactory())
    assert client.get(url).status_code == 403


def test_box_round_stores_good_slips_and_shows_bad_ones_again_with_errors(client, estate):
    client.force_login(estate["worker"])
    url = reverse("grid-box-round", args=["hexie"])
    data = _round_data(
        estate["east"],
        [
            {"building_code": "3", "text": "楼道灯坏了", "name": "王阿姨", "phone": "13912345678"},
            {"building_code": "99", "text": "九十九号楼门口堆杂物", "name": "李叔"},
            {"building_code": "12", "text": "希望增加晾衣架"},
            {"building_code": "", "text": "", "name": "", "phone": ""},  # a blank row: skipped
        ],
    )
    data["slip-0-photo"] = upload()
    response = client.post(url, data)
    assert response.status_code == 400
    html = response.content.decode()
    stored = list(Proposal.objects.order_by("pk"))
    assert len(stored) == 2 and all(p.channel == Channel.BOX for p in stored)
    assert stored[0].photos.count() == 1 and stored[0].grid == estate["east"]
    for proposal in stored:
        assert proposal.case_number in html
        assert reverse("proposal-receipt", args=["hexie", proposal.pk]) in html
    # The refused slip comes back alone, as typed, with its own error; the stored ones do not.
    assert "本社区没有编号为“99”的楼栋" in html
    assert "九十九号楼门口堆杂物" in html and 'value="李叔"' in html
    assert 'name="slip-TOTAL_FORMS" value="1"' in html
    assert "楼道灯坏了</textarea>" not in html
    # Corrected and sent again: one more matter, nothing stored twice.
    again = _round_data(estate["east"], [{"building_code": "12", "text": "九十九号楼门口堆杂物"}])
    response = client.post(url, again)
    assert response.status_code == 302
    assert Proposal.objects.count() == 3 and BoxSlip.objects.count() == 3
    done = client.get(response["Location"]).content.decode()
    assert Proposal.objects.latest("pk").case_number in done


def test_box_round_without_any_slip_says_so(client, estate):
    client.force_login(estate["worker"])
    url = reverse("grid-box-round", args=["hexie"])
    data = _round_data(estate["east"], [{"building_code": "", "text": ""}])
    response = client.post(url, data)
    assert response.status_code == 400
    assert "请至少录入一张纸条" in response.content.decode()
    assert not Proposal.objects.exists()


def test_box_round_page_queries_do_not_grow_with_grids(
    client, estate, django_assert_max_num_queries
):
    client.force_login(estate["committee"])
    url = reverse("grid-box-round", args=["hexie"])
    with django_assert_max_num_queries(20):
        assert client.get(url).status_code == 200
    for _ in range(20):
        GridFactory(community=estate["community"])
    with django_assert_max_num_queries(20):
        assert client.get(url).status_code == 200


# --- receipts ------------------------------------------------------------------------------------


def test_receipt_shows_case_number_follow_up_and_qr(client, estate):
    client.force_login(estate["worker"])
    client.post(
        reverse("grid-box-round", args=["hexie"]),
        _round_data(estate["east"], [{"building_code": "3", "text": "楼道灯坏了"}]),
    )
    proposal = Proposal.objects.get()
    html = client.get(reverse("proposal-receipt", args=["hexie", proposal.pk])).content.decode()
    assert proposal.case_number in html and "意见受理回执" in html
    assert "0571-66668888" in html and 'src="data:image/png;base64,' in html
    assert f"/hexie/proposals/{proposal.pk}/" in html
    other = grid_worker(estate["west"], UserFactory())
    client.force_login(other)
    assert client.get(reverse("proposal-receipt", args=["hexie", proposal.pk])).status_code == 404


def test_case_number_is_on_the_matter_page(client, estate):
    proposal = submitted(estate["community"], location="3号楼门口")
    client.force_login(estate["committee"])
    html = client.get(reverse("proposal-detail", args=["hexie", proposal.pk])).content.decode()
    assert proposal.case_number in html and estate["east"].name in html


# --- visit log -----------------------------------------------------------------------------------


def test_visit_log_entry_and_one_step_matter(client, estate):
    client.force_login(estate["worker"])
    url = reverse("grid-visits", args=["hexie"])
    bad = client.post(url, {"grid": estate["east"].pk, "visited_on": "2026-01-01"})
    assert bad.status_code == 400 and not VisitLog.objects.exists()  # no household: refused
    response = client.post(
        url,
        {
            "grid": estate["east"].pk,
            "visited_on": timezone.localdate().isoformat(),
            "building": estate["b3"].pk,
            "household": "3号楼-201 李大爷",
            "raised": "下水道返味",
            "follow_up": "下周回访",
        },
    )
    assert response.status_code == 302
    entry = VisitLog.objects.get()
    convert = reverse("grid-visit-convert", args=["hexie", entry.pk])
    client.post(convert, {"category": "sanitation"})
    entry.refresh_from_db()
    assert entry.proposal is not None and entry.proposal.channel == Channel.VISIT
    assert entry.proposal.category == "sanitation" and entry.proposal.grid == estate["east"]
    page = client.get(url).content.decode()
    assert entry.proposal.case_number in page
    client.post(convert, {"category": "other"})
    assert Proposal.objects.count() == 1


# --- contact cards -------------------------------------------------------------------------------


def _pdf_text(content: bytes, tmp_path: Path) -> str:
    path = tmp_path / "cards.pdf"
    path.write_bytes(content)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def test_contact_cards_one_per_household_with_hotline_and_worker(client, estate, tmp_path):
    for number in ("101", "102", "201"):
        UnitFactory(building=estate["b3"], number=number, floor=int(number[0]))
    client.force_login(estate["worker"])
    response = client.get(reverse("grid-contact-cards", args=["hexie", estate["b3"].pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = _pdf_text(response.content, tmp_path)
    assert text.count("民情联系卡") == 3
    for expected in ("3号楼-101", "3号楼-201", "0571-66668888", "吴海燕", "13800138000"):
        assert expected in text, expected
    # Another grid's building is not the worker's to print.
    assert (
        client.get(reverse("grid-contact-cards", args=["hexie", estate["b12"].pk])).status_code
        == 404
    )


# --- admin ---------------------------------------------------------------------------------------


def _refused(response) -> bool:
    """403, or Wagtail's redirect to the admin home (its answer to PermissionDenied)."""
    return response.status_code == 403 or (
        response.status_code == 302 and response["Location"] == reverse("wagtailadmin_home")
    )


def test_street_staff_see_and_correct_matters_of_their_street_only(client, estate):
    sibling = CommunityFactory(slug="sibling", street=estate["street"])
    foreign = CommunityFactory(slug="foreign", street=StreetFactory())
    mine = submitted(estate["community"], title="和谐社区的事")
    theirs = submitted(sibling, title="兄弟社区的事")
    hidden = submitted(foreign, title="别的街道的事")
    user = make_street_staff(estate["street"])
    client.force_login(user)
    html = client.get(reverse("levels_street_matters")).content.decode()
    assert mine.title in html and theirs.title in html and hidden.title not in html
    assert mine.case_number in html
    url = reverse("levels_proposal_locate", args=[mine.pk])
    response = client.post(url, {"building": estate["b12"].pk, "grid": "", "note": "核实后更正"})
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.building == estate["b12"] and mine.grid == estate["west"]
    assert "信息更正" in client.get(url).content.decode()
    assert _refused(client.get(reverse("levels_proposal_locate", args=[hidden.pk])))
    # A building of another community is refused on the form, nothing changes.
    alien = coded_building(sibling, None, "7")
    response = client.post(url, {"building": alien.pk})
    assert response.status_code == 400
    mine.refresh_from_db()
    assert mine.building == estate["b12"]


def test_street_matters_queries_do_not_grow(client, estate, django_assert_max_num_queries):
    user = make_street_staff(estate["street"])
    client.force_login(user)
    url = reverse("levels_street_matters")
    for _ in range(3):
        submitted(estate["community"], location="3号楼")
    with django_assert_max_num_queries(45):
        assert client.get(url).status_code == 200
    for _ in range(15):
        submitted(estate["community"], location="12号楼")
    with django_assert_max_num_queries(45):
        assert client.get(url).status_code == 200


def test_committee_cannot_open_the_street_matters(client, estate):
    client.force_login(estate["committee"])
    assert _refused(client.get(reverse("levels_street_matters")))


def test_grids_admin_is_scoped_to_committee_and_street(client, estate):
    other = CommunityFactory(slug="other", street=StreetFactory())
    alien = GridFactory(community=other, name="别处网格")
    client.force_login(estate["committee"])
    html = client.get(reverse("levels_grid:index")).content.decode()
    assert estate["east"].name in html and alien.name not in html
    assert client.get(reverse("levels_grid:edit", args=[alien.pk])).status_code == 404
    client.force_login(make_street_staff(estate["street"]))
    html = client.get(reverse("levels_grid:index")).content.decode()
    assert estate["west"].name in html and alien.name not in html
    response = client.post(
        reverse("levels_grid:add"),
        {"community": estate["community"].pk, "name": "第三网格", "code": "G3", "box_location": ""},
    )
    assert response.status_code == 302
    assert estate["community"].grids.filter(code="G3").exists()


def test_building_grid_and_code_from_the_registry_admin(client, estate):
    client.force_login(estate["committee"])
    other_grid = GridFactory(community=CommunityFactory(slug="other2"))
    url = reverse("registry_building:edit", args=[estate["b3"].pk])
    base = {"name": "3号楼", "floors": 6, "code": "3A"}
    response = client.post(url, {**base, "grid": other_grid.pk})
    assert response.status_code == 200  # refused: not a choice of this community
    estate["b3"].refresh_from_db()
    assert estate["b3"].code == "3"
    response = client.post(url, {**base, "grid": estate["west"].pk})
    assert response.status_code == 302
    estate["b3"].refresh_from_db()
    assert (estate["b3"].code, estate["b3"].grid) == ("3A", estate["west"])


def test_grid_worker_has_no_admin(client, estate):
    client.force_login(estate["worker"])
    response = client.get(reverse("wagtailadmin_home"))
    assert response.status_code == 302
    assert not Group.objects.filter(user=estate["worker"]).exists()
    assert re.search(r"/login", response["Location"])
