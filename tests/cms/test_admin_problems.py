"""The common-problems admin pages as the committee uses them."""

import pytest
from django.urls import reverse

from deliberation.models import (
    Category,
    CommonProblem,
    FindingResult,
    Grid,
    ProblemStatus,
    Proposal,
    ProposalStatus,
)
from deliberation.problems.services import problems_suggest
from tests.factories.base import BuildingFactory, CommunityFactory
from tests.factories.proposals import staff, submitted

pytestmark = pytest.mark.django_db

EV = [
    "楼道里有人给电动车充电,很危险",
    "楼道电瓶车飞线充电,请管一管",
    "电动自行车在楼道充电有火灾隐患",
]


def _world(groups: int):  # type: ignore[no-untyped-def]
    community = CommunityFactory()
    committee = staff(community)
    for n in range(groups):
        grid = Grid.objects.create(community=community, name=f"{n}网格", code=f"G{n}")
        building = BuildingFactory(community=community, name=f"{n}号楼", grid=grid)
        for text in EV:
            matter = submitted(community, title=text[:20], body=text, category=Category.SAFETY)
            Proposal.objects.filter(pk=matter.pk).update(building=building, grid=grid)
    problems_suggest()
    return community, committee


@pytest.mark.parametrize("groups", [1, 6])
def test_the_index_lists_suggestions_in_a_fixed_number_of_queries(
    client, django_assert_max_num_queries, groups
) -> None:  # type: ignore[no-untyped-def]
    _community, committee = _world(groups)
    assert CommonProblem.objects.count() == groups
    client.force_login(committee.user)
    # Admin chrome plus a fixed number of list queries; the same bound at both sizes.
    with django_assert_max_num_queries(35):
        response = client.get(reverse("problems_index"))
    assert response.status_code == 200
    assert response.content.decode().count("楼道里有人给电动车充电") == groups


def test_committee_confirms_raises_and_checks_the_area(client) -> None:  # type: ignore[no-untyped-def]
    community, committee = _world(1)
    problem = CommonProblem.objects.get()
    ids = list(problem.matters.values_list("proposal_id", flat=True))
    client.force_login(committee.user)

    page = client.get(reverse("problems_detail", args=[problem.pk])).content.decode()
    assert "电瓶车飞线充电" in page

    # Keep two, split off nothing: the third goes back to being a single matter.
    response = client.post(
        reverse("problems_confirm", args=[problem.pk]),
        {"keep": ids[:2], "title": "楼道电动车充电", "cause": "缺少集中充电设施"},
    )
    assert response.status_code == 302
    problem.refresh_from_db()
    assert problem.status == ProblemStatus.CONFIRMED and problem.matters.count() == 2

    # An empty title is refused with a message and nothing is raised.
    response = client.post(
        reverse("problems_raise", args=[problem.pk]), {"title": "", "body": ""}, follow=True
    )
    assert "请填写标题" in response.content.decode()
    assert CommonProblem.objects.get().status == ProblemStatus.CONFIRMED

    client.post(
        reverse("problems_raise", args=[problem.pk]),
        {"title": "集中建设电动车充电棚", "body": "拟提交议事会讨论选址。"},
    )
    problem.refresh_from_db()
    assert problem.status == ProblemStatus.RAISED
    merged = Proposal.objects.filter(pk__in=ids[:2])
    assert {m.status for m in merged} == {ProposalStatus.MERGED}
    assert Proposal.objects.get(pk=ids[2]).status == ProposalStatus.SUBMITTED

    response = client.post(
        reverse("problems_check_new"),
        {
            "community": community.slug,
            "title": "楼道充电排查",
            "category": Category.SAFETY,
            "problem": problem.pk,
        },
    )
    check_url = response["Location"]
    page = client.get(check_url).content.decode()
    assert "0号楼" in page
    finding = problem.checks.get().findings.get()
    client.post(
        reverse("problems_check_record", args=[finding.area_check_id]),
        {
            "finding": finding.pk,
            "result": FindingResult.FOUND,
            "note": "四楼电动车充电",
            "raise_matter": "1",
        },
    )
    finding.refresh_from_db()
    assert finding.result == FindingResult.FOUND and finding.raised is not None


def test_other_communities_staff_are_refused(client) -> None:  # type: ignore[no-untyped-def]
    _community, _committee = _world(1)
    problem = CommonProblem.objects.get()
    outsider = staff(CommunityFactory())
    client.force_login(outsider.user)
    # Wagtail answers a PermissionDenied with a redirect to the dashboard and its message.
    response = client.get(reverse("problems_detail", args=[problem.pk]))
    assert (response.status_code, response["Location"]) == (302, reverse("wagtailadmin_home"))
    response = client.post(reverse("problems_dismiss", args=[problem.pk]))
    assert (response.status_code, response["Location"]) == (302, reverse("wagtailadmin_home"))
    assert CommonProblem.objects.get().status == ProblemStatus.SUGGESTED
