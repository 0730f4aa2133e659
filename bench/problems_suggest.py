"""How long the task worker takes to suggest common problems for 1,000 new matters.

Seeds (once) a street of ``--communities`` communities, each with 10 grids of 5 buildings, and
``--existing`` open matters plus ``--new`` new ones, written with bulk inserts from a pool of
complaint texts in residents' own words (several wordings per problem, plus matters unlike any
other). Then runs ``problems_suggest`` ``--runs`` times, resetting the scan's watermark and its
suggestions between runs, and prints each run's wall time, the median, and what it found.

    .venv/bin/python bench/problems_suggest.py          # PostgreSQL: sifang_bench_problems
    DATABASE_URL=sqlite:///var/bench-problems.sqlite3 .venv/bin/python bench/problems_suggest.py

Target (issue 14 point 7): under a minute for 1,000 new matters, in the worker.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, bench/ comes first on sys.path, where bench/http.py would shadow the
# standard library's ``http`` package: put the project root there instead.
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

# (category, wordings of one problem). Each matter takes one wording and a few filler words.
PROBLEMS = [
    (
        "safety",
        ["楼道里有人给电动车充电", "电瓶车飞线充电太危险", "电动自行车在楼道充电有火灾隐患"],
    ),
    ("parking", ["消防通道上停满了车", "消防车通道被私家车占用", "生命通道被车辆堵住"]),
    ("sanitation", ["垃圾桶满了没人清理", "垃圾箱好几天没清运", "垃圾桶臭味很大"]),
    ("facilities", ["路灯坏了晚上很黑", "楼道灯不亮", "路灯不亮走路不安全"]),
    ("renovation", ["顶楼漏水", "屋顶渗水墙面发霉", "外墙渗漏"]),
    ("greening", ["树枝挡住窗户", "绿化带杂草太多", "树木太高遮挡阳光"]),
    ("charging", ["希望增加充电桩", "充电桩太少排队", "电动汽车充电难"]),
    ("other", ["广场舞噪音太大", "晚上广场音乐扰民", "跳舞音响声音太大"]),
]
ODD = ["快递柜不够用", "门禁卡失灵", "宠物粪便没人清理", "电梯经常停运", "水压太低", "井盖松动"]
FILLER = ["请尽快处理", "多次反映", "老人出行不便", "希望物业管一管", "影响休息", ""]


def setup(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    os.environ.setdefault("SECRET_KEY", "bench")
    os.environ.setdefault("DEBUG", "0")
    import django

    django.setup()


def ensure_postgres_database(name: str) -> None:
    exists = subprocess.run(
        [
            "psql",
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-Atc",
            f"SELECT 1 FROM pg_database WHERE datname = '{name}'",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if not exists:
        subprocess.run(
            ["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", f"CREATE DATABASE {name}"],
            check=True,
        )


def seed(*, communities: int, existing: int, new: int, rng: random.Random) -> int:
    """Seed once; returns the watermark (the last existing matter's id)."""
    from django.db import transaction

    from deliberation.models import (
        Building,
        Community,
        Grid,
        Member,
        Party,
        Proposal,
        ProposalStatus,
        User,
    )

    if Community.objects.filter(slug__startswith="bench-p-").count() >= communities:
        bench = Proposal.objects.filter(community__slug__startswith="bench-p-").order_by("pk")
        return bench.values_list("pk", flat=True)[existing - 1]
    with transaction.atomic():
        author = User.objects.create(username="bench-problems-author", password="!")
        places = []
        for c in range(communities):
            community = Community.objects.create(name=f"压测社区{c}", slug=f"bench-p-{c}")
            member = Member.objects.create(community=community, user=author, party=Party.RESIDENT)
            for g in range(10):
                grid = Grid.objects.create(community=community, name=f"{g}网格", code=f"G{g}")
                for b in range(5):
                    building = Building.objects.create(
                        community=community, name=f"{g}-{b}号楼", grid=grid
                    )
                    places.append((community, member, grid, building))

        def rows(count: int) -> list[Proposal]:
            out = []
            for _ in range(count):
                community, member, grid, building = rng.choice(places)
                if rng.random() < 0.3:
                    category, text = "other", rng.choice(ODD)
                else:
                    category, wordings = rng.choice(PROBLEMS)
                    text = rng.choice(wordings)
                text = f"{building.name}{text},{rng.choice(FILLER)}"
                out.append(
                    Proposal(
                        community=community,
                        author=member,
                        party=Party.RESIDENT,
                        title=text[:40],
                        body=text,
                        category=category,
                        status=ProposalStatus.SUBMITTED,
                        building=building,
                        grid=grid,
                        live=False,
                    )
                )
            return out

        Proposal.objects.bulk_create(rows(existing), batch_size=1000)
        watermark = Proposal.objects.order_by("-pk").values_list("pk", flat=True)[0]
        Proposal.objects.bulk_create(rows(new), batch_size=1000)
    return watermark


def run_once(watermark: int) -> tuple[float, dict[str, int]]:
    from deliberation.models import CommonProblem, ProblemScan
    from deliberation.problems.services import problems_suggest

    CommonProblem.objects.filter(community__slug__startswith="bench-p-").delete()
    ProblemScan.objects.update_or_create(pk=1, defaults={"last_proposal_id": watermark})
    start = time.perf_counter()
    report = problems_suggest()
    elapsed = time.perf_counter() - start
    return elapsed, {
        "compared": report.compared,
        "created": report.created,
        "joined": report.joined,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--communities", type=int, default=20)
    parser.add_argument("--existing", type=int, default=5000)
    parser.add_argument("--new", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=14)
    args = parser.parse_args()
    database_url = os.environ.get(
        "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/sifang_bench_problems"
    )
    if database_url.startswith("postgres"):
        ensure_postgres_database(database_url.rsplit("/", 1)[1])
    setup(database_url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    watermark = seed(
        communities=args.communities,
        existing=args.existing,
        new=args.new,
        rng=random.Random(args.seed),
    )
    runs = []
    for _ in range(args.runs):
        elapsed, report = run_once(watermark)
        runs.append(elapsed)
        print(
            json.dumps({"seconds": round(elapsed, 2), **report, "load": os.getloadavg()[0]}),
            flush=True,
        )
    print(
        json.dumps(
            {
                "median_seconds": round(statistics.median(runs), 2),
                "database": database_url.split(":", 1)[0],
                "new": args.new,
                "existing": args.existing,
                "target_seconds": 60,
            }
        )
    )


if __name__ == "__main__":
    main()
