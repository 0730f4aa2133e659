"""Common problems (由点及面) and area checks, through the services, on both databases."""

import pytest

from deliberation.exceptions import InvalidInput, NotPermitted, TransitionNotAllowed
from deliberation.models import (
    AreaCheckFinding,
    Category,
    CommonProblem,
    FindingResult,
    Grid,
    Notification,
    NotificationKind,
    ProblemStatus,
    Proposal,
    ProposalStatus,
    Street,
    StreetStaff,
)
from deliberation.models.levels import District
from deliberation.problems.services import (
    area_check_close,
    area_check_open,
    finding_record,
    problem_confirm,
    problem_dismiss,
    problem_raise,
    problems_suggest,
)
from deliberation.proposals.services import proposal_answer
from tests.factories.base import BuildingFactory, CommunityFactory, UserFactory
from tests.factories.proposals import resident, staff, submitted

pytestmark = pytest.mark.django_db

EV = [
    "楼道里有人给电动车充电,很危险",
    "楼道电瓶车飞线充电,请管一管",
    "电动自行车在楼道充电有火灾隐患",
]


@pytest.fixture
def place():  # type: ignore[no-untyped-def]
    community = CommunityFactory()
    grid = Grid.objects.create(community=community, name="一网格", code="G1")
    buildings = [BuildingFactory(community=community, name=f"{n}号楼", grid=grid) for n in (1, 2)]
    return community, grid, buildings


def matter(community, building, body, category=Category.SAFETY, title=None):  # type: ignore[no-untyped-def]
    proposal = submitted(community, title=title or body[:20], body=body, category=category)
    Proposal.objects.filter(pk=proposal.pk).update(building=building, grid=building.grid)
    return proposal


def test_the_scan_groups_new_matters_alike_and_reads_each_matter_once(place) -> None:  # type: ignore[no-untyped-def]
    community, _grid, (b1, b2) = place
    ev = [matter(community, b1, EV[0]), matter(community, b2, EV[1])]
    matter(community, b1, "垃圾桶满了没人清理", category=Category.SANITATION)

    report = problems_suggest()
    assert (report.compared, report.created) == (3, 1)
    [problem] = CommonProblem.objects.all()
    assert problem.status == ProblemStatus.SUGGESTED
    assert sorted(problem.matters.values_list("proposal_id", flat=True)) == [p.pk for p in ev]

    assert problems_suggest().compared == 0  # nothing new since

    third = matter(community, b1, EV[2])
    report = problems_suggest()
    assert (report.compared, report.created, report.joined) == (1, 0, 1)
    assert problem.matters.filter(proposal=third).exists()


def test_matters_of_another_community_are_never_grouped(place) -> None:  # type: ignore[no-untyped-def]
    community, _grid, (b1, _b2) = place
    other = CommunityFactory()
    other_building = BuildingFactory(
        community=other, grid=Grid.objects.create(community=other, name="一网格", code="G1")
    )
    matter(community, b1, EV[0])
    matter(other, other_building, EV[1])
    assert problems_suggest().created == 0


def test_staff_confirm_a_group_and_split_off_what_does_not_belong(place) -> None:  # type: ignore[no-untyped-def]
    community, _grid, (b1, b2) = place
    committee = staff(community)
    a, b, c, d = (
        matter(community, b1, EV[0]),
        matter(community, b2, EV[1]),
        matter(community, b1, EV[2]),
        matter(community, b2, EV[0]),
    )
    problems_suggest()
    [problem] = CommonProblem.objects.all()

    with pytest.raises(InvalidInput):
        problem_confirm(problem=problem, actor=committee.user, keep_ids=[a.pk], title="电动车")
    problem.refresh_from_db()
    assert problem.status == ProblemStatus.SUGGESTED and problem.matters.count() == 4

    confirmed = problem_confirm(
        problem=problem,
        actor=committee.user,
        keep_ids=[a.pk, b.pk],
        title="楼道电动车充电",
        cause="缺少集中充电设施",
        split_off=True,
    )
    assert confirmed.status == ProblemStatus.CONFIRMED
    assert confirmed.decided_by == committee.user
    assert sorted(confirmed.matters.values_list("proposal_id", flat=True)) == [a.pk, b.pk]
    other = CommonProblem.objects.exclude(pk=problem.pk).get()
    assert other.status == ProblemStatus.SUGGESTED
    assert sorted(other.matters.values_list("proposal_id", flat=True)) == [c.pk, d.pk]

    problem_dismiss(problem=other, actor=committee.user)
    with pytest.raises(TransitionNotAllowed):
        problem_confirm(problem=other, actor=committee.user, keep_ids=[c.pk, d.pk], title="x")


def test_only_the_community_or_its_street_decide(place) -> None:  # type: ignore[no-untyped-def]
    community, _grid, (b1, b2) = place
    matter(community, b1, EV[0])
    matter(community, b2, EV[1])
    problems_suggest()
    problem = CommonProblem.objects.get()
    ids = list(problem.matters.values_list("proposal_id", flat=True))
    for outsider in (resident(community).user, staff(CommunityFactory()).user):
        with pytest.raises(NotPermitted):
            problem_confirm(problem=problem, actor=outsider, keep_ids=ids, title="电动车")

    street = Street.objects.create(
        district=District.objects.create(name="示范区", code="d"), name="示范街道", code="s"
    )
    community.street = street
    community.save()
    street_user = UserFactory()
    StreetStaff.objects.create(street=street, user=street_user)
    problem.community.refresh_from_db()
    confirmed = problem_confirm(problem=problem, actor=street_user, keep_ids=ids, title="电动车")
    assert confirmed.status == ProblemStatus.CONFIRMED


def test_a_raised_problem_answers_every_member_matter_and_tells_each_author(place) -> None:  # type: ignore[no-untyped-def]
    community, _grid, (b1, b2) = place
    committee = staff(community)
    members = [matter(community, b1, EV[0]), matter(community, b2, EV[1])]
    problems_suggest()
    problem = problem_confirm(
        problem=CommonProblem.objects.get(),
        actor=committee.user,
        keep_ids=[m.pk for m in members],
        title="楼道电动车充电",
    )
    council = problem_raise(
        problem=problem,
        actor=committee.user,
        title="集中建设电动车充电棚",
        body="多名居民反映楼道充电,拟提交议事会讨论选址。",
    )
    problem.refresh_from_db()
    assert problem.status == ProblemStatus.RAISED and problem.proposal == council
    assert council.status == ProposalStatus.ACCEPTED and council.live
    for member in members:
        member.refresh_from_db()
        assert member.status == ProposalStatus.MERGED and member.merged_into == council
        assert Notification.objects.filter(
            recipient=member.author.user, kind=NotificationKind.PROPOSAL_MERGED
        ).exists()

    proposal_answer(proposal=council, actor=committee.user, answer="已在2号楼北侧建设充电棚。")
    for member in members:
        [note] = Notification.objects.filter(
            recipient=member.author.user, kind=NotificationKind.PROPOSAL_ANSWERED
        )
        assert "集中建设电动车充电棚" in note.title

    with pytest.raises(TransitionNotAllowed):
        problem_raise(problem=problem, actor=committee.user, title="再次", body="再次")


def test_an_area_check_lists_every_building_and_a_finding_raises_a_matter(place) -> None:  # type: ignore[no-untyped-def]
    community, grid, (b1, b2) = place
    committee = staff(community)
    check = area_check_open(
        community=community,
        actor=committee.user,
        title="楼道电动车充电排查",
        category=Category.SAFETY,
    )
    findings = list(check.findings.order_by("building__name"))
    assert [f.building for f in findings] == [b1, b2]
    assert all(f.result == FindingResult.PENDING for f in findings)

    with pytest.raises(InvalidInput):
        finding_record(
            finding=findings[0], actor=committee.user, result=FindingResult.FOUND, raise_matter=True
        )  # no note: nothing recorded
    assert AreaCheckFinding.objects.get(pk=findings[0].pk).result == FindingResult.PENDING

    found = finding_record(
        finding=findings[0],
        actor=committee.user,
        result=FindingResult.FOUND,
        note="三楼两辆电动车楼道充电",
        raise_matter=True,
    )
    assert found.raised is not None
    raised = Proposal.objects.get(pk=found.raised_id)
    assert (raised.building, raised.grid, raised.channel) == (b1, grid, "visit")
    finding_record(finding=findings[1], actor=committee.user, result=FindingResult.CLEAR)

    area_check_close(check=check, actor=committee.user)
    with pytest.raises(TransitionNotAllowed):
        finding_record(finding=findings[1], actor=committee.user, result=FindingResult.FOUND)
    with pytest.raises(NotPermitted):
        area_check_open(
            community=community, actor=resident(community).user, title="x", category=Category.SAFETY
        )
