"""Write services of the community registry: the roster import, roles and staff accounts."""

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.contrib.auth.models import Group, Permission
from django.db import transaction

from deliberation.models import Building, Community, Member, Ownership, Party, Unit, User
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
    ownership; units absent from the file are left alone). Running it twice changes nothing.
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


def _permission(label: str) -> Permission | None:
    app_label, codename = label.split(".", 1)
    return Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()


def roles_ensure() -> dict[str, Group]:
    """Create or update the four role groups so each holds exactly ``role_permissions(role)``.

    Idempotent; run after migrations (``manage.py ensure_roles``, ``seed_demo``). Raises
    ``LookupError`` when a required permission does not exist (a renamed model, say).
    """
    groups: dict[str, Group] = {}
    with transaction.atomic():
        for role in Role.ALL:
            permissions = []
            for label in role_permissions(role):
                permission = _permission(label)
                if permission is None:
                    if label in OPTIONAL_PERMISSIONS:
                        continue
                    raise LookupError(f"Permission {label} for role {role} does not exist.")
                permissions.append(permission)
            group, _created = Group.objects.get_or_create(name=role)
            group.permissions.set(permissions)
            groups[role] = group
    return groups


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
    Wagtail admin itself is gated by the group's ``wagtailadmin.access_admin`` permission).
    """
    if role not in Role.ALL:
        raise ValueError(f"Unknown role {role!r}.")
    groups = roles_ensure()
    user.groups.add(groups[role])
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
    for cache in ("_sifang_roles", "_sifang_members", "_perm_cache", "_group_perm_cache"):
        user.__dict__.pop(cache, None)
    return member
