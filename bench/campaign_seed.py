"""Seed an owners' campaign at estate scale (issue 15 point 8): 5,700 households by default.

A community ``bench-campaign`` whose roster goes through the roster importer (buildings of 150
units, every 9th unit co-owned, every 17th owner with two units, one building's top floor
unsold), committee staff ``bench-committee``, an owners' yes/no poll opened through the services
and its campaign rows (with ballot codes). ``--voted SHARE`` casts that share of the owners
online first. Then it times the campaign view's selector (``campaign_progress``) and the
not-yet-voted list of one building, and checks the progress against an independent recount
from the frozen electorate.

    DATABASE_URL=... python -m bench.campaign_seed --households 5700 --voted 0.5

prints JSON: community, poll, households, owners, seconds per read and the recount check.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from decimal import Decimal
from typing import Any

COMMUNITY_SLUG = "bench-campaign"
STAFF = "bench-committee"
PER_BUILDING = 150


def roster(households: int) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    buildings = -(-households // PER_BUILDING)
    for index in range(households):
        building, place = divmod(index, PER_BUILDING)
        floor, door = divmod(place, 6)
        number = f"{floor + 1}{door + 1:02d}"
        area = Decimal("55.00") + Decimal(door * 9) + Decimal(index % 7) / 4
        row = {
            "building": f"{building + 1}号楼",
            "unit": number,
            "area_m2": str(area),
            "owner_name": "",
            "phone": "",
            "unsold": "",
        }
        if building == buildings - 1 and floor == (PER_BUILDING // 6) - 1:
            row["unsold"] = "1"
            rows.append(row)
            continue
        owner = index - 1 if index % 17 == 0 and index else index
        row["owner_name"] = f"业主{owner:05d}"
        row["phone"] = f"150{owner:08d}"
        rows.append(row)
        if index % 9 == 0:
            rows.append({**row, "owner_name": f"共有人{index:05d}", "phone": f"151{index:08d}"})
    return rows


def estate_ensure(households: int) -> tuple[Any, Any]:
    """The ``bench-campaign`` community with its roster and committee staff; the roster is
    imported only if the community has no units yet (the import is the slow part)."""
    from django.db import transaction

    from deliberation.models import Community, Unit, User
    from deliberation.registry.rules import Role
    from deliberation.registry.services import roles_ensure, roster_import, staff_member_set

    roles_ensure()
    community, _ = Community.objects.get_or_create(
        slug=COMMUNITY_SLUG, defaults={"name": "压测小区"}
    )
    if not Unit.objects.filter(building__community=community).exists():
        with transaction.atomic():
            roster_import(community=community, rows=roster(households))
    staff, _ = User.objects.get_or_create(username=STAFF, defaults={"display_name": "压测居委会"})
    staff_member_set(community=community, user=staff, role=Role.FACILITATOR)
    return community, staff


def poll_new(community: Any, staff: Any, households: int) -> Any:
    """A fresh owners' yes/no poll, opened, with its campaign rows and ballot codes."""
    from votes import services
    from votes.campaign.services import campaign_units_ensure
    from votes.models import Electorate, Kind, Method, Rule

    poll = services.poll_create(
        community=community,
        question=f"压测:加装电梯({households} 户)",
        kind=Kind.OWNERS,
        electorate=Electorate.OWNERS,
        method=Method.YESNO,
        rule=Rule.OWNERS_ORDINARY,
        actor=staff,
    )
    poll = services.poll_open(poll=poll, actor=staff)
    campaign_units_ensure(poll=poll)
    return poll


def seed(households: int, voted: float) -> dict[str, Any]:
    from votes import services
    from votes.campaign import selectors

    started = time.perf_counter()
    community, staff = estate_ensure(households)
    imported = time.perf_counter() - started
    poll = poll_new(community, staff, households)
    yes = poll.options.order_by("sort_order", "pk").first()
    assert yes is not None
    voters = [v for v in poll.frozen_electorate if v.get("user_ids")]
    chosen = voters[: int(len(voters) * voted)]
    requests = [
        services.CastRequest(poll_id=poll.pk, choice={"choice": yes.pk}, voter_id=v["user_ids"][0])
        for v in chosen
    ]
    for start in range(0, len(requests), 200):
        services.ballots_cast_batch(requests[start : start + 200])
    started = time.perf_counter()
    progress = selectors.campaign_progress(poll)
    progress_seconds = time.perf_counter() - started
    building = progress.buildings[0].building_id
    started = time.perf_counter()
    waiting = selectors.not_voted_units(poll, building_ids=[building], with_contacts=True)
    list_seconds = time.perf_counter() - started
    # Independent recount from the frozen electorate and the voter keys that took part.
    keys = {v["key"] for v in chosen}
    hp = sum(int(v["headcount"]) for v in poll.frozen_electorate if v["key"] in keys)
    ap = sum(Decimal(v["area"]) for v in poll.frozen_electorate if v["key"] in keys)
    return {
        "community": community.slug,
        "poll": poll.pk,
        "households": households,
        "owners": progress.ht,
        "area": str(progress.at),
        "voted_owners": progress.hp,
        "import_seconds": round(imported, 2),
        "progress_seconds": round(progress_seconds, 3),
        "not_voted_list_seconds": round(list_seconds, 3),
        "not_voted_in_first_building": len(waiting),
        "recount_agrees": (hp, ap) == (progress.hp, progress.ap),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=5700)
    parser.add_argument("--voted", type=float, default=0.5)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    import django

    django.setup()
    print(json.dumps(seed(args.households, args.voted), ensure_ascii=False))


if __name__ == "__main__":
    main()
