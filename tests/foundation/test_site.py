"""The home page, the elder-friendly switch, the admin in Chinese, and the demo data."""

import pytest
from django.core.management import call_command

from deliberation.models import Building, Member, Ownership, Proposal, Unit, User

pytestmark = pytest.mark.django_db


def snapshot() -> dict[str, list]:
    return {
        "units": sorted(Unit.objects.values_list("building__name", "number", "area_m2", "unsold")),
        "owners": sorted(Ownership.objects.values_list("unit__number", "member__user__phone")),
        "members": sorted(Member.objects.values_list("user__username", "party")),
        "proposals": sorted(Proposal.objects.values_list("title", "status", "channel")),
        "buildings": Building.objects.count(),
        "users": User.objects.count(),
    }


def test_seed_demo_twice_gives_the_same_data() -> None:
    call_command("seed_demo")
    first = snapshot()
    call_command("seed_demo")
    assert snapshot() == first
    assert 100 <= len(first["units"]) <= 140
    assert {party for _, party in first["members"]} == {
        "resident",
        "property",
        "committee",
        "department",
    }


def test_home_page_lists_communities_in_chinese(client) -> None:
    call_command("seed_demo")
    response = client.get("/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "民主村社区" in text
    assert "近期议事会" in text
    assert "长辈版 / 大字" in text
    assert 'lang="zh-Hans"' in text


def test_elder_switch_persists_in_a_cookie_without_javascript(client) -> None:
    response = client.post("/elder-mode/", {"enable": "1", "next": "/"})
    assert response.status_code == 302
    assert response.cookies["sifang_elder"].value == "1"
    page = client.get("/").content.decode()
    assert 'class="elder"' in page
    assert "标准版" in page
    client.post("/elder-mode/", {"enable": "0", "next": "/"})
    assert 'class="elder"' not in client.get("/").content.decode()


def test_elder_switch_refuses_foreign_redirects(client) -> None:
    response = client.post("/elder-mode/", {"enable": "1", "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_admin_login_is_in_simplified_chinese(client) -> None:
    response = client.get("/admin/login/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "登录" in text
    assert "用户名" in text or "密码" in text
