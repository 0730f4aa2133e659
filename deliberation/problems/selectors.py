"""Reads of common problems and area checks."""

from django.db.models import Count, Prefetch, Q, QuerySet

from deliberation.models import (
    AreaCheck,
    AreaCheckFinding,
    CommonProblem,
    CommonProblemMatter,
    Community,
    FindingResult,
    ProblemStatus,
    Proposal,
    ProposalStatus,
)
from deliberation.problems.similarity import MatterText

# Matters still open to grouping: not settled, not merged, not yet on an agenda.
GROUPABLE_STATUSES = (ProposalStatus.SUBMITTED, ProposalStatus.ACCEPTED)
# A matter in a problem with one of these statuses is taken.
OPEN_PROBLEM_STATUSES = (ProblemStatus.SUGGESTED, ProblemStatus.CONFIRMED)


def matter_texts(proposals: QuerySet[Proposal]) -> list[MatterText]:
    """What the similarity core needs of each matter, in one query."""
    rows = proposals.values_list(
        "pk", "category", "title", "body", "building_id", "grid_id", "building__grid_id"
    )
    return [
        MatterText(
            id=pk,
            category=category,
            text=f"{title} {body}",
            building_id=building_id,
            grid_id=grid_id or building_grid_id,
        )
        for pk, category, title, body, building_id, grid_id, building_grid_id in rows
    ]


def groupable_matters(community_ids: list[int] | None = None) -> QuerySet[Proposal]:
    qs = Proposal.objects.filter(status__in=GROUPABLE_STATUSES)
    if community_ids is not None:
        qs = qs.filter(community_id__in=community_ids)
    return qs


def taken_matter_ids(proposal_ids: list[int]) -> dict[int, int]:
    """Matter id → the open problem holding it, for those of ``proposal_ids`` that are taken."""
    rows = CommonProblemMatter.objects.filter(
        proposal_id__in=proposal_ids, problem__status__in=OPEN_PROBLEM_STATUSES
    ).values_list("proposal_id", "problem_id")
    return dict(rows)


def problems_for_communities(communities: QuerySet[Community]) -> QuerySet[CommonProblem]:
    """Problems of ``communities`` for the staff list: member counts in the same query."""
    return (
        CommonProblem.objects.filter(community__in=communities)
        .select_related("community", "proposal")
        .annotate(matter_count=Count("matters"))
        .order_by("status", "-score", "-created_at")
    )


def problem_with_matters(problem_id: int) -> CommonProblem:
    matters = CommonProblemMatter.objects.select_related(
        "proposal__author__user", "proposal__building", "proposal__grid"
    ).order_by("proposal__submitted_at")
    return (
        CommonProblem.objects.select_related("community", "proposal", "decided_by")
        .prefetch_related(Prefetch("matters", queryset=matters))
        .get(pk=problem_id)
    )


def checks_for_communities(communities: QuerySet[Community]) -> QuerySet[AreaCheck]:
    return (
        AreaCheck.objects.filter(community__in=communities)
        .select_related("community", "problem")
        .annotate(
            building_count=Count("findings"),
            checked_count=Count("findings", filter=~Q(findings__result=FindingResult.PENDING)),
            found_count=Count("findings", filter=Q(findings__result=FindingResult.FOUND)),
        )
    )


def check_with_findings(check_id: int) -> AreaCheck:
    findings = AreaCheckFinding.objects.select_related(
        "building__grid", "checked_by", "raised"
    ).order_by("building__name")
    return (
        AreaCheck.objects.select_related("community", "problem", "opened_by")
        .prefetch_related(Prefetch("findings", queryset=findings))
        .get(pk=check_id)
    )
