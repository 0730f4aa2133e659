"""The pages of dispatch: the unit's queue and dispatch page (phone), the committee's send and
transfer page, the register of units; refusals keep what was typed (issue 14 points 3 and 6)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from deliberation.dispatch import services as svc
from deliberation.models import Dispatch, DispatchStatus, ResponsibleUnit, UnitStaff
from deliberation.proposals.services import proposal_publish, proposal_submit
from tests.factories.base import MemberFactory
from tests.factories.dispatch import (
    DispatchWorld,
    ResponsibleUnitFactory,
    dispatch_world,
    unit_staff,
)
from tests.factories.proposals import staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def w() -> DispatchWorld:
    return dispatch_world()


def _client(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def _refused_in_admin(response) -> bool:  # type: ignore[no-untyped-def]
    """Wagtail answers a PermissionDenied in the admin with a redirect to the admin home."""
    return response.status_code == 403 or (
        response.status_code == 302 and response["Location"] == reverse("wagtailadmin_home")
    )


def _send(w: DispatchWorld, title: str, unit=None, at=None) -> Dispatch:  # type: ignore[no-untyped-def]
    proposal = proposal_submit(
        community=w.community, author=w.author, title=title, body="内容", category="facilities"
    )
    return svc.dispatch_create(
        proposal=proposal, unit=unit or w.water, actor=w.committee, now=at or timezone.now()
    )


def test_queue_shows_only_the_units_own_with_overdue_marks(w: DispatchWorld) -> None:
    late = _send(w, "超期的派件", at=timezone.now() - dt.timedelta(hours=30))
    _send(w, "按时的派件")
    _send(w, "供电的派件", unit=w.power)
    page = _client(w.water_staff).get(reverse("dispatch-queue"))
    text = page.content.decode()
    assert page.status_code == 200
    assert "超期的派件" in text and "按时的派件" in text
    assert "供电的派件" not in text
    assert text.count("已超期") == 1
    assert reverse("dispatch-detail", args=[late.pk]) in text


def test_queue_is_for_unit_staff_only(w: DispatchWorld) -> None:
    assert _client(w.committee).get(reverse("dispatch-queue")).status_code == 403
    assert _client(w.author.user).get(reverse("dispatch-queue")).status_code == 403
    assert Client().get(reverse("dispatch-queue")).status_code == 302


def test_queue_query_count_does_not_grow(w: DispatchWorld, django_assert_max_num_queries) -> None:
    client = _client(w.water_staff)
    _send(w, "第一件")
    client.get(reverse("dispatch-queue"))  # warm the session and site caches
    with django_assert_max_num_queries(12) as small:
        client.get(reverse("dispatch-queue"))
    for n in range(8):
        _send(w, f"更多派件{n}")
    with django_assert_max_num_queries(len(small.captured_queries)):
        page = client.get(reverse("dispatch-queue"))
    assert page.content.decode().count("查看与办理") == 9


def test_other_units_and_staff_get_not_found(w: DispatchWorld) -> None:
    dispatch = _send(w, "水管漏水")
    url = reverse("dispatch-detail", args=[dispatch.pk])
    for user in (w.power_staff, w.committee, w.author.user):
        assert _client(user).get(url).status_code == 404
        assert _client(user).post(url, {"action": "claim"}).status_code == 404
    assert Dispatch.objects.get(pk=dispatch.pk).status == DispatchStatus.DISPATCHED


def test_claim_feedback_complete_through_the_page(w: DispatchWorld) -> None:
    dispatch = _send(w, "水管漏水")
    url = reverse("dispatch-detail", args=[dispatch.pk])
    first, second = _client(w.water_staff), _client(w.water_staff2)
    assert "我来认领" in first.get(url).content.decode()
    assert first.post(url, {"action": "claim"}).status_code == 303
    refused = second.post(url, {"action": "claim"})
    assert refused.status_code == 400
    assert "水司张工" in refused.content.decode()  # already claimed by the first
    empty = first.post(url, {"action": "feedback", "note": ""})
    assert empty.status_code == 400
    assert first.post(url, {"action": "feedback", "note": "已派人到场"}).status_code == 303
    assert first.post(url, {"action": "complete", "report": "已修复"}).status_code == 303
    dispatch.refresh_from_db()
    assert (dispatch.status, dispatch.claimed_by) == (DispatchStatus.COMPLETED, w.water_staff)
    page = first.get(url).content.decode()
    assert "已派人到场" in page and "自来水公司 认领" in page


def test_late_claim_and_third_return_are_refused_and_keep_the_text(w: DispatchWorld) -> None:
    late = _send(w, "超期", at=timezone.now() - dt.timedelta(hours=30))
    answer = _client(w.water_staff).post(
        reverse("dispatch-detail", args=[late.pk]), {"action": "claim"}
    )
    assert answer.status_code == 400
    assert "超过认领期限" in answer.content.decode()

    first = _send(w, "反复退件", unit=w.water)
    proposal = first.proposal
    svc.dispatch_return(dispatch=first, actor=w.water_staff, reason="不归供水")
    second = svc.dispatch_create(proposal=proposal, unit=w.power, actor=w.committee)
    svc.dispatch_return(dispatch=second, actor=w.power_staff, reason="不归供电")
    third = svc.dispatch_create(proposal=proposal, unit=w.water, actor=w.street_user)
    reason = "我们认为应由物业办理,理由很长很详细"
    answer = _client(w.water_staff).post(
        reverse("dispatch-detail", args=[third.pk]), {"action": "return", "reason": reason}
    )
    text = answer.content.decode()
    assert answer.status_code == 400
    assert "不能再退件" in text
    assert reason in text  # what was typed is still in the form
    assert Dispatch.objects.get(pk=third.pk).status == DispatchStatus.DISPATCHED


def test_committee_dispatches_and_a_unit_not_serving_is_refused(w: DispatchWorld) -> None:
    proposal = proposal_publish(
        proposal=proposal_submit(
            community=w.community, author=w.author, title="路灯不亮", body="路灯", category="safety"
        ),
        actor=w.committee,
    )
    url = reverse("dispatch_admin_proposal", args=[proposal.pk])
    client = _client(w.committee)
    page = client.get(url).content.decode()
    assert "自来水公司" in page and "远方物业" not in page  # only units serving the community
    refused = client.post(url, {"action": "dispatch", "unit": w.far.pk, "note": "请尽快处理"})
    assert refused.status_code == 400
    assert "不服务" in refused.content.decode()
    assert "请尽快处理" in refused.content.decode()
    assert not Dispatch.objects.filter(proposal=proposal).exists()
    done = client.post(url, {"action": "dispatch", "unit": w.power.pk, "note": "请尽快处理"})
    assert done.status_code == 303
    dispatch = Dispatch.objects.get(proposal=proposal)
    moved = client.post(
        url, {"action": "transfer", "dispatch": dispatch.pk, "unit": w.water.pk, "note": ""}
    )
    assert moved.status_code == 303
    assert list(Dispatch.objects.filter(proposal=proposal).values_list("status", flat=True)) == [
        "dispatched",
        "transferred",
    ]
    public = Client().get(reverse("proposal-detail", args=[w.community.slug, proposal.pk]))
    assert "派件至供电公司" in public.content.decode()
    assert "供电公司 转派" in public.content.decode()
    listing = client.get(reverse("dispatch_admin_list")).content.decode()
    assert "路灯不亮" in listing


def test_other_committee_cannot_dispatch_here(w: DispatchWorld) -> None:
    outsider = staff(w.other).user
    url = reverse("dispatch_admin_proposal", args=[w.proposal.pk])
    assert _refused_in_admin(_client(outsider).get(url))
    assert _refused_in_admin(
        _client(outsider).post(url, {"action": "dispatch", "unit": w.water.pk})
    )
    assert not Dispatch.objects.exists()


def test_register_of_units(w: DispatchWorld) -> None:
    w.street_user.user_permissions.add(
        Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin")
    )
    committee, street = _client(w.committee), _client(w.street_user)
    listing = committee.get(reverse("dispatch_admin_units")).content.decode()
    assert "自来水公司" in listing and "远方物业" not in listing
    unit_url = reverse("dispatch_admin_unit", args=[w.water.pk])
    assert committee.get(unit_url).status_code == 200
    assert _refused_in_admin(committee.post(unit_url, {"action": "save", "name": "改名"}))
    assert ResponsibleUnit.objects.get(pk=w.water.pk).name == "自来水公司"
    assert _refused_in_admin(committee.get(reverse("dispatch_admin_unit_new")))
    created = street.post(
        reverse("dispatch_admin_unit_new"),
        {"name": "城管中队", "kind": "city_management", "communities": [w.community.pk]},
    )
    assert created.status_code == 303
    unit = ResponsibleUnit.objects.get(name="城管中队")
    assert list(unit.communities.all()) == [w.community]
    member = MemberFactory(community=w.community)
    added = street.post(
        reverse("dispatch_admin_unit", args=[unit.pk]),
        {"action": "add_staff", "username": member.user.username, "title": "队员"},
    )
    assert added.status_code == 303
    assert UnitStaff.objects.filter(unit=unit, user=member.user).exists()
    unknown = street.post(
        reverse("dispatch_admin_unit", args=[unit.pk]),
        {"action": "add_staff", "username": "nobody-here", "title": "队员"},
    )
    assert unknown.status_code == 400 and "找不到该账号" in unknown.content.decode()
    limits = street.post(
        reverse("dispatch_admin_limits"),
        {"category": "parking", "claim_hours": 4, "feedback_days": 2, "return_hours": 2},
    )
    assert limits.status_code == 303
    assert svc.limits_for(street_id=w.street.pk, category="parking").claim_hours == 4


def test_admin_lists_query_count_does_not_grow(
    w: DispatchWorld, django_assert_max_num_queries
) -> None:
    client = _client(w.committee)
    _send(w, "第一件")
    pages = [reverse("dispatch_admin_list") + "?all=1", reverse("dispatch_admin_units")]
    counts = {}
    for url in pages:
        client.get(url)  # warm the session and site caches
        with django_assert_max_num_queries(40) as small:
            client.get(url)
        counts[url] = len(small.captured_queries)
    for n in range(6):
        _send(w, f"更多派件{n}", unit=w.power if n % 2 else w.water)
        unit = ResponsibleUnitFactory(name=f"新单位{n}", serves=[w.community])
        unit_staff(unit)
    for url in pages:
        with django_assert_max_num_queries(counts[url]):
            page = client.get(url)
        assert page.status_code == 200
    listing = client.get(pages[0]).content.decode()
    assert listing.count("更多派件") == 6
    assert client.get(pages[1]).content.decode().count("新单位") == 6


def test_queue_is_cached_per_session_until_the_next_dispatch(w: DispatchWorld, settings) -> None:  # type: ignore[no-untyped-def]
    from django.core.cache import cache

    from cms.page_cache import HEADER

    settings.SIFANG_PAGE_CACHE = True
    cache.clear()
    _send(w, "第一件")
    water = _client(w.water_staff)
    assert water.get(reverse("dispatch-queue"))[HEADER] == "miss"
    assert water.get(reverse("dispatch-queue"))[HEADER] == "hit"
    # Another unit's staff never gets the water unit's page.
    power = _client(w.power_staff).get(reverse("dispatch-queue"))
    assert power[HEADER] == "miss" and "第一件" not in power.content.decode()
    _send(w, "第二件")
    page = water.get(reverse("dispatch-queue"))
    assert page[HEADER] == "miss"
    assert "第二件" in page.content.decode()
    cache.clear()
