"""Writes of the proposal life: intake from every channel, triage, publication, seconds, options.

Every change of ``Proposal.status`` goes through :func:`proposal_transition`, which consults the
table in ``deliberation.proposals.transitions`` under a row lock and records a
``ProposalTransition``.
Publication is Wagtail's own: a submitted matter is saved as a revision and put into the
proposal moderation workflow; it becomes public (``live``) when staff approve it.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.models import Workflow, WorkflowContentType, WorkflowTask

from deliberation import scope
from deliberation.exceptions import InvalidInput, NotPermitted, TransitionNotAllowed
from deliberation.grids import rules as grid_rules
from deliberation.models import (
    Building,
    CaseCounter,
    Category,
    Channel,
    Community,
    Grid,
    Member,
    Party,
    Proposal,
    ProposalModerationTask,
    ProposalOption,
    ProposalPhoto,
    ProposalStatus,
    ProposalTransition,
    Second,
    SharingRule,
    User,
)
from deliberation.notifications.services import notify_proposal_transition
from deliberation.photos import clean_photo, clean_photos
from deliberation.proposals import rules as proposal_rules
from deliberation.proposals.transitions import OPEN_STATUSES, check_transition, settable_fields
from deliberation.registry.selectors import building_for_text
from deliberation.sanitize import clean_rich_text, to_plain_text

MODERATION_WORKFLOW_NAME = "议题发布审核"
MODERATION_TASK_NAME = "社区工作人员审核"
MAX_OPTIONS = 10
TITLE_MAX = 120

# --- the shared interface -------------------------------------------------------------------------


def proposal_transition(
    *,
    proposal: Proposal,
    to_status: str,
    actor: User | None,
    note: str = "",
    **fields: Any,
) -> Proposal:
    """Move ``proposal`` to ``to_status`` as the transition table allows, and record it.

    ``fields`` are the values the target status sets (accepted: ``category``,
    ``responsible_party``; answered: ``answer``; rejected: ``reject_reason``; merged:
    ``merged_into``). The row is locked for the change, so two staff acting at once cannot both
    move it. Raises :class:`TransitionNotAllowed` for a step outside the table, a missing or
    unexpected field; the proposal is then unchanged. Permissions are the caller's concern
    (meetings and votes call this directly; staff triage goes through the ``proposal_*`` wrappers).
    """
    with transaction.atomic():
        locked = Proposal.objects.select_for_update().get(pk=proposal.pk)
        check = check_transition(locked.status, to_status, fields)
        if not check.allowed:
            raise TransitionNotAllowed(check.reason, code=check.code)
        _validate_transition_fields(locked, to_status, fields)
        from_status = locked.status
        locked.status = to_status
        update_fields = ["status"]
        for name, value in fields.items():
            setattr(locked, name, value)
            update_fields.append(name)
        if from_status == ProposalStatus.SUBMITTED and locked.responded_at is None:
            locked.responded_at = timezone.now()
            update_fields.append("responded_at")
        locked.save(update_fields=update_fields)
        transition = ProposalTransition.objects.create(
            proposal=locked,
            from_status=from_status,
            to_status=to_status,
            actor=actor,
            note=note.strip(),
        )
        notify_proposal_transition(proposal=locked, transition=transition)
    for name in ["status", "responded_at", *settable_fields(to_status)]:
        setattr(proposal, name, getattr(locked, name))
    return proposal


def _validate_transition_fields(proposal: Proposal, to_status: str, fields: dict[str, Any]) -> None:
    if "category" in fields and fields["category"] not in Category.values:
        raise TransitionNotAllowed(_("类别无效。"), code="invalid")
    if "responsible_party" in fields and fields["responsible_party"] not in Party.values:
        raise TransitionNotAllowed(_("责任方无效。"), code="invalid")
    for name in ("answer", "reject_reason"):
        if name in fields:
            fields[name] = clean_rich_text(str(fields[name]))
            if not to_plain_text(fields[name]):
                raise TransitionNotAllowed(_("请填写内容。"), code="invalid")
    if "merged_into" in fields:
        target = fields["merged_into"]
        if not isinstance(target, Proposal):
            raise TransitionNotAllowed(_("请选择要合并到的议题。"), code="invalid")
        if target.pk == proposal.pk or target.community_id != proposal.community_id:
            raise TransitionNotAllowed(_("只能合并到本社区的另一个议题。"), code="invalid")
        if target.status == ProposalStatus.MERGED:
            raise TransitionNotAllowed(_("不能合并到已被合并的议题。"), code="invalid")


# --- intake --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OptionInput:
    """One plan (方案) of a proposal as entered by staff."""

    title: str
    description: str = ""
    cost_estimate: Decimal | str | None = None
    sharing_rule: str = ""
    paying_party: str = ""
    pros: str = ""
    cons: str = ""
    image: IO[bytes] | None = None
    scope_building: Building | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _error(fields: dict[str, list[str]]) -> InvalidInput:
    first = next(iter(fields.values()))[0]
    return InvalidInput(first, fields=fields)


def proposal_submit(
    *,
    community: Community,
    author: Member,
    title: str,
    body: str,
    category: str = Category.OTHER,
    location: str = "",
    channel: str = Channel.ONLINE,
    entered_by: User | None = None,
    show_full_name: bool | None = None,
    photos: Sequence[IO[bytes]] = (),
    options: Sequence[OptionInput] = (),
    building: Building | None = None,
) -> Proposal:
    """Raise a matter through any channel; it waits, unpublished, for moderation and triage.

    Every matter gets its case number (:func:`case_number_next`) and its place: ``building``
    when given (it must be of ``community``), else the building whose name or code the
    ``location`` text names; the grid is that building's.

    ``author`` is the person the matter comes from. Online, they submit it themselves
    (``entered_by`` unset or their own user). Through any other channel (hotline, suggestion box,
    door visit, photo report, meeting) community staff type it in and are named as
    ``entered_by``. Options may only be carried by proposals of the property company, departments
    or community staff. Photos and option images are validated before anything is stored; on any
    :class:`InvalidInput` nothing is written. Raises :class:`NotPermitted` when the person entering
    may not act for the author.
    """
    errors: dict[str, list[str]] = {}
    if author.community_id != community.pk:
        raise NotPermitted(_("提出人不是本社区成员。"))
    actor = entered_by or author.user
    on_behalf = entered_by is not None and entered_by.pk != author.user_id
    if channel not in Channel.values:
        errors["channel"] = [_("请选择渠道。")]
    elif (
        channel != Channel.ONLINE
        and not on_behalf
        and not proposal_rules.can_enter_on_behalf(actor, community, channel)
    ):
        errors["channel"] = [_("热线、意见箱、走访、随手拍和会议渠道由社区工作人员代为录入。")]
    if (
        on_behalf
        and entered_by is not None
        and not proposal_rules.can_enter_on_behalf(entered_by, community, channel)
    ):
        raise NotPermitted(_("只有社区工作人员可以代居民录入议题。"))
    if on_behalf and channel == Channel.ONLINE:
        errors["channel"] = [_("代为录入时请注明渠道(热线、意见箱、走访、随手拍或会议)。")]
    title = (title or "").strip()
    if not title:
        errors["title"] = [_("请填写标题。")]
    elif len(title) > TITLE_MAX:
        errors["title"] = [_("标题最多 %(count)s 个字。") % {"count": TITLE_MAX}]
    body_html = clean_rich_text(body or "")
    if not to_plain_text(body_html):
        errors["body"] = [_("请填写内容。")]
    if category not in Category.values:
        errors["category"] = [_("请选择类别。")]
    location = (location or "").strip()
    if len(location) > 120:
        errors["location"] = [_("地点最多 120 个字。")]
    if building is not None and building.community_id != community.pk:
        errors["building"] = [_("该楼栋不属于本社区。")]
    if options and not proposal_rules.can_submit_options(actor, community):
        errors["options"] = [_("只有物业、职能部门和社区工作人员可以提出多个方案。")]
    if len(options) > MAX_OPTIONS:
        errors["options"] = [_("最多 %(count)s 个方案。") % {"count": MAX_OPTIONS}]
    if errors:
        raise _error(errors)
    clean = clean_photos(list(photos))
    prepared_options = [_prepare_option(community, option) for option in options]
    if building is None and location:
        building = building_for_text(community=community, text=location)

    with transaction.atomic():
        proposal = Proposal.objects.create(
            community=community,
            case_number=case_number_next(community),
            title=title,
            body=body_html,
            category=category,
            location=location,
            building=building,
            grid_id=building.grid_id if building is not None else None,
            channel=channel,
            party=author.party,
            author=author,
            entered_by=entered_by if on_behalf else None,
            show_full_name=author.show_full_name if show_full_name is None else show_full_name,
            live=False,
            has_unpublished_changes=True,
        )
        for order, photo in enumerate(clean):
            ProposalPhoto.objects.create(
                proposal=proposal,
                image=photo.content,
                width=photo.width,
                height=photo.height,
                sort_order=order,
            )
        for order, (values, image) in enumerate(prepared_options):
            option = ProposalOption(proposal=proposal, sort_order=order, **values)
            if image is not None:
                option.image.save(image.content.name, image.content, save=False)
            option.save()
        note = str(Channel(channel).label)
        if on_behalf:
            note = _("%(channel)s,由工作人员代为录入") % {"channel": note}
        ProposalTransition.objects.create(
            proposal=proposal,
            from_status="",
            to_status=ProposalStatus.SUBMITTED,
            actor=actor,
            note=str(note),
        )
        proposal.save_revision(user=actor, log_action=True)
        proposal_moderation_workflow().start(proposal, actor)
    return proposal


def case_number_next(community: Community) -> str:
    """The next case number of ``community`` this month: ``<slug>-<yyyymm>-<seq>``.

    Call inside the transaction that stores the matter: the month's counter row is created once
    (its unique constraint settles a race) and incremented under its row lock, so two intakes at
    once never get the same number and a rolled-back intake gives its number back.
    """
    period = timezone.localdate().strftime("%Y%m")
    with transaction.atomic():
        try:
            with transaction.atomic():
                CaseCounter.objects.get_or_create(community=community, period=period)
        except IntegrityError:  # created by a concurrent intake meanwhile
            pass
        counter = CaseCounter.objects.select_for_update().get(community=community, period=period)
        CaseCounter.objects.filter(pk=counter.pk).update(last=F("last") + 1)
        seq = counter.last + 1
    return f"{community.slug}-{period}-{seq:04d}"


def proposal_locate(
    *,
    proposal: Proposal,
    actor: User,
    building: Building | None,
    grid: Grid | None,
    note: str = "",
) -> Proposal:
    """Correct where a matter is: its building and grid (the grid defaults to the building's).

    The committee of its community or street staff over it (``grids.rules``). Logged on the
    matter's timeline as a step that keeps its status. Raises :class:`NotPermitted`, or
    :class:`InvalidInput` for a building or grid of another community.
    """
    if not grid_rules.can_correct_location(actor, proposal):
        raise NotPermitted(_("只有本社区或所属街道的工作人员可以更正议题位置。"))
    errors: dict[str, list[str]] = {}
    if building is not None and building.community_id != proposal.community_id:
        errors["building"] = [_("该楼栋不属于本社区。")]
    if grid is None and building is not None:
        grid = building.grid
    if grid is not None and grid.community_id != proposal.community_id:
        errors["grid"] = [_("该网格不属于本社区。")]
    if errors:
        raise _error(errors)
    with transaction.atomic():
        locked = Proposal.objects.select_for_update().get(pk=proposal.pk)
        locked.building = building
        locked.grid = grid
        locked.save(update_fields=["building", "grid"])
        where = _("楼栋:%(building)s;网格:%(grid)s") % {
            "building": building.name if building is not None else _("未指定"),
            "grid": grid.name if grid is not None else _("未指定"),
        }
        text = _("更正位置(%(where)s)") % {"where": where}
        if note.strip():
            text = f"{text} {note.strip()}"
        ProposalTransition.objects.create(
            proposal=locked,
            from_status=locked.status,
            to_status=locked.status,
            actor=actor,
            note=text,
        )
    proposal.building, proposal.grid = building, grid
    return proposal


def _prepare_option(community: Community, option: OptionInput) -> tuple[dict[str, Any], Any]:
    errors: dict[str, list[str]] = {}
    title = (option.title or "").strip()
    if not title:
        errors["options"] = [_("每个方案都需要名称。")]
    cost: Decimal | None = None
    if option.cost_estimate not in (None, ""):
        try:
            cost = Decimal(str(option.cost_estimate)).quantize(Decimal("0.01"))
        except (InvalidOperation, ValueError):
            errors["options"] = [_("方案“%(title)s”的估算费用不是有效金额。") % {"title": title}]
        else:
            if cost < 0 or cost >= Decimal("1e10"):
                errors["options"] = [
                    _("方案“%(title)s”的估算费用不是有效金额。") % {"title": title}
                ]
    rule = option.sharing_rule or ""
    if rule and rule not in SharingRule.values:
        errors["options"] = [_("费用分摊方式无效。")]
    if rule and rule != SharingRule.PARTY and cost is None:
        errors["options"] = [_("方案“%(title)s”选择了分摊方式,请填写估算费用。") % {"title": title}]
    paying_party = option.paying_party or ""
    if rule == SharingRule.PARTY and paying_party not in (
        Party.PROPERTY,
        Party.COMMITTEE,
        Party.DEPARTMENT,
    ):
        errors["options"] = [_("由一方承担时,请选择物业、社区或职能部门。")]
    if option.scope_building is not None and option.scope_building.community_id != community.pk:
        errors["options"] = [_("分摊范围的楼栋不属于本社区。")]
    if errors:
        raise _error(errors)
    image = clean_photo(option.image, name="option") if option.image is not None else None
    values = {
        "title": title[:120],
        "description": clean_rich_text(option.description or ""),
        "cost_estimate": cost,
        "sharing_rule": rule,
        "paying_party": paying_party if rule == SharingRule.PARTY else "",
        "pros": (option.pros or "").strip(),
        "cons": (option.cons or "").strip(),
        "scope_building": option.scope_building,
    }
    return values, image


def option_create(*, proposal: Proposal, actor: User, option: OptionInput) -> ProposalOption:
    """Add a plan to an existing proposal (property, department or community staff)."""
    if not proposal_rules.can_submit_options(actor, proposal.community):
        raise NotPermitted(_("只有物业、职能部门和社区工作人员可以提出方案。"))
    values, image = _prepare_option(proposal.community, option)
    with transaction.atomic():
        order = proposal.options.count()
        created = ProposalOption(proposal=proposal, sort_order=order, **values)
        if image is not None:
            created.image.save(image.content.name, image.content, save=False)
        created.save()
    return created


# --- moderation (Wagtail workflow) ---------------------------------------------------------------


def proposal_moderation_workflow() -> Workflow:
    """The workflow that applies to proposals, created on first use.

    One :class:`ProposalModerationTask`: approved by the triage staff of the proposal's own
    community. Idempotent; the same set-up is made by migrations 0006/0007.
    """
    content_type = ContentType.objects.get_for_model(Proposal)
    link = (
        WorkflowContentType.objects.filter(content_type=content_type)
        .select_related("workflow")
        .first()
    )
    if link is not None and link.workflow.active:
        return link.workflow
    with transaction.atomic():
        task = ProposalModerationTask.objects.filter(name=MODERATION_TASK_NAME).first()
        if task is None:
            task = ProposalModerationTask.objects.create(name=MODERATION_TASK_NAME)
        workflow, _created = Workflow.objects.get_or_create(
            name=MODERATION_WORKFLOW_NAME, defaults={"active": True}
        )
        if not workflow.active:
            workflow.active = True
            workflow.save(update_fields=["active"])
        WorkflowTask.objects.filter(workflow=workflow).exclude(task=task).delete()
        WorkflowTask.objects.get_or_create(workflow=workflow, task=task, defaults={"sort_order": 0})
        WorkflowContentType.objects.update_or_create(
            content_type=content_type, defaults={"workflow": workflow}
        )
    return workflow


def proposal_publish(*, proposal: Proposal, actor: User, note: str = "") -> Proposal:
    """Approve the proposal's moderation task, which publishes its latest revision (``live``).

    Without a workflow in progress (e.g. an edit saved as draft) the latest revision is
    published directly. Raises :class:`NotPermitted` for anyone but the community's triage staff.
    """
    if not proposal_rules.can_triage_proposals(actor, proposal.community):
        raise NotPermitted(_("只有本社区工作人员可以审核发布议题。"))
    with transaction.atomic():
        task_state = proposal.current_workflow_task_state
        if task_state is not None:
            task_state.task.specific.on_action(task_state, actor, "approve", comment=note)
        else:
            revision = proposal.get_latest_revision() or proposal.save_revision(user=actor)
            revision.publish(user=actor)
    proposal.refresh_from_db()
    return proposal


# --- triage --------------------------------------------------------------------------------------


def _require_triage(actor: User, proposal: Proposal) -> None:
    if not proposal_rules.can_triage_proposals(actor, proposal.community):
        raise NotPermitted(_("只有本社区工作人员可以分理议题。"))


def proposal_accept(
    *,
    proposal: Proposal,
    actor: User,
    category: str,
    responsible_party: str,
    note: str = "",
    publish: bool = False,
) -> Proposal:
    """受理: set the category and the party responsible for it; ``publish`` makes it public."""
    return _settle(
        proposal=proposal,
        actor=actor,
        publish=publish,
        to_status=ProposalStatus.ACCEPTED,
        note=note,
        category=category,
        responsible_party=responsible_party,
    )


def _settle(
    *, proposal: Proposal, actor: User, publish: bool, to_status: str, note: str, **fields: Any
) -> Proposal:
    """Accept, answer, reject or merge; with ``publish``, also approve the matter for the public
    in the same transaction, as 12345 centres publish their replies (the author sees it either
    way)."""
    _require_triage(actor, proposal)
    with transaction.atomic():
        proposal_transition(
            proposal=proposal, to_status=to_status, actor=actor, note=note, **fields
        )
        if publish and not proposal.live:
            proposal_publish(proposal=proposal, actor=actor)
    return proposal


def proposal_answer(
    *, proposal: Proposal, actor: User, answer: str, note: str = "", publish: bool = False
) -> Proposal:
    """当场答复: settle the matter on the spot with an answer; ``publish`` makes it public."""
    return _settle(
        proposal=proposal,
        actor=actor,
        publish=publish,
        to_status=ProposalStatus.ANSWERED,
        note=note,
        answer=answer,
    )


def proposal_reject(
    *, proposal: Proposal, actor: User, reason: str, note: str = "", publish: bool = False
) -> Proposal:
    """不予受理, with the reason (shown to its author at once, to the public once published)."""
    return _settle(
        proposal=proposal,
        actor=actor,
        publish=publish,
        to_status=ProposalStatus.REJECTED,
        note=note,
        reject_reason=reason,
    )


def proposal_merge(
    *, proposal: Proposal, actor: User, into: Proposal, note: str = "", publish: bool = False
) -> Proposal:
    """合并: the matter continues as part of ``into`` (same community)."""
    return _settle(
        proposal=proposal,
        actor=actor,
        publish=publish,
        to_status=ProposalStatus.MERGED,
        note=note,
        merged_into=into,
    )


# --- seconds -------------------------------------------------------------------------------------


def proposal_second(*, proposal: Proposal, user: User) -> tuple[Second, bool]:
    """附议: a resident of the community seconds a published, open matter, once.

    Returns ``(second, created)``; a repeated second returns the existing one with
    ``created=False`` (the database's unique constraint is the guard). Raises
    :class:`NotPermitted` for non-residents, other communities, unpublished or closed matters.
    """
    if not proposal_rules.can_second_proposal(user, proposal):
        raise NotPermitted(_("只有本社区居民可以附议已公开的议题。"))
    if proposal.status not in OPEN_STATUSES:
        raise NotPermitted(_("该议题已办结,不能再附议。"), code="closed")
    member = scope.member_of(user, proposal.community)
    assert member is not None
    try:
        with transaction.atomic():
            return Second.objects.create(proposal=proposal, member=member), True
    except IntegrityError:
        return Second.objects.get(proposal=proposal, member=member), False
