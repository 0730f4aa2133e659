"""Writes of common problems (共性问题) and area checks (排查)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from deliberation import scope
from deliberation.exceptions import InvalidInput, NotPermitted, TransitionNotAllowed
from deliberation.models import (
    AreaCheck,
    AreaCheckFinding,
    Building,
    Category,
    Channel,
    CommonProblem,
    CommonProblemMatter,
    Community,
    FindingResult,
    Party,
    ProblemScan,
    ProblemStatus,
    Proposal,
    User,
)
from deliberation.problems import rules
from deliberation.problems.selectors import (
    GROUPABLE_STATUSES,
    groupable_matters,
    matter_texts,
    taken_matter_ids,
)
from deliberation.problems.similarity import DEFAULT_THRESHOLD, suggest_groups
from deliberation.proposals.services import proposal_accept, proposal_merge, proposal_submit

# --- suggestions (the task worker) ----------------------------------------------------------------


@dataclass(frozen=True)
class SuggestReport:
    compared: int  # new matters read
    created: int  # new suggested problems
    joined: int  # matters added to suggestions that already existed


def problems_suggest(*, threshold: float = DEFAULT_THRESHOLD) -> SuggestReport:
    """Compare the matters that came in since the last scan with the open ones; store groups.

    New matters are those above the scan's watermark; each is compared with the other new ones
    and with the open matters of its community (same category and building or grid). A group
    touching a suggestion that staff have not decided yet joins it; otherwise a group of two or
    more free matters becomes a new suggestion. Matters in a confirmed problem are left alone:
    staff decided that group. The watermark row is locked, so concurrent scans wait.
    """
    with transaction.atomic():
        ProblemScan.objects.get_or_create(pk=1)
        scan = ProblemScan.objects.select_for_update().get(pk=1)
        new_qs = groupable_matters().filter(pk__gt=scan.last_proposal_id)
        new = matter_texts(new_qs)
        if not new:
            return SuggestReport(compared=0, created=0, joined=0)
        community_of = dict(new_qs.values_list("pk", "community_id"))
        existing_qs = groupable_matters(sorted(set(community_of.values()))).filter(
            pk__lte=scan.last_proposal_id
        )
        existing = matter_texts(existing_qs)
        community_of.update(existing_qs.values_list("pk", "community_id"))
        suggestions = suggest_groups(new, existing, threshold=threshold)

        all_ids = [matter_id for s in suggestions for matter_id in s.ids]
        taken = taken_matter_ids(all_ids)
        open_status = dict(
            CommonProblem.objects.filter(pk__in=set(taken.values())).values_list("pk", "status")
        )
        titles = dict(Proposal.objects.filter(pk__in=all_ids).values_list("pk", "title"))
        categories = {m.id: m.category for m in [*new, *existing]}
        created = joined = 0
        links: list[CommonProblemMatter] = []
        for suggestion in suggestions:
            free = [i for i in suggestion.ids if i not in taken]
            undecided = sorted(
                {taken[i] for i in suggestion.ids if i in taken}
                & {pk for pk, status in open_status.items() if status == ProblemStatus.SUGGESTED}
            )
            if undecided:
                target = undecided[0]
                joined += len(free)
            elif len(free) >= 2:
                first = free[0]
                problem = CommonProblem.objects.create(
                    community_id=community_of[first],
                    title=titles[first][:120],
                    category=categories[first],
                    score=round(suggestion.score),
                )
                target = problem.pk
                created += 1
            else:
                continue
            for matter_id in free:
                taken[matter_id] = target
                links.append(CommonProblemMatter(problem_id=target, proposal_id=matter_id))
        CommonProblemMatter.objects.bulk_create(links, ignore_conflicts=True)
        scan.last_proposal_id = max(m.id for m in new)
        scan.scanned_at = timezone.now()
        scan.save(update_fields=["last_proposal_id", "scanned_at"])
    return SuggestReport(compared=len(new), created=created, joined=joined)


# --- staff decisions ------------------------------------------------------------------------------


def _require_manage(actor: User, community: Community) -> None:
    if not rules.can_manage_problems(actor, community):
        raise NotPermitted(_("只有本社区或所属街道的工作人员可以处理共性问题。"))


def _locked(problem: CommonProblem) -> CommonProblem:
    return CommonProblem.objects.select_for_update().get(pk=problem.pk)


def problem_confirm(
    *,
    problem: CommonProblem,
    actor: User,
    keep_ids: Sequence[int],
    title: str,
    cause: str = "",
    split_off: bool = False,
) -> CommonProblem:
    """Confirm a group as one common problem, keeping the matters in ``keep_ids``.

    Leaving matters out is how staff split a group; with ``split_off`` the ones left out (two or
    more) become a suggestion of their own, else they are free again. Nothing changes on a
    refusal (fewer than two kept, a matter not in the group, an empty title).
    """
    _require_manage(actor, problem.community)
    title = title.strip()
    errors: dict[str, list[str]] = {}
    if not title:
        errors["title"] = [_("请填写问题名称。")]
    elif len(title) > 120:
        errors["title"] = [_("问题名称最多 120 个字。")]
    with transaction.atomic():
        locked = _locked(problem)
        if locked.status not in (ProblemStatus.SUGGESTED, ProblemStatus.CONFIRMED):
            raise TransitionNotAllowed(_("该共性问题已提交议事或已排除,不能再调整。"))
        members = set(locked.matters.values_list("proposal_id", flat=True))
        keep = set(keep_ids)
        if not keep <= members:
            errors["keep_ids"] = [_("只能保留本组中的诉求。")]
        elif len(keep) < 2:
            errors["keep_ids"] = [_("共性问题至少包含两件诉求。")]
        if errors:
            raise InvalidInput(_("请检查填写的内容。"), fields=errors)
        left_out = sorted(members - keep)
        locked.matters.filter(proposal_id__in=left_out).delete()
        if split_off and len(left_out) >= 2:
            other = CommonProblem.objects.create(
                community=locked.community,
                title=Proposal.objects.get(pk=left_out[0]).title[:120],
                category=locked.category,
                score=locked.score,
            )
            CommonProblemMatter.objects.bulk_create(
                CommonProblemMatter(problem=other, proposal_id=pk) for pk in left_out
            )
        locked.title = title
        locked.cause = cause.strip()
        locked.status = ProblemStatus.CONFIRMED
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.save(update_fields=["title", "cause", "status", "decided_by", "decided_at"])
    return locked


def problem_dismiss(*, problem: CommonProblem, actor: User) -> CommonProblem:
    """Not one problem after all: the matters go on one by one."""
    _require_manage(actor, problem.community)
    with transaction.atomic():
        locked = _locked(problem)
        if locked.status not in (ProblemStatus.SUGGESTED, ProblemStatus.CONFIRMED):
            raise TransitionNotAllowed(_("该共性问题已提交议事或已排除,不能再调整。"))
        locked.status = ProblemStatus.DISMISSED
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.save(update_fields=["status", "decided_by", "decided_at"])
    return locked


def problem_raise(*, problem: CommonProblem, actor: User, title: str, body: str) -> Proposal:
    """Take a confirmed problem to the council as one matter.

    The committee member raising it is its author (channel: meeting), it is accepted for the
    committee and published at once, and every member matter still open is merged into it: each
    author is told now, and again when it is answered, scheduled or decided.
    """
    community = problem.community
    if not scope.is_committee_member(actor, community):
        raise NotPermitted(_("由社区居委会工作人员将共性问题提交议事。"))
    author = scope.member_of(actor, community)
    assert author is not None
    with transaction.atomic():
        locked = _locked(problem)
        if locked.status != ProblemStatus.CONFIRMED:
            raise TransitionNotAllowed(_("请先确认该共性问题。"))
        proposal = proposal_submit(
            community=community,
            author=author,
            title=title,
            body=body,
            category=locked.category if locked.category in Category.values else Category.OTHER,
            channel=Channel.MEETING,
        )
        proposal_accept(
            proposal=proposal,
            actor=actor,
            category=proposal.category,
            responsible_party=Party.COMMITTEE,
            note=_("共性问题「%(title)s」") % {"title": locked.title},
            publish=True,
        )
        matters = Proposal.objects.filter(
            pk__in=locked.matters.values("proposal_id"), status__in=GROUPABLE_STATUSES
        ).order_by("pk")
        for matter in matters:
            proposal_merge(
                proposal=matter,
                actor=actor,
                into=proposal,
                note=_("作为共性问题「%(title)s」一并办理") % {"title": locked.title},
            )
        locked.proposal = proposal
        locked.status = ProblemStatus.RAISED
        locked.save(update_fields=["proposal", "status"])
    return proposal


# --- area checks ----------------------------------------------------------------------------------


def area_check_open(
    *,
    community: Community,
    actor: User,
    title: str,
    category: str,
    problem: CommonProblem | None = None,
) -> AreaCheck:
    """A checklist with one line per building of the community, all pending."""
    _require_manage(actor, community)
    title = title.strip()
    errors: dict[str, list[str]] = {}
    if not title:
        errors["title"] = [_("请填写排查事项。")]
    if category not in Category.values:
        errors["category"] = [_("请选择类别。")]
    if problem is not None and problem.community_id != community.pk:
        errors["problem"] = [_("只能关联本社区的共性问题。")]
    if errors:
        raise InvalidInput(_("请检查填写的内容。"), fields=errors)
    with transaction.atomic():
        check = AreaCheck.objects.create(
            community=community, title=title, category=category, problem=problem, opened_by=actor
        )
        AreaCheckFinding.objects.bulk_create(
            AreaCheckFinding(area_check=check, building=building)
            for building in Building.objects.filter(community=community)
        )
    return check


def finding_record(
    *,
    finding: AreaCheckFinding,
    actor: User,
    result: str,
    note: str = "",
    raise_matter: bool = False,
) -> AreaCheckFinding:
    """Record what was found at one building; a finding may raise a new matter there.

    A raised matter is entered as a door visit by the recording staff, placed at the building,
    and joins the check's common problem when that one is confirmed.
    """
    check = finding.area_check
    if not rules.can_record_findings(actor, check.community):
        raise NotPermitted(_("只有本社区或所属街道的工作人员可以记录排查结果。"))
    errors: dict[str, list[str]] = {}
    if result not in (FindingResult.CLEAR, FindingResult.FOUND):
        errors["result"] = [_("请选择排查结果。")]
    if raise_matter and result != FindingResult.FOUND:
        errors["raise_matter"] = [_("发现问题时才能登记为新诉求。")]
    if raise_matter and not note.strip():
        errors["note"] = [_("登记新诉求时请写明发现的情况。")]
    if errors:
        raise InvalidInput(_("请检查填写的内容。"), fields=errors)
    with transaction.atomic():
        locked = (
            AreaCheckFinding.objects.select_for_update()
            .select_related("area_check", "building")
            .get(pk=finding.pk)
        )
        if locked.area_check.closed_at is not None:
            raise TransitionNotAllowed(_("排查已结束,不能再记录。"))
        locked.result = result
        locked.note = note.strip()
        locked.checked_by = actor
        locked.checked_at = timezone.now()
        if raise_matter and locked.raised_id is None:
            author = scope.member_of(actor, check.community)
            if author is None:
                raise NotPermitted(_("登记新诉求需由本社区工作人员操作。"))
            building = locked.building
            matter = proposal_submit(
                community=check.community,
                author=author,
                title=f"{check.title}:{building.name}"[:120],
                body=note,
                category=check.category,
                location=building.name,
                channel=Channel.VISIT,
            )
            Proposal.objects.filter(pk=matter.pk).update(
                building=building, grid_id=building.grid_id
            )
            locked.raised = matter
            problem = check.problem
            if problem is not None and problem.status == ProblemStatus.CONFIRMED:
                CommonProblemMatter.objects.get_or_create(problem=problem, proposal=matter)
        locked.save()
    return locked


def area_check_close(*, check: AreaCheck, actor: User) -> AreaCheck:
    _require_manage(actor, check.community)
    with transaction.atomic():
        locked = AreaCheck.objects.select_for_update().get(pk=check.pk)
        if locked.closed_at is None:
            locked.closed_at = timezone.now()
            locked.save(update_fields=["closed_at"])
    return locked
