"""Write services of the community registry: the roster import, roles and staff accounts."""

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model
from django.utils.translation import gettext as _

from deliberation.models import (
    Building,
    Community,
    Grid,
    Member,
    Ownership,
    Party,
    Street,
    StreetStaff,
    Unit,
    User,
)
from deliberation.models.communities import AreaSource
from deliberation.registry.audit import Plain, RegistryAction, plain, registry_log
from deliberation.registry.phones import normalise_phone
from deliberation.registry.roster import (
    ParsedRoster,
    RosterInvalid,
    RosterRow,
    parse_roster,
    parse_roster_rows,
)
from deliberation.registry.rules import OPTIONAL_PERMISSIONS, ROLE_PARTY, Role, role_permissions

logger = logging.getLogger("sifang.registry")


@dataclass
class RosterImportReport:
    """What an import changed. Counts of rows, not of distinct people, where noted."""

    rows: int = 0
    buildings_created: int = 0
    units_created: int = 0
    units_updated: int = 0
    users_created: int = 0
    users_updated: int = 0
    members_created: int = 0
    ownerships_added: int = 0
    ownerships_removed: int = 0

    def as_dict(self) -> dict[str, int]:
        return {k: v for k, v in self.__dict__.items() if isinstance(v, int)}


def roster_import(
    *,
    community: Community,
    data: bytes | None = None,
    filename: str = "",
    rows: Iterable[Mapping[str, object]] | None = None,
    actor: User | None = None,
) -> RosterImportReport:
    """Import a roster file (``data``) or rows given as dicts (``rows``) into ``community``.

    Validates everything first; on any problem raises :class:`RosterInvalid` with every problem
    and its line number and writes nothing. Otherwise, in one transaction: units are keyed on
    (building, number) and updated in place; people on their phone number; for every unit in
    the file its owners become exactly the file's owners (owners no longer listed lose that
    ownership; units absent from the file are left alone). Running it twice changes nothing but
    the audit log: each import is one entry on the community with its counts and ``actor``
    (``None`` from the command line, recorded as such).
    """
    parsed: ParsedRoster
    if data is not None and rows is None:
        parsed = parse_roster(data, filename=filename)
    elif rows is not None and data is None:
        parsed = parse_roster_rows(rows)
    else:
        raise ValueError("Pass exactly one of data or rows.")
    if parsed.problems:
        raise RosterInvalid(parsed.problems)
    with transaction.atomic():
        report = _apply(community, parsed.rows)
        registry_log(
            community,
            RegistryAction.ROSTER_IMPORT,
            actor=actor,
            data={**report.as_dict(), "filename": filename},
        )
    logger.info(
        "roster of %s imported by %s: %s",
        community.slug,
        actor.get_username() if actor is not None else "(system)",
        report.as_dict(),
    )
    return report


def _apply(community: Community, rows: list[RosterRow]) -> RosterImportReport:
    report = RosterImportReport(rows=len(rows))
    # Lock the community row: two imports of one community run one after the other.
    Community.objects.select_for_update().filter(pk=community.pk).first()

    buildings = {b.name: b for b in Building.objects.filter(community=community)}
    for name in dict.fromkeys(r.building for r in rows):
        top = max((r.floor or 1 for r in rows if r.building == name), default=1)
        building = buildings.get(name)
        if building is None:
            buildings[name] = Building.objects.create(
                community=community, name=name, floors=max(top, 1)
            )
            report.buildings_created += 1
        elif top > building.floors:
            building.floors = top
            building.save(update_fields=["floors"])

    units: dict[tuple[str, str], Unit] = {
        (u.building.name, u.number): u
        for u in Unit.objects.filter(building__community=community).select_related("building")
    }
    seen_units: dict[tuple[str, str], Unit] = {}
    for row in rows:
        key = (row.building, row.unit)
        if key in seen_units:
            continue
        wanted = {
            "area_m2": row.area_m2,
            "area_source": row.area_source,
            "unsold": row.unsold,
        }
        unit = units.get(key)
        if unit is None:
            unit = Unit.objects.create(
                building=buildings[row.building], number=row.unit, floor=row.floor or 1, **wanted
            )
            report.units_created += 1
        else:
            if row.floor is not None:
                wanted["floor"] = row.floor
            changed = [name for name, value in wanted.items() if getattr(unit, name) != value]
            if changed:
                for name in changed:
                    setattr(unit, name, wanted[name])
                unit.save(update_fields=changed)
                report.units_updated += 1
        seen_units[key] = unit

    owner_rows = [r for r in rows if not r.unsold]
    phones = {r.phone: r.owner_name for r in owner_rows}
    users = {u.phone: u for u in User.objects.filter(phone__in=list(phones))}
    for phone, name in phones.items():
        user = users.get(phone)
        if user is None:
            users[phone] = User.objects.create_user(
                username=_free_username(f"p{phone}"), phone=phone, display_name=name
            )
            report.users_created += 1
        elif user.display_name != name:
            user.display_name = name
            user.save(update_fields=["display_name"])
            report.users_updated += 1

    members = {
        m.user_id: m
        for m in Member.objects.filter(community=community, user__in=list(users.values()))
    }
    for user in users.values():
        if user.pk not in members:
            members[user.pk] = Member.objects.create(
                community=community, user=user, party=Party.RESIDENT, verified=True
            )
            report.members_created += 1

    wanted_pairs = {
        (seen_units[(r.building, r.unit)].pk, members[users[r.phone].pk].pk) for r in owner_rows
    }
    unit_ids = [u.pk for u in seen_units.values()]
    existing = set(
        Ownership.objects.filter(unit_id__in=unit_ids).values_list("unit_id", "member_id")
    )
    stale = existing - wanted_pairs
    for unit_id, member_id in stale:
        Ownership.objects.filter(unit_id=unit_id, member_id=member_id).delete()
    report.ownerships_removed = len(stale)
    new_pairs = sorted(wanted_pairs - existing)
    Ownership.objects.bulk_create(
        [Ownership(unit_id=unit_id, member_id=member_id) for unit_id, member_id in new_pairs]
    )
    report.ownerships_added = len(new_pairs)
    return report


def _free_username(base: str) -> str:
    name, suffix = base, 1
    while User.objects.filter(username=name).exists():
        suffix += 1
        name = f"{base}-{suffix}"
    return name


# --- roles ----------------------------------------------------------------------------------------


def _permissions_by_label(labels: Iterable[str]) -> dict[str, Permission]:
    """The existing permissions among ``labels`` ("app_label.codename"), keyed by label."""
    wanted = set(labels)
    apps = {label.split(".", 1)[0] for label in wanted}
    rows = Permission.objects.filter(content_type__app_label__in=apps).select_related(
        "content_type"
    )
    found = {f"{p.content_type.app_label}.{p.codename}": p for p in rows}
    return {label: found[label] for label in wanted if label in found}


def roles_ensure() -> dict[str, Group]:
    """Create or update the four role groups so each holds exactly ``ROLE_PERMISSIONS[role]``.

    Idempotent; runs after every ``migrate`` (post_migrate), and from ``manage.py ensure_roles``
    and ``seed_demo``. Permissions added to a group by hand are removed. Raises ``LookupError``
    when a permission of the table does not exist (a renamed model, say), except the
    ``OPTIONAL_PERMISSIONS`` Wagtail creates only for registered snippets.
    """
    existing = _permissions_by_label(
        label for role in Role.GROUPS for label in role_permissions(role)
    )
    groups: dict[str, Group] = {}
    with transaction.atomic():
        for role in Role.GROUPS:
            labels = role_permissions(role)
            missing = [
                label
                for label in labels
                if label not in existing and label not in OPTIONAL_PERMISSIONS
            ]
            if missing:
                raise LookupError(f"Permissions {missing} for role {role} do not exist.")
            group, _created = Group.objects.get_or_create(name=role)
            group.permissions.set([existing[label] for label in labels if label in existing])
            groups[role] = group
    return groups


@transaction.atomic
def street_staff_set(*, street: Street, user: User, title: str = "") -> StreetStaff:
    """Make ``user`` staff of ``street``'s command centre: the street role group (admin access,
    grids) and standing over every community of the street (``scope.street_communities``)."""
    group = Group.objects.filter(name=Role.STREET).first() or roles_ensure()[Role.STREET]
    user.groups.add(group)
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    post, _created = StreetStaff.objects.update_or_create(
        street=street, user=user, defaults={"title": title}
    )
    for cache in ("_perm_cache", "_group_perm_cache", "_user_perm_cache"):
        user.__dict__.pop(cache, None)
    return post


@transaction.atomic
def staff_member_set(
    *,
    community: Community,
    user: User,
    role: str,
    organisation: str = "",
    title: str = "",
    is_council_member: bool = False,
) -> Member:
    """Give ``user`` a role in ``community``: its group, its party, and admin access for staff.

    Residents keep ``is_staff`` off and get no admin access; staff roles set ``is_staff`` (the
    Wagtail admin itself is gated by the group's ``wagtailadmin.access_admin`` permission). The
    groups come from ``roles_ensure`` (run after every migrate); they are made here if missing.
    """
    if role not in Role.ALL:
        raise ValueError(f"Unknown role {role!r}.")
    group = Group.objects.filter(name=role).first() or roles_ensure()[role]
    user.groups.add(group)
    if role in Role.STAFF and not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    member, _created = Member.objects.update_or_create(
        community=community,
        user=user,
        defaults={
            "party": ROLE_PARTY[role],
            "organisation": organisation,
            "title": title,
            "is_council_member": is_council_member,
            "verified": True,
        },
    )
    for cache in ("_sifang_members", "_perm_cache", "_group_perm_cache", "_user_perm_cache"):
        user.__dict__.pop(cache, None)
    return member


# --- registry administration ----------------------------------------------------------------------
# Each service validates, writes in one transaction and leaves one audit-log entry per change with
# the acting user (deliberation.registry.audit). The admin viewsets call only these.

COMMUNITY_SETTINGS: tuple[str, ...] = (
    "name",
    "district",
    "description",
    "hotline",
    "response_days",
    "resolution_days",
    "rating_window_days",
    "reopen_dissatisfied_share",
    "objection_days",
    "deem_nonvoters_majority",
    "deem_nonvoters_clause",
    "speech_seconds",
    "speeches_per_item",
    "quorum_share",
)
BUILDING_FIELDS: tuple[str, ...] = ("name", "floors", "has_lift", "grid", "code")
UNIT_FIELDS: tuple[str, ...] = ("building", "number", "floor", "area_m2", "area_source", "unsold")
MEMBER_FIELDS: tuple[str, ...] = (
    "organisation",
    "title",
    "is_council_member",
    "verified",
    "show_full_name",
)
OWNERSHIP_FIELDS: tuple[str, ...] = ("since",)

# The role that holds a party's seat (the inverse of ROLE_PARTY).
PARTY_ROLE: dict[str, str] = {party: role for role, party in ROLE_PARTY.items()}


def community_rules_check(community: Community) -> None:
    """Raise ``ValidationError`` (by field) when ``community``'s rules do not hold together.

    The deemed-non-voter clause may be enabled only with the adopted clause cited (DESIGN.md
    "Votes"); shares are fractions in (0, 1]; time limits are at least one day.
    """
    errors: dict[str, list[str]] = {}
    if community.deem_nonvoters_majority and not community.deem_nonvoters_clause.strip():
        errors.setdefault("deem_nonvoters_clause", []).append(
            _(
                "启用“未参与表决视为同意多数”前，请引用业主大会已通过的管理规约或议事规则中"
                "的相应条款。"
            )
        )
    for name in ("reopen_dissatisfied_share", "quorum_share"):
        share = getattr(community, name)
        if share is not None and not Decimal(0) < Decimal(share) <= Decimal(1):
            errors.setdefault(name, []).append(_("比例须大于 0 且不超过 1。"))
    for name in ("response_days", "resolution_days", "rating_window_days"):
        if getattr(community, name) is not None and getattr(community, name) < 1:
            errors.setdefault(name, []).append(_("时限至少为 1 天。"))
    if errors:
        raise ValidationError(errors)


def _apply_changes(
    instance: Model, changes: Mapping[str, object], allowed: tuple[str, ...]
) -> dict[str, list[Plain]]:
    """Set ``changes`` on ``instance``; return ``{field: [old, new]}`` of what really changed."""
    unknown = set(changes) - set(allowed)
    if unknown:
        raise ValueError(f"Fields not editable here: {sorted(unknown)}.")
    diff: dict[str, list[Plain]] = {}
    for name, value in changes.items():
        old = getattr(instance, name)
        if old != value:
            setattr(instance, name, value)
            diff[name] = [plain(old), plain(value)]
    return diff


def _save_changes(
    instance: Model,
    diff: dict[str, list[Plain]],
    *,
    actor: User | None,
) -> None:
    """Validate and save the changed fields of ``instance`` and log them (nothing if unchanged)."""
    if not diff:
        return
    instance.full_clean()
    instance.save(update_fields=list(diff))
    registry_log(instance, RegistryAction.UPDATE, actor=actor, data={"changes": diff})


@transaction.atomic
def community_create(*, actor: User | None, name: str, slug: str, **settings: object) -> Community:
    """Create a community with ``settings`` (names from ``COMMUNITY_SETTINGS``); logs it."""
    community = Community(name=name, slug=slug)
    _apply_changes(community, settings, COMMUNITY_SETTINGS)
    community_rules_check(community)
    community.full_clean()
    community.save()
    registry_log(community, RegistryAction.CREATE, actor=actor)
    return community


@transaction.atomic
def community_settings_update(
    *, community: Community, actor: User | None, **changes: object
) -> Community:
    """Change a community's settings and rules (names from ``COMMUNITY_SETTINGS``; not the slug).

    Raises ``ValidationError`` when the rules do not hold together
    (:func:`community_rules_check`), ``ValueError`` for a field that is not a setting.
    """
    locked = Community.objects.select_for_update().get(pk=community.pk)
    diff = _apply_changes(locked, changes, COMMUNITY_SETTINGS)
    community_rules_check(locked)
    _save_changes(locked, diff, actor=actor)
    return locked


@transaction.atomic
def building_create(
    *,
    community: Community,
    actor: User | None,
    name: str,
    floors: int = 6,
    has_lift: bool = False,
    grid: Grid | None = None,
    code: str = "",
) -> Building:
    """Add a building to ``community``; its name is unique there (``ValidationError``); its
    grid must be one of the community's."""
    if grid is not None and grid.community_id != community.pk:
        raise ValidationError({"grid": _("只能选择本社区的网格。")})
    building = Building(
        community=community, name=name, floors=floors, has_lift=has_lift, grid=grid, code=code
    )
    building.full_clean()
    building.save()
    registry_log(building, RegistryAction.CREATE, actor=actor)
    return building


@transaction.atomic
def building_update(*, building: Building, actor: User | None, **changes: object) -> Building:
    """Rename a building, change its floors, lift, grid or code (never its community)."""
    locked = Building.objects.select_for_update().get(pk=building.pk)
    grid = changes.get("grid")
    if grid is not None and getattr(grid, "community_id", None) != locked.community_id:
        raise ValidationError({"grid": _("只能选择本社区的网格。")})
    _save_changes(locked, _apply_changes(locked, changes, BUILDING_FIELDS), actor=actor)
    return locked


def _same_community(building: Building, community_id: int, field: str) -> None:
    if building.community_id != community_id:
        raise ValidationError({field: _("只能选择本社区的楼栋。")})


@transaction.atomic
def unit_create(
    *,
    building: Building,
    actor: User | None,
    number: str,
    area_m2: Decimal,
    area_source: str = AreaSource.REGISTERED,
    floor: int = 1,
    unsold: bool = False,
) -> Unit:
    """Add a unit with its exclusive area and the source of that area; logs it."""
    unit = Unit(
        building=building,
        number=number,
        floor=floor,
        area_m2=area_m2,
        area_source=area_source,
        unsold=unsold,
    )
    unit.full_clean()
    unit.save()
    registry_log(unit, RegistryAction.CREATE, actor=actor)
    return unit


@transaction.atomic
def unit_update(*, unit: Unit, actor: User | None, **changes: object) -> Unit:
    """Change a unit (area, its source, number, floor, unsold, or a building of its community).

    Raises ``ValidationError`` when the new building belongs to another community.
    """
    locked = Unit.objects.select_for_update().select_related("building").get(pk=unit.pk)
    community_id = locked.building.community_id
    new_building = changes.get("building")
    if isinstance(new_building, Building):
        _same_community(new_building, community_id, "building")
    _save_changes(locked, _apply_changes(locked, changes, UNIT_FIELDS), actor=actor)
    return locked


@transaction.atomic
def member_add(
    *,
    community: Community,
    actor: User | None,
    phone: str,
    display_name: str,
    role: str = Role.RESIDENT,
    organisation: str = "",
    title: str = "",
    is_council_member: bool = False,
    show_full_name: bool = False,
) -> Member:
    """Make the person with ``phone`` a member of ``community`` (their account made if new).

    Residents are added as such; another ``role`` goes through :func:`member_role_set`.
    Raises ``ValidationError`` for a bad phone number or a person already a member.
    """
    normalised = normalise_phone(phone)
    if normalised is None:
        raise ValidationError({"phone": _("请填写有效的手机号。")})
    user = User.objects.filter(phone=normalised).first()
    if user is None:
        user = User.objects.create_user(
            username=_free_username(f"p{normalised}"), phone=normalised, display_name=display_name
        )
    elif Member.objects.filter(community=community, user=user).exists():
        raise ValidationError({"phone": _("此手机号的居民已是本社区成员。")})
    member = Member.objects.create(
        community=community,
        user=user,
        party=Party.RESIDENT,
        organisation=organisation,
        title=title,
        is_council_member=is_council_member,
        verified=True,
        show_full_name=show_full_name,
    )
    registry_log(member, RegistryAction.CREATE, actor=actor)
    if role != Role.RESIDENT:
        member = member_role_set(member=member, role=role, actor=actor)
    return member


@transaction.atomic
def member_update(*, member: Member, actor: User | None, **changes: object) -> Member:
    """Change a member's organisation, title, council seat, verification or name display.

    Their party changes only with their role (:func:`member_role_set`).
    """
    locked = Member.objects.select_for_update().get(pk=member.pk)
    _save_changes(locked, _apply_changes(locked, changes, MEMBER_FIELDS), actor=actor)
    return locked


@transaction.atomic
def member_role_set(*, member: Member, role: str, actor: User | None) -> Member:
    """Give a member a role in their community, and log it.

    Writes through :func:`staff_member_set` (group, party, admin access); then the person keeps
    only the role groups that one of their memberships still needs (groups are global, seats are
    per community), and loses ``is_staff`` when no staff seat is left (superusers keep theirs).
    """
    if role not in Role.ALL:
        raise ValueError(f"Unknown role {role!r}.")
    previous = PARTY_ROLE[member.party]
    if previous == role:
        return member
    updated = staff_member_set(
        community=member.community,
        user=member.user,
        role=role,
        organisation=member.organisation,
        title=member.title,
        is_council_member=member.is_council_member,
    )
    _role_groups_sync(updated.user)
    registry_log(
        updated, RegistryAction.ROLE_SET, actor=actor, data={"role": role, "previous": previous}
    )
    return updated


def _role_groups_sync(user: User) -> None:
    needed = {PARTY_ROLE[party] for party in user.memberships.values_list("party", flat=True)}
    stale = Group.objects.filter(name__in=set(Role.ALL) - needed)
    user.groups.remove(*stale)
    if user.is_staff and not user.is_superuser and not needed & set(Role.STAFF):
        user.is_staff = False
        user.save(update_fields=["is_staff"])
    for cache in ("_perm_cache", "_group_perm_cache", "_user_perm_cache"):
        user.__dict__.pop(cache, None)


@transaction.atomic
def ownership_add(
    *, unit: Unit, member: Member, actor: User | None, since: date | None = None
) -> Ownership:
    """Record ``member`` as an owner (or co-owner) of ``unit``; logged on the unit.

    Raises ``ValidationError`` when the member is of another community or already an owner.
    """
    if member.community_id != unit.building.community_id:
        raise ValidationError({"member": _("业主须是该房屋所在社区的成员。")})
    if Ownership.objects.filter(unit=unit, member=member).exists():
        raise ValidationError({"member": _("此成员已是该房屋的业主。")})
    ownership = Ownership.objects.create(unit=unit, member=member, since=since)
    registry_log(
        unit,
        RegistryAction.OWNERSHIP_ADD,
        actor=actor,
        data={"member": str(member), "member_id": member.pk, "since": plain(since)},
    )
    return ownership


@transaction.atomic
def ownership_update(*, ownership: Ownership, actor: User | None, **changes: object) -> Ownership:
    """Change the date an ownership began; logged on the unit."""
    locked = Ownership.objects.select_for_update().select_related("unit").get(pk=ownership.pk)
    diff = _apply_changes(locked, changes, OWNERSHIP_FIELDS)
    if diff:
        locked.save(update_fields=list(diff))
        registry_log(
            locked.unit,
            RegistryAction.UPDATE,
            actor=actor,
            data={"changes": diff, "member": str(locked.member)},
        )
    return locked


@transaction.atomic
def ownership_remove(*, ownership: Ownership, actor: User | None) -> None:
    """End an ownership (the member stays a member); logged on the unit."""
    unit, member = ownership.unit, ownership.member
    ownership.delete()
    registry_log(
        unit,
        RegistryAction.OWNERSHIP_REMOVE,
        actor=actor,
        data={"member": str(member), "member_id": member.pk},
    )
