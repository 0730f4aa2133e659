"""Seed a district at scale on PostgreSQL (issue 14 point 7).

A district of ``--streets`` streets and ``--communities`` communities (each with grids,
buildings, a committee account, residents), one street staff account per street, responsible
units serving the communities of their street (one staff account each), ``--units`` units,
``--matters`` matters spread over channels, categories, statuses, months, grids and buildings
(with case numbers and their public timeline), dispatches for about half of them (claimed,
returned, overdue, escalated, completed), ``--resolutions`` resolutions with their transitions
and ratings. Defaults are the issue's: 10 streets, 200 communities, 200,000 units, 100,000
matters, 20,000 resolutions.

The accounts (street, committee, unit staff) go through the project's services; the bulk rows
are written with ``COPY`` through psycopg, bypassing per-row services that would take hours,
but consistent with what the services enforce: unique keys, case numbers with their month
counters, statuses reached through the transition tables (every step stored), at most one
active dispatch per matter, due times from the default limits. ``ANALYZE`` at the end. Prints
JSON: rows per table and seconds.

    .venv/bin/python bench/district_seed.py     # district_bench, the issue's sizes
    .venv/bin/python bench/district_seed.py --database district_small --communities 20 \
        --units 20000 --matters 10000 --resolutions 2000 --fresh

Refuses to seed a database that already holds the district (``--fresh`` drops and recreates
the database first).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import subprocess
import sys
import time
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, this file's folder comes first on sys.path, and ``bench/http.py`` would shadow
# the standard library's ``http``; the project root goes there instead.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(ROOT))

from bench.problems_suggest import FILLER, ODD, PROBLEMS  # noqa: E402

DISTRICT_CODE = "bench-district"
GRIDS_PER_COMMUNITY = 5
BUILDINGS_PER_GRID = 4
RESIDENTS_PER_COMMUNITY = 50
UNITS_PER_STREET = 6  # responsible units serving each street's communities

# Channels weighted as a street's intake looks: the box round and online most.
CHANNELS = [
    ("online", 30),
    ("box", 25),
    ("hotline", 20),
    ("visit", 12),
    ("photo", 10),
    ("meeting", 3),
]
# Statuses other than ``decided`` (whose count is ``--resolutions``), weighted.
OTHER_STATUSES = [
    ("submitted", 10),
    ("accepted", 30),
    ("answered", 30),
    ("rejected", 5),
    ("merged", 3),
    ("scheduled", 6),
    ("not_adopted", 3),
]
# The steps from intake to each status, as the transition table allows them.
PATHS: dict[str, list[str]] = {
    "submitted": [],
    "accepted": ["accepted"],
    "answered": ["answered"],
    "rejected": ["rejected"],
    "merged": ["merged"],
    "scheduled": ["accepted", "scheduled"],
    "decided": ["accepted", "scheduled", "decided"],
    "not_adopted": ["accepted", "scheduled", "not_adopted"],
}
UNIT_KINDS = ["property", "water", "power", "heating", "gas", "city_management"]
PARTIES = ["property", "committee", "department"]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def psql(database: str, sql: str) -> str:
    return subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", database, "-Atc", sql],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def prepare_database(name: str, *, fresh: bool) -> None:
    if not name.startswith("district_"):
        sys.exit("use a database named district_* (this helper's own)")
    exists = psql("postgres", f"SELECT 1 FROM pg_database WHERE datname = '{name}'") == "1"
    if exists and fresh:
        psql("postgres", f'DROP DATABASE "{name}" WITH (FORCE)')
        exists = False
    if not exists:
        psql("postgres", f'CREATE DATABASE "{name}"')


def setup(database: str) -> None:
    os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{database}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    os.environ.setdefault("SECRET_KEY", "bench")
    os.environ.setdefault("DEBUG", "0")
    # One connection, held for the whole seed.
    os.environ["DB_POOL_MAX_SIZE"] = "0"
    import django

    django.setup()


# --- COPY --------------------------------------------------------------------------------------


class Copier:
    """Writes rows of a model with ``COPY ... FROM STDIN``; columns not given take the field's
    default (or NULL / blank), so every row satisfies the model's NOT NULL columns."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = defaultdict(int)

    def reserve_ids(self, model: Any, count: int) -> list[int]:
        """``count`` ids taken from the table's own sequence (later inserts never collide)."""
        from django.db import connection

        table = model._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [table, count],
            )
            return [row[0] for row in cursor.fetchall()]

    def write(self, model: Any, rows: list[dict[str, Any]]) -> None:
        from django.db import connection
        from django.db.models import NOT_PROVIDED
        from django.utils import timezone

        if not rows:
            return
        now = timezone.now()
        fields = [
            f for f in model._meta.concrete_fields if not (f.primary_key and "id" not in rows[0])
        ]
        defaults: dict[str, Any] = {}
        for field in fields:
            if field.default is not NOT_PROVIDED:
                value = field.get_default()
            elif field.has_db_default():
                value = field.db_default.value
            elif getattr(field, "auto_now_add", False) or getattr(field, "auto_now", False):
                value = now
            elif field.null:
                value = None
            else:
                value = ""
            defaults[field.attname] = value
        columns = [f.attname for f in fields]
        unknown = set(rows[0]) - set(columns)
        if unknown:
            raise ValueError(f"{model.__name__}: unknown columns {sorted(unknown)}")
        quoted = ", ".join(f'"{f.column}"' for f in fields)
        with connection.cursor() as cursor:
            raw = cursor.cursor
            with raw.copy(f'COPY "{model._meta.db_table}" ({quoted}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row([row.get(name, defaults[name]) for name in columns])
        self.counts[model._meta.db_table] += len(rows)


# --- the seed ----------------------------------------------------------------------------------


def weighted(rng: random.Random, pairs: list[tuple[str, int]], k: int) -> list[str]:
    return rng.choices([p for p, _ in pairs], weights=[w for _, w in pairs], k=k)


def seed(args: argparse.Namespace) -> dict[str, Any]:
    from django.contrib.auth.models import Group
    from django.db import connection, transaction
    from django.utils import timezone

    from deliberation.dispatch.limits import DEFAULT_LIMITS, due_times
    from deliberation.models import (
        Building,
        CaseCounter,
        Community,
        Dispatch,
        DispatchEvent,
        District,
        Grid,
        Member,
        Ownership,
        Proposal,
        ProposalTransition,
        Rating,
        Resolution,
        ResolutionTransition,
        ResponsibleUnit,
        Street,
        Unit,
        UnitStaff,
        User,
    )
    from deliberation.registry.rules import Role
    from deliberation.registry.services import roles_ensure, staff_member_set, street_staff_set

    rng = random.Random(args.seed)
    copier = Copier()
    now = timezone.now()
    tz = timezone.get_current_timezone()
    timings: dict[str, float] = {}
    mark = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal mark
        timings[name] = round(time.perf_counter() - mark, 2)
        mark = time.perf_counter()
        log(f"  {name}: {timings[name]} s")

    if District.objects.filter(code=DISTRICT_CODE).exists():
        sys.exit(f"{connection.settings_dict['NAME']} already holds the district (use --fresh)")

    with transaction.atomic():
        groups = roles_ensure()
        resident_group: Group = groups[Role.RESIDENT]
        district = District.objects.create(name="压测区", code=DISTRICT_CODE)
        streets = [
            Street.objects.create(
                district=district, name=f"第{s + 1}街道", code=f"bench-s{s + 1}", hotline="12345"
            )
            for s in range(args.streets)
        ]
        # Communities round-robin over the streets.
        community_ids = copier.reserve_ids(Community, args.communities)
        copier.write(
            Community,
            [
                {
                    "id": pk,
                    "name": f"第{n + 1:03d}社区",
                    "slug": f"bench-c{n + 1:03d}",
                    "street_id": streets[n % len(streets)].pk,
                    "district": streets[n % len(streets)].name,
                    "response_days": rng.choice([3, 3, 3, 5, 7]),
                }
                for n, pk in enumerate(community_ids)
            ],
        )
        street_of = {pk: streets[n % len(streets)] for n, pk in enumerate(community_ids)}
        communities = {c.pk: c for c in Community.objects.filter(pk__in=community_ids)}
        lap("streets and communities")

        # Grids and buildings.
        grid_rows, grid_ids = [], copier.reserve_ids(Grid, args.communities * GRIDS_PER_COMMUNITY)
        grids_of: dict[int, list[int]] = defaultdict(list)
        it = iter(grid_ids)
        for community_id in community_ids:
            for g in range(GRIDS_PER_COMMUNITY):
                pk = next(it)
                grids_of[community_id].append(pk)
                grid_rows.append(
                    {
                        "id": pk,
                        "community_id": community_id,
                        "name": f"第{g + 1}网格",
                        "code": f"G{g + 1}",
                        "box_location": f"{g + 1}号门岗",
                    }
                )
        copier.write(Grid, grid_rows)
        per_community = GRIDS_PER_COMMUNITY * BUILDINGS_PER_GRID
        building_ids = copier.reserve_ids(Building, args.communities * per_community)
        building_rows = []
        buildings_of: dict[int, list[tuple[int, int, str]]] = defaultdict(list)  # id, grid, name
        it = iter(building_ids)
        for community_id in community_ids:
            for g, grid_id in enumerate(grids_of[community_id]):
                for b in range(BUILDINGS_PER_GRID):
                    pk, number = next(it), g * BUILDINGS_PER_GRID + b + 1
                    name = f"{number}号楼"
                    buildings_of[community_id].append((pk, grid_id, name))
                    building_rows.append(
                        {
                            "id": pk,
                            "community_id": community_id,
                            "name": name,
                            "code": str(number),
                            "grid_id": grid_id,
                            "floors": 18,
                            "has_lift": True,
                        }
                    )
        copier.write(Building, building_rows)
        lap("grids and buildings")

        # Units: the roster's rooms, spread evenly over the buildings.
        all_buildings = [b for c in community_ids for b in buildings_of[c]]
        unit_ids = copier.reserve_ids(Unit, args.units)
        per_building = -(-args.units // len(all_buildings))
        unit_rows, units_of_building = [], defaultdict(list)
        for n, pk in enumerate(unit_ids):
            building_id = all_buildings[n // per_building][0]
            i = n % per_building
            floor, door = i // 4 + 1, i % 4 + 1
            units_of_building[building_id].append(pk)
            unit_rows.append(
                {
                    "id": pk,
                    "building_id": building_id,
                    "number": f"{floor}{door:02d}",
                    "floor": floor,
                    "area_m2": Decimal(rng.randrange(4500, 14000)) / 100,
                    "unsold": rng.random() < 0.01,
                }
            )
        copier.write(Unit, unit_rows)
        del unit_rows
        lap("units")

        # Residents: users, members (verified), one ownership each, the resident group.
        resident_count = args.communities * RESIDENTS_PER_COMMUNITY
        user_ids = copier.reserve_ids(User, resident_count)
        member_ids = copier.reserve_ids(Member, resident_count)
        users, members, ownerships, user_groups = [], [], [], []
        residents_of: dict[int, list[tuple[int, int]]] = defaultdict(list)  # member, user
        n = 0
        for c, community_id in enumerate(community_ids):
            for r in range(RESIDENTS_PER_COMMUNITY):
                user_id, member_id = user_ids[n], member_ids[n]
                n += 1
                users.append(
                    {
                        "id": user_id,
                        "username": f"bench-r{c + 1:03d}-{r + 1:02d}",
                        "password": "!",
                        "display_name": rng.choice("王李张刘陈杨赵黄周吴")
                        + rng.choice("明华芳军丽强"),
                        "date_joined": now,
                    }
                )
                members.append(
                    {
                        "id": member_id,
                        "community_id": community_id,
                        "user_id": user_id,
                        "party": "resident",
                        "verified": True,
                        "joined_at": now,
                    }
                )
                building_id = buildings_of[community_id][r % per_community][0]
                unit_pool = units_of_building[building_id]
                if unit_pool:
                    ownerships.append(
                        {
                            "unit_id": unit_pool[r // per_community % len(unit_pool)],
                            "member_id": member_id,
                        }
                    )
                user_groups.append({"user_id": user_id, "group_id": resident_group.pk})
                residents_of[community_id].append((member_id, user_id))
        copier.write(User, users)
        copier.write(Member, members)
        copier.write(Ownership, ownerships)
        copier.write(User.groups.through, user_groups)
        lap("residents")

        # Accounts through the services: street staff, committee staff, responsible units.
        street_users = {}
        for s, street in enumerate(streets):
            user = User.objects.create(username=f"bench-street-{s + 1}", password="!")
            street_staff_set(street=street, user=user, title="指挥中心")
            street_users[street.pk] = user
        committee_of: dict[int, int] = {}
        committee_member_of: dict[int, int] = {}
        for c, community_id in enumerate(community_ids):
            user = User.objects.create(
                username=f"bench-committee-{c + 1:03d}", password="!", display_name="社区工作人员"
            )
            member = staff_member_set(
                community=communities[community_id],
                user=user,
                role=Role.FACILITATOR,
                organisation=f"{communities[community_id].name}居委会",
            )
            committee_of[community_id] = user.pk
            committee_member_of[community_id] = member.pk
        units_of_street: dict[int, list[tuple[int, int]]] = defaultdict(list)  # unit, staff user
        for s, street in enumerate(streets):
            for k, kind in enumerate(UNIT_KINDS[:UNITS_PER_STREET]):
                unit = ResponsibleUnit.objects.create(
                    name=f"{street.name}{kind}责任单位{k + 1}", kind=kind, phone="12345"
                )
                served = [c for c in community_ids if street_of[c].pk == street.pk]
                unit.communities.set(served)
                user = User.objects.create(
                    username=f"bench-unit-{s + 1}-{k + 1}", password="!", display_name="调度员"
                )
                UnitStaff.objects.create(unit=unit, user=user, title="调度员")
                units_of_street[street.pk].append((unit.pk, user.pk))
        lap("accounts")

        # Matters: submitted over the last year (open ones recent), a status reached through
        # the transition table, case numbers numbered per community and month in intake order.
        statuses = ["decided"] * args.resolutions + weighted(
            rng, OTHER_STATUSES, args.matters - args.resolutions
        )
        rng.shuffle(statuses)
        channels = weighted(rng, CHANNELS, args.matters)
        year = 365 * 24 * 3600
        matters = []
        for status, channel in zip(statuses, channels, strict=True):
            community_id = rng.choice(community_ids)
            age = rng.uniform(0, 20 * 24 * 3600) if status == "submitted" else rng.uniform(0, year)
            matters.append((now - dt.timedelta(seconds=age), community_id, status, channel))
        matters.sort(key=lambda m: m[0])  # ids follow intake order, as the services give them
        proposal_ids = copier.reserve_ids(Proposal, len(matters))
        counters: dict[tuple[int, str], int] = defaultdict(int)
        first_of_community: dict[int, int] = {}
        proposal_rows, transition_rows = [], []
        facts = []  # (id, community, status, submitted_at, responded_at, grid, building, category)
        for pk, (submitted_at, community_id, status, channel) in zip(
            proposal_ids, matters, strict=True
        ):
            community = communities[community_id]
            period = submitted_at.astimezone(tz).strftime("%Y%m")
            counters[(community_id, period)] += 1
            building_id, grid_id, building_name = rng.choice(buildings_of[community_id])
            if rng.random() < 0.3:
                category, text = "other", rng.choice(ODD)
            else:
                category, wordings = rng.choice(PROBLEMS)
                text = rng.choice(wordings)
            text = f"{building_name}{text},{rng.choice(FILLER)}".rstrip(",")
            steps = PATHS[status]
            if status == "merged" and community_id not in first_of_community:
                status, steps = "answered", PATHS["answered"]  # nothing to merge into yet
            responded_at = None
            if steps:
                # Most are answered within the community's limit, some late.
                limit = community.response_days * 24 * 3600
                delay = rng.uniform(0.05, 1.0 if rng.random() < 0.85 else 2.5) * limit
                responded_at = min(submitted_at + dt.timedelta(seconds=delay), now)
            staff_entered = channel in ("hotline", "box", "visit")
            member_id, _user_id = rng.choice(residents_of[community_id])
            row: dict[str, Any] = {
                "id": pk,
                "community_id": community_id,
                "title": text[:40],
                "body": f"<p>{text}</p>",
                "category": category,
                "location": building_name,
                "building_id": building_id,
                "grid_id": grid_id,
                "channel": channel,
                "case_number": f"{community.slug}-{period}-{counters[(community_id, period)]:04d}",
                "party": "resident",
                "author_id": member_id,
                "entered_by_id": committee_of[community_id] if staff_entered else None,
                "status": status,
                "submitted_at": submitted_at,
                "responded_at": responded_at,
                "live": status != "submitted",
                "has_unpublished_changes": status == "submitted",
                "first_published_at": responded_at,
                "last_published_at": responded_at,
            }
            if steps and steps[0] == "accepted":
                row["responsible_party"] = rng.choice(PARTIES)
            if status == "answered":
                row["answer"] = "已联系物业当场处理,请居民留意。"
            elif status == "rejected":
                row["reject_reason"] = "不属于社区议事范围,已告知相关部门。"
            elif status == "merged":
                row["merged_into_id"] = first_of_community[community_id]
            proposal_rows.append(row)
            first_of_community.setdefault(community_id, pk)
            actor = committee_of[community_id]
            transition_rows.append(
                {
                    "proposal_id": pk,
                    "from_status": "",
                    "to_status": "submitted",
                    "actor_id": actor if staff_entered else _user_id,
                    "note": channel,
                    "at": submitted_at,
                }
            )
            previous, at, last_at = "submitted", responded_at, submitted_at
            for step in steps:
                assert at is not None
                last_at = at
                transition_rows.append(
                    {
                        "proposal_id": pk,
                        "from_status": previous,
                        "to_status": step,
                        "actor_id": actor,
                        "at": at,
                    }
                )
                previous = step
                at = min(at + dt.timedelta(days=rng.uniform(1, 20)), now)
            facts.append(
                (
                    pk,
                    community_id,
                    status,
                    submitted_at,
                    responded_at,
                    grid_id,
                    building_id,
                    last_at,
                )
            )
        copier.write(Proposal, proposal_rows)
        del proposal_rows
        copier.write(ProposalTransition, transition_rows)
        del transition_rows
        copier.write(
            CaseCounter,
            [
                {"community_id": c, "period": period, "last": last}
                for (c, period), last in counters.items()
            ],
        )
        lap("matters")

        # Dispatches: about half of the accepted-and-later matters, to a unit serving the
        # community; one active at most per matter; some returned first, some overdue, some
        # escalated, done ones completed.
        dispatch_rows, event_rows = [], []
        dispatchable = [f for f in facts if f[2] in ("accepted", "scheduled", "decided")]
        chosen = [f for f in dispatchable if rng.random() < 0.7]
        plans = []  # (fact, returned_first, final status)
        for fact in chosen:
            status = fact[2]
            if status == "decided":
                final = "completed"
            else:
                final = "claimed" if rng.random() < 0.6 else "dispatched"
            plans.append((fact, rng.random() < 0.12, final))
        dispatch_ids = iter(copier.reserve_ids(Dispatch, sum(2 if p[1] else 1 for p in plans)))
        for fact, returned, final in plans:
            pk, community_id, _status, submitted_at, responded_at = fact[:5]
            units = units_of_street[street_of[community_id].pk]
            dispatcher = committee_of[community_id]
            sent_at = (responded_at or submitted_at) + dt.timedelta(hours=rng.uniform(0.5, 8))
            if final == "dispatched":
                # Waiting for a claim: a third past the claim limit (overdue).
                sent_at = now - dt.timedelta(hours=rng.uniform(1, 60))
            elif final == "claimed":
                sent_at = min(sent_at, now - dt.timedelta(days=rng.uniform(0.5, 12)))
            sent_at = min(max(sent_at, responded_at or submitted_at), now - dt.timedelta(minutes=5))
            if returned:
                unit_id, unit_user = rng.choice(units)
                first_at = sent_at - dt.timedelta(hours=rng.uniform(3, 20))
                due = due_times(first_at, DEFAULT_LIMITS)
                back_at = first_at + dt.timedelta(hours=rng.uniform(0.5, 10))
                dispatch_id = next(dispatch_ids)
                dispatch_rows.append(
                    {
                        "id": dispatch_id,
                        "proposal_id": pk,
                        "unit_id": unit_id,
                        "status": "returned",
                        "dispatched_by_id": dispatcher,
                        "dispatched_at": first_at,
                        "claim_due_at": due.claim,
                        "return_due_at": due.return_,
                        "feedback_due_at": due.feedback,
                        "closed_at": back_at,
                        "return_reason": "不属于本单位职责范围",
                    }
                )
                event_rows += [
                    _event(dispatch_id, pk, "dispatched", dispatcher, first_at),
                    _event(dispatch_id, pk, "returned", unit_user, back_at, "不属于本单位职责范围"),
                ]
            unit_id, unit_user = rng.choice(units)
            due = due_times(sent_at, DEFAULT_LIMITS)
            dispatch_id = next(dispatch_ids)
            row = {
                "id": dispatch_id,
                "proposal_id": pk,
                "unit_id": unit_id,
                "status": final,
                "dispatched_by_id": dispatcher,
                "dispatched_at": sent_at,
                "claim_due_at": due.claim,
                "return_due_at": due.return_,
                "feedback_due_at": due.feedback,
            }
            events = [_event(dispatch_id, pk, "dispatched", dispatcher, sent_at)]
            if final in ("claimed", "completed"):
                late = rng.random() < 0.1
                claimed_at = sent_at + dt.timedelta(
                    hours=rng.uniform(26, 40) if late else rng.uniform(0.2, 20)
                )
                claimed_at = min(claimed_at, now)
                row.update(claimed_by_id=unit_user, claimed_at=claimed_at)
                events.append(_event(dispatch_id, pk, "claimed", unit_user, claimed_at))
                # Some claimed ones never reported back in time (feedback overdue).
                if final == "completed" or rng.random() < 0.7:
                    feedback_at = min(claimed_at + dt.timedelta(days=rng.uniform(0.5, 6)), now)
                    row["first_feedback_at"] = feedback_at
                    events.append(
                        _event(
                            dispatch_id, pk, "feedback", unit_user, feedback_at, "已安排人员处理"
                        )
                    )
                    if final == "completed":
                        closed_at = min(feedback_at + dt.timedelta(days=rng.uniform(0.5, 10)), now)
                        row.update(closed_at=closed_at, completion_report="已处理完毕,现场已恢复。")
                        events.append(
                            _event(dispatch_id, pk, "completed", unit_user, closed_at, "已处理完毕")
                        )
            if final == "dispatched" and due.claim < now and rng.random() < 0.5:
                row.update(
                    escalated_at=due.claim + dt.timedelta(minutes=5),
                    escalation_reason="claim_overdue",
                )
                events.append(
                    _event(dispatch_id, pk, "escalated", None, due.claim + dt.timedelta(minutes=5))
                )
            dispatch_rows.append(row)
            event_rows += events
        copier.write(Dispatch, dispatch_rows)
        del dispatch_rows
        copier.write(DispatchEvent, event_rows)
        del event_rows
        lap("dispatches")

        # Resolutions: one per decided matter; draft, in progress, completed (rated), reopened.
        resolution_rows, res_transitions, ratings = [], [], []
        decided = [f for f in facts if f[2] == "decided"]
        resolution_ids = copier.reserve_ids(Resolution, len(decided))
        for rid, (pk, community_id, _s, _sub, _resp, _g, _b, decided_at) in zip(
            resolution_ids, decided, strict=True
        ):
            community = communities[community_id]
            state = rng.choices(
                ["draft", "in_progress", "completed", "reopened"], weights=[3, 40, 52, 5]
            )[0]
            staff = committee_of[community_id]
            row = {
                "id": rid,
                "community_id": community_id,
                "proposal_id": pk,
                "decision": "按方案实施,责任方按期办结并公示。",
                "responsible_party": rng.choice(PARTIES),
                "deadline": (decided_at + dt.timedelta(days=community.resolution_days)).date(),
                "status": state,
                "decided_at": decided_at,
                "created_by_id": staff,
            }
            steps = [("", state if state == "draft" else "in_progress", decided_at)]
            if state in ("completed", "reopened"):
                completed_at = min(decided_at + dt.timedelta(days=rng.uniform(3, 45)), now)
                row.update(
                    completed_at=completed_at,
                    percent_done=100,
                    completion_report="已按决议办结。",
                    rating_closes_at=completed_at + dt.timedelta(days=community.rating_window_days),
                )
                steps.append(("in_progress", "completed", completed_at))
                raters = rng.sample(residents_of[community_id], rng.randint(0, 5))
                for member_id, _user_id in raters:
                    ratings.append(
                        {
                            "resolution_id": rid,
                            "round": 1,
                            "member_id": member_id,
                            "score": rng.choices(
                                ["satisfied", "basic", "dissatisfied"], weights=[70, 20, 10]
                            )[0],
                            "created_at": min(
                                completed_at + dt.timedelta(days=rng.uniform(0, 10)), now
                            ),
                        }
                    )
                if state == "reopened":
                    reopened_at = min(completed_at + dt.timedelta(days=2), now)
                    row.update(round=2, reopened_at=reopened_at, percent_done=0, completed_at=None)
                    steps.append(("completed", "reopened", reopened_at))
            else:
                row["percent_done"] = 0 if state == "draft" else rng.randrange(0, 100, 10)
            resolution_rows.append(row)
            for from_status, to_status, at in steps:
                res_transitions.append(
                    {
                        "resolution_id": rid,
                        "from_status": from_status,
                        "to_status": to_status,
                        "actor_id": staff,
                        "note": "满意度测评不满意,重新办理" if to_status == "reopened" else "",
                        "at": at,
                    }
                )
        copier.write(Resolution, resolution_rows)
        copier.write(ResolutionTransition, res_transitions)
        copier.write(Rating, ratings)
        lap("resolutions")

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    lap("analyze")
    return {
        "rows": dict(sorted(copier.counts.items())),
        "seconds": timings,
        "accounts": {
            "street": [u.username for u in street_users.values()],
            "committee": f"bench-committee-001 .. bench-committee-{args.communities:03d}",
            "units": sum(len(v) for v in units_of_street.values()),
        },
    }


def _event(
    dispatch_id: int,
    proposal_id: int,
    kind: str,
    actor: int | None,
    at: dt.datetime,
    note: str = "",
) -> dict[str, Any]:
    return {
        "dispatch_id": dispatch_id,
        "proposal_id": proposal_id,
        "kind": kind,
        "actor_id": actor,
        "note": note,
        "at": at,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="district_bench")
    parser.add_argument("--streets", type=int, default=10)
    parser.add_argument("--communities", type=int, default=200)
    parser.add_argument("--units", type=int, default=200_000)
    parser.add_argument("--matters", type=int, default=100_000)
    parser.add_argument("--resolutions", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--fresh", action="store_true", help="drop and recreate the database")
    args = parser.parse_args()
    if args.resolutions > args.matters:
        sys.exit("--resolutions cannot exceed --matters (one resolution per decided matter)")
    if args.communities < args.streets:
        sys.exit("--communities must be at least --streets")
    started = time.perf_counter()
    prepare_database(args.database, fresh=args.fresh)
    setup(args.database)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    migrated = time.perf_counter()
    log(f"  migrate: {migrated - started:.1f} s")
    report = seed(args)
    finished = time.perf_counter()
    print(
        json.dumps(
            {
                "benchmark": "district_seed",
                "database": args.database,
                "sizes": {
                    "streets": args.streets,
                    "communities": args.communities,
                    "units": args.units,
                    "matters": args.matters,
                    "resolutions": args.resolutions,
                },
                **report,
                "migrate_seconds": round(migrated - started, 1),
                "seed_seconds": round(finished - migrated, 1),
                "load": list(os.getloadavg()),
            },
            ensure_ascii=False,
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
