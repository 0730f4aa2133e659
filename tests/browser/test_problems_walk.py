"""The committee turns residents' separate complaints into one common problem (由点及面): confirms
the suggested group, takes it to the council, and checks every building for the same thing.
Screenshots in test-artifacts/problems/."""

from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from playwright.sync_api import Page, expect

from deliberation.models import (
    Category,
    Channel,
    CommonProblem,
    FindingResult,
    Grid,
    Party,
    ProblemStatus,
    Proposal,
    ProposalStatus,
)
from deliberation.problems.services import problems_suggest
from deliberation.proposals.services import proposal_submit
from deliberation.registry.rules import Role
from tests.factories.base import BuildingFactory, CommunityFactory, MemberFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("test-artifacts/problems")
COMPLAINTS = [
    ("1号楼", "楼道里有人给电动车充电", "1号楼楼道里天天有人给电动车充电,很危险。"),
    ("1号楼", "电瓶车飞线充电", "有住户从窗口拉电线给电瓶车充电,请管一管。"),
    ("2号楼", "楼道电动自行车充电", "2号楼楼道停着电动自行车充电,存在火灾隐患。"),
]


@pytest.fixture
def scene():  # type: ignore[no-untyped-def]
    call_command("ensure_roles")
    community = CommunityFactory(slug="liuli", name="琉璃社区")
    user = UserFactory(username="juwei-zhang", display_name="张主任")
    user.groups.add(Group.objects.get(name=Role.FACILITATOR))
    MemberFactory(community=community, user=user, party=Party.COMMITTEE)
    grid = Grid.objects.create(community=community, name="第一网格", code="G1")
    buildings = {
        name: BuildingFactory(community=community, name=name, grid=grid)
        for name in ("1号楼", "2号楼", "3号楼")
    }
    for building, title, body in COMPLAINTS:
        author = MemberFactory(community=community, party=Party.RESIDENT)
        matter = proposal_submit(
            community=community,
            author=author,
            title=title,
            body=body,
            category=Category.SAFETY,
            channel=Channel.ONLINE,
        )
        Proposal.objects.filter(pk=matter.pk).update(building=buildings[building], grid=grid)
    problems_suggest()
    return community


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_committee_confirms_raises_and_checks_every_building(live_server, new_context, scene):  # type: ignore[no-untyped-def]
    page = new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(live_server.url + "/admin/login/")
    page.locator("#id_username").fill("juwei-zhang")
    page.locator("#id_password").fill("sifang-test-pass")
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url(live_server.url + "/admin/")

    page.goto(live_server.url + "/admin/problems/")
    expect(page.get_by_role("heading", name="待确认 (1)")).to_be_visible()
    shot(page, "01-suggested")
    page.get_by_role("link", name="楼道里有人给电动车充电").click()
    page.wait_for_url("**/admin/problems/*/")
    for _building, title, _body in COMPLAINTS:
        expect(page.get_by_role("link", name=title, exact=True)).to_be_visible()
    page.get_by_label("问题名称").fill("楼道电动车充电")
    page.get_by_label("深层原因(找准根源,由点及面)").fill("小区没有集中充电设施")
    shot(page, "02-group")
    page.get_by_role("button", name="确认为共性问题").click()
    expect(page.get_by_text("已确认为共性问题。")).to_be_visible()

    page.get_by_label("议题标题").fill("建设电动自行车集中充电棚")
    page.get_by_role("button", name="提交议事").click()
    expect(page.get_by_text("3 件诉求并入一并办理")).to_be_visible()
    shot(page, "03-raised")
    problem = CommonProblem.objects.get()
    assert problem.status == ProblemStatus.RAISED
    assert set(
        Proposal.objects.filter(merged_into=problem.proposal).values_list("status", flat=True)
    ) == {ProposalStatus.MERGED}

    page.goto(live_server.url + "/admin/problems/")
    page.get_by_label("排查事项").fill("楼道电动车充电排查")
    page.get_by_label("类别").select_option(Category.SAFETY)
    page.get_by_role("button", name="发起排查(列出全部楼栋)").click()
    page.wait_for_url("**/admin/problems/checks/*/")
    row = page.locator("tr", has_text="3号楼")
    row.get_by_label("结果").select_option(FindingResult.FOUND)
    row.get_by_label("情况").fill("四楼楼道两辆电动车充电")
    row.get_by_label("登记为新诉求").check()
    row.get_by_role("button", name="记录").click()
    expect(page.get_by_text("3号楼 的排查结果已记录。")).to_be_visible()
    expect(
        page.locator("tr", has_text="3号楼").get_by_role("link", name="已登记诉求")
    ).to_be_visible()
    shot(page, "04-check")
    raised = Proposal.objects.get(title__startswith="楼道电动车充电排查")
    assert raised.building.name == "3号楼" and raised.channel == Channel.VISIT
