"""Writes of the grid level: grids and their posts, box rounds (倾诉箱) and visit logs (民情日志).

Box slips and visit entries become matters through ``proposals.services.proposal_submit`` (on
the ``box`` and ``visit`` channels, entered by the grid worker), so they get a case number, a
place and the moderation workflow like any other matter.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import IO

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from deliberation.exceptions import InvalidInput, NotPermitted
from deliberation.grids import rules as grid_rules
from deliberation.models import (
    BoxRound,
    BoxSlip,
    Building,
    Category,
    Channel,
    Community,
    Grid,
    GridRole,
    GridRoleKind,
    Member,
    Party,
    Proposal,
    User,
    VisitLog,
)
from deliberation.proposals.services import proposal_submit
from deliberation.registry.audit import RegistryAction, registry_log
from deliberation.registry.phones import normalise_phone
from deliberation.registry.selectors import building_by_code, member_by_phone

TEXT_MAX = 2000


def _invalid(name: str, message: str) -> InvalidInput:
    return InvalidInput(message, fields={name: [message]})


TITLE_CHARS = 30

# --- grids and posts -----------------------------------------------------------------------------


def _require_manage(actor: User, community: Community) -> None:
    if not grid_rules.can_manage_grids(actor, community):
        raise NotPermitted(_("只有本社区或所属街道的工作人员可以维护网格。"))


@transaction.atomic
def grid_create(
    *, community: Community, actor: User, name: str, code: str, box_location: str = ""
) -> Grid:
    """Add a grid to ``community``; its code is unique there (``ValidationError``)."""
    _require_manage(actor, community)
    grid = Grid(community=community, name=name, code=code, box_location=box_location)
    grid.full_clean()
    grid.save()
    registry_log(grid, RegistryAction.CREATE, actor=actor)
    return grid


@transaction.atomic
def grid_update(*, grid: Grid, actor: User, **changes: object) -> Grid:
    """Rename a grid, change its code or its box's place (never its community)."""
    _require_manage(actor, grid.community)
    unknown = set(changes) - {"name", "code", "box_location"}
    if unknown:
        raise ValueError(f"Fields not editable here: {sorted(unknown)}.")
    locked = Grid.objects.select_for_update().get(pk=grid.pk)
    diff = {}
    for name, value in changes.items():
        if getattr(locked, name) != value:
            diff[name] = [str(getattr(locked, name)), str(value)]
            setattr(locked, name, value)
    if diff:
        locked.full_clean()
        locked.save(update_fields=list(diff))
        registry_log(locked, RegistryAction.UPDATE, actor=actor, data={"changes": diff})
    return locked


def _check_post(grid: Grid, kind: str, buildings: Sequence[Building]) -> None:
    errors: dict[str, list[str]] = {}
    if kind not in GridRoleKind.values:
        errors["kind"] = [_("请选择职责。")]
    if any(b.community_id != grid.community_id for b in buildings):
        errors["buildings"] = [_("只能选择本社区的楼栋。")]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def grid_role_set(
    *,
    grid: Grid,
    user: User,
    kind: str,
    actor: User,
    phone: str = "",
    buildings: Sequence[Building] = (),
) -> GridRole:
    """Give ``user`` a post in ``grid`` (grid leader, worker, building or unit head, volunteer);
    building and unit heads name the buildings they look after. Idempotent per post."""
    _require_manage(actor, grid.community)
    _check_post(grid, kind, buildings)
    role, created = GridRole.objects.get_or_create(
        grid=grid, user=user, kind=kind, defaults={"phone": phone}
    )
    if not created and role.phone != phone:
        role.phone = phone
        role.save(update_fields=["phone"])
    role.buildings.set(list(buildings))
    registry_log(role, RegistryAction.CREATE if created else RegistryAction.UPDATE, actor=actor)
    return role


@transaction.atomic
def grid_role_update(
    *, role: GridRole, actor: User, phone: str, buildings: Sequence[Building]
) -> GridRole:
    """Change a post's phone and buildings (never its grid, person or kind)."""
    _require_manage(actor, role.grid.community)
    _check_post(role.grid, role.kind, buildings)
    role.phone = phone
    role.save(update_fields=["phone"])
    role.buildings.set(list(buildings))
    registry_log(role, RegistryAction.UPDATE, actor=actor)
    return role


# --- who a slip or a visit comes from ------------------------------------------------------------

GRID_INTAKE_USERNAME = "grid-intake-%(slug)s"


def grid_intake_member(community: Community) -> Member:
    """The community's stand-in author of matters from unnamed slips and visits.

    A resident member without phone or password (nobody signs in as it); made on first use.
    """
    username = GRID_INTAKE_USERNAME % {"slug": community.slug}
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(username=username, display_name=_("匿名居民"))
        user.set_unusable_password()
        user.save()
    member, _created = Member.objects.get_or_create(
        community=community, user=user, defaults={"party": Party.RESIDENT, "verified": False}
    )
    return member


def _author_for(community: Community, phone: str | None) -> Member:
    if phone:
        member = member_by_phone(community=community, phone=phone)
        if member is not None and member.party == Party.RESIDENT:
            return member
    return grid_intake_member(community)


def _title_of(text: str, prefix: str) -> str:
    first = " ".join(text.split())[:TITLE_CHARS]
    return f"{prefix}{first}"


# --- box rounds ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SlipInput:
    """One slip as read from the box: the building code written on it, its text, a photo of
    it, and the writer's name and phone when they left them."""

    building_code: str
    text: str
    photo: IO[bytes] | None = None
    name: str = ""
    phone: str = ""
    category: str = Category.OTHER


@dataclass
class SlipOutcome:
    """What became of one slip: its matter, or the errors by field (nothing stored)."""

    index: int
    proposal: Proposal | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.proposal is not None


@dataclass
class BoxRoundResult:
    round: BoxRound | None
    slips: list[SlipOutcome]

    @property
    def stored(self) -> list[Proposal]:
        return [s.proposal for s in self.slips if s.proposal is not None]

    @property
    def refused(self) -> list[SlipOutcome]:
        return [s for s in self.slips if not s.ok]


def _check_slip(community: Community, slip: SlipInput) -> tuple[Building | None, str | None, dict]:
    errors: dict[str, list[str]] = {}
    code = (slip.building_code or "").strip()
    building = None
    if not code:
        errors["building_code"] = [_("请填写纸条上的楼栋编号。")]
    else:
        building = building_by_code(community=community, code=code)
        if building is None:
            errors["building_code"] = [
                _("本社区没有编号为“%(code)s”的楼栋,请核对纸条上的楼号。") % {"code": code}
            ]
    text = (slip.text or "").strip()
    if not text:
        errors["text"] = [_("请抄录纸条内容。")]
    elif len(text) > TEXT_MAX:
        errors["text"] = [_("内容最多 %(count)s 个字。") % {"count": TEXT_MAX}]
    phone = None
    if (slip.phone or "").strip():
        phone = normalise_phone(slip.phone)
        if phone is None:
            errors["phone"] = [_("请填写有效的手机号,或留空。")]
    if len((slip.name or "").strip()) > 60:
        errors["name"] = [_("姓名最多 60 个字。")]
    return building, phone, errors


def box_round_submit(
    *, grid: Grid, actor: User, opened_on: date, slips: Sequence[SlipInput]
) -> BoxRoundResult:
    """Enter one opening of ``grid``'s box: each slip becomes a matter on the ``box`` channel.

    Each slip is stored on its own: a slip with an unknown building code, no text, a bad phone
    or a bad photo is refused with its errors and nothing of it is written, while every good
    slip of the same round is kept. The round itself is stored with its first good slip (none:
    no round). Raises :class:`NotPermitted` for anyone but the grid's workers and committee,
    :class:`InvalidInput` for a round without slips or with a date in the future.
    """
    if not grid_rules.can_enter_for_grid(actor, grid):
        raise NotPermitted(_("只有本网格的网格员可以录入开箱记录。"))
    if not slips:
        raise _invalid("slips", _("请至少录入一张纸条。"))
    if opened_on > date.today():
        raise InvalidInput(
            _("开箱日期不能晚于今天。"), fields={"opened_on": [_("开箱日期不能晚于今天。")]}
        )
    community = grid.community
    box_round: BoxRound | None = None
    outcomes: list[SlipOutcome] = []
    for index, slip in enumerate(slips):
        outcome = SlipOutcome(index)
        outcomes.append(outcome)
        building, phone, errors = _check_slip(community, slip)
        if errors:
            outcome.errors = errors
            continue
        text = slip.text.strip()
        try:
            with transaction.atomic():
                proposal = proposal_submit(
                    community=community,
                    author=_author_for(community, phone),
                    title=_title_of(text, _("意见箱:")),
                    body=text,
                    category=slip.category,
                    location=building.name if building is not None else "",
                    channel=Channel.BOX,
                    entered_by=actor,
                    photos=[slip.photo] if slip.photo is not None else [],
                    building=building,
                )
                if box_round is None:
                    box_round = BoxRound.objects.create(
                        grid=grid, opened_on=opened_on, worker=actor
                    )
                BoxSlip.objects.create(
                    round=box_round,
                    proposal=proposal,
                    contact_name=(slip.name or "").strip(),
                    contact_phone=phone or "",
                )
        except InvalidInput as error:
            outcome.errors = error.fields or {"text": [error.message]}
            continue
        outcome.proposal = proposal
    return BoxRoundResult(box_round, outcomes)


# --- visit logs ----------------------------------------------------------------------------------


def visit_log_create(
    *,
    grid: Grid,
    actor: User,
    visited_on: date,
    household: str,
    raised: str = "",
    follow_up: str = "",
    building: Building | None = None,
) -> VisitLog:
    """Record one household visited in ``grid``. Raises :class:`NotPermitted` or
    :class:`InvalidInput` (no household, a building of another community, a future date)."""
    if not grid_rules.can_enter_for_grid(actor, grid):
        raise NotPermitted(_("只有本网格的网格员可以记录民情日志。"))
    errors: dict[str, list[str]] = {}
    household = (household or "").strip()
    if not household:
        errors["household"] = [_("请填写走访的住户(房号或户主)。")]
    elif len(household) > 60:
        errors["household"] = [_("住户最多 60 个字。")]
    if building is not None and building.community_id != grid.community_id:
        errors["building"] = [_("只能选择本社区的楼栋。")]
    if visited_on > timezone.localdate():
        errors["visited_on"] = [_("走访日期不能晚于今天。")]
    if len(raised or "") > TEXT_MAX or len(follow_up or "") > TEXT_MAX:
        errors["raised"] = [_("内容最多 %(count)s 个字。") % {"count": TEXT_MAX}]
    if errors:
        raise InvalidInput(next(iter(errors.values()))[0], fields=errors)
    return VisitLog.objects.create(
        grid=grid,
        worker=actor,
        visited_on=visited_on,
        building=building,
        household=household,
        raised=(raised or "").strip(),
        follow_up=(follow_up or "").strip(),
    )


def visit_log_to_proposal(
    *, entry: VisitLog, actor: User, category: str = Category.OTHER
) -> Proposal:
    """Turn what a household raised into a matter on the ``visit`` channel, once.

    The entry's row is locked, so a double click makes one matter. Raises
    :class:`NotPermitted`, or :class:`InvalidInput` when nothing was raised or it already is a
    matter.
    """
    if not grid_rules.can_enter_for_grid(actor, entry.grid):
        raise NotPermitted(_("只有本网格的网格员可以把民情日志转为议题。"))
    with transaction.atomic():
        locked = (
            VisitLog.objects.select_for_update().select_related("grid__community").get(pk=entry.pk)
        )
        if locked.proposal_id is not None:
            raise InvalidInput(
                _("这条民情日志已经转为议题。"),
                fields={"raised": [_("这条民情日志已经转为议题。")]},
            )
        if not locked.raised:
            raise _invalid("raised", _("这条民情日志没有反映问题,无需转为议题。"))
        community = locked.grid.community
        proposal = proposal_submit(
            community=community,
            author=grid_intake_member(community),
            title=_title_of(locked.raised, _("走访:")),
            body=locked.raised,
            category=category,
            location=locked.household,
            channel=Channel.VISIT,
            entered_by=actor,
            building=locked.building,
        )
        if proposal.grid_id is None:
            Proposal.objects.filter(pk=proposal.pk).update(grid=locked.grid)
            proposal.grid = locked.grid
        locked.proposal = proposal
        locked.save(update_fields=["proposal"])
    entry.proposal = proposal
    return proposal
