# ruff: noqa: E402 - the standard library imports follow the sys.path repair below.
"""Public pages against the framework's speed (issue 16 point 1).

Seeds the demo (``seed_demo``), collects static files, starts daphne (``DEBUG=0``) serving
``bench.http_asgi`` (Sifang plus a bare Django page, ``bench/http_bare.py``) and runs ``wrk``
against the bare page and Sifang's pages, anonymous and signed in, in one run. Per repetition
daphne is started afresh and the first request after start is timed. Then medians, ratios
against the bare page of the same repetition, and the targets. See bench/README.md.

    .venv/bin/python bench/http.py --reps 3
    .venv/bin/python bench/http.py --db sqlite --duration 5 --reps 3
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path and this module, named ``http``,
# would shadow the standard library's ``http`` package that urllib imports.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse
import datetime as dt
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import time
import urllib.error
import urllib.request
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
PYTHON = str(VENV_BIN / "python")
OUT_DIR = ROOT / "var" / "bench"

TARGET_ANONYMOUS = 0.5
TARGET_SIGNED_IN = 0.3
TARGET_FIRST_REQUEST = 0.3
# Issue 14 point 7: every page of the district set, signed in or not, at half the floor.
TARGET_DISTRICT = 0.5

DISCOVER = r"""
import json
import django
django.setup()
from django.test import Client
from django.urls import reverse
from deliberation.models import Community, Member, Party, Proposal, Resolution
from meetings.models import Meeting
from deliberation.proposals import selectors as proposal_selectors

community = Community.objects.get(slug="minzhucun")
slug = community.slug
proposal = proposal_selectors.proposal_list_public(
    community=community, filters=proposal_selectors.ProposalFilters()
).first()
resolution = Resolution.objects.filter(community=community).order_by("pk").first()
meeting = Meeting.objects.filter(community=community).order_by("pk").first()
resident = (
    Member.objects.filter(community=community, party=Party.RESIDENT, proposals__isnull=False)
    .select_related("user").order_by("pk").first()
)
client = Client()
client.force_login(resident.user)
print(json.dumps({
    "community": slug,
    "proposal": reverse("proposal-detail", args=[slug, proposal.pk]),
    "resolution": reverse("resolution-detail", args=[slug, resolution.pk]),
    "meeting": reverse("meeting-detail", args=[slug, meeting.pk]),
    "resident": resident.user.username,
    "sessionid": client.cookies["sessionid"].value,
}))
"""


# The district seeded by bench/district_seed.py: its first street, that street's first
# community, the community's committee account and the busiest unit serving it, each signed in
# with a session of its own (``Client.force_login``; the cookie travels with wrk).
DISCOVER_DISTRICT = r"""
import datetime as dt
import json
import django
django.setup()
from django.db.models import Count, Q
from django.test import Client
from django.utils import timezone
from deliberation.models import Community, Member, Party, ResponsibleUnit, Street, UnitStaff

street = Street.objects.get(code="bench-s1")
community = Community.objects.filter(street=street).order_by("name").first()
committee = (
    Member.objects.filter(community=community, party=Party.COMMITTEE)
    .select_related("user").order_by("pk").first().user
)
unit = (
    ResponsibleUnit.objects.filter(communities=community)
    .annotate(
        active=Count("dispatches", filter=Q(dispatches__status__in=["dispatched", "claimed"]))
    )
    .order_by("-active", "pk").first()
)
unit_user = UnitStaff.objects.filter(unit=unit).select_related("user").order_by("pk").first().user
street_user = street.staff.select_related("user").order_by("pk").first().user
sessions = {}
for name, user in (("street", street_user), ("committee", committee), ("unit", unit_user)):
    client = Client()
    client.force_login(user)
    sessions[name] = client.cookies["sessionid"].value
last_month = (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
print(json.dumps({
    "community": community.slug,
    "community_id": community.pk,
    "last_month": last_month,
    "unit": unit.name,
    "unit_active": unit.active,
    "sessions": sessions,
    "sessionid": sessions["street"],
}))
"""


def district_pages(found: dict[str, Any]) -> list[dict[str, Any]]:
    """The district at scale (issue 14 point 7): the street dashboard, a community's lists and
    the admin's matter list for its committee, and a unit's queue."""
    slug = found["community"]
    kind = "district"
    return [
        {"name": "bare Django page (floor)", "path": "/bench/bare/", "kind": "floor"},
        {
            "name": "bare view behind Sifang's middleware",
            "path": "/bench/bare-stack/",
            "kind": "info",
        },
        {"name": "street dashboard", "path": "/admin/street/", "kind": kind, "session": "street"},
        {
            "name": "street dashboard, last month",
            "path": f"/admin/street/?month={found['last_month']}",
            "kind": kind,
            "session": "street",
        },
        {
            "name": "street dashboard, a quarter, a community",
            "path": f"/admin/street/?start={_quarter_start()}&end={_today()}"
            f"&community={found['community_id']}",
            "kind": kind,
            "session": "street",
        },
        {"name": "community proposal list", "path": f"/{slug}/proposals/", "kind": kind},
        {
            "name": "community proposal list, filtered",
            "path": f"/{slug}/proposals/?status=accepted&channel=box",
            "kind": kind,
        },
        {"name": "community resolution list", "path": f"/{slug}/resolutions/", "kind": kind},
        {
            "name": "admin matter list (committee)",
            "path": "/admin/snippets/deliberation/proposal/",
            "kind": kind,
            "session": "committee",
        },
        {"name": "unit queue", "path": "/units/queue/", "kind": kind, "session": "unit"},
    ]


def _today() -> str:
    return dt.date.today().isoformat()


def _quarter_start() -> str:
    return (dt.date.today() - dt.timedelta(days=90)).isoformat()


def pages(found: dict[str, Any]) -> list[dict[str, Any]]:
    """What wrk runs, in order: the floor first, then Sifang's pages."""
    if "sessions" in found:
        return district_pages(found)
    slug = found["community"]
    anon = "anonymous"
    return [
        {"name": "bare Django page (floor)", "path": "/bench/bare/", "kind": "floor"},
        {
            "name": "bare view behind Sifang's middleware",
            "path": "/bench/bare-stack/",
            "kind": "info",
        },
        {"name": "home", "path": "/", "kind": anon},
        {"name": "community home", "path": f"/{slug}/", "kind": anon},
        {
            "name": "proposal list, filtered",
            "path": f"/{slug}/proposals/?status=accepted&party=resident",
            "kind": anon,
        },
        {"name": "proposal list", "path": f"/{slug}/proposals/", "kind": anon},
        {"name": "a proposal", "path": found["proposal"], "kind": anon},
        {"name": "resolution list", "path": f"/{slug}/resolutions/", "kind": anon},
        {"name": "a resolution", "path": found["resolution"], "kind": anon},
        {"name": "a meeting", "path": found["meeting"], "kind": anon},
        {"name": "notice list", "path": f"/{slug}/notices/", "kind": anon},
        {"name": "metrics", "path": f"/{slug}/metrics/", "kind": anon},
        {"name": "community home, signed in", "path": f"/{slug}/", "kind": "signed_in"},
        {"name": "my matters (/mine/), signed in", "path": "/mine/", "kind": "signed_in"},
        {"name": "inbox, signed in", "path": "/inbox/", "kind": "signed_in"},
    ]


def environment(args: argparse.Namespace) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("DEBUG", None)
    if args.pages == "district":
        # Seeded by bench/district_seed.py (PostgreSQL only).
        env.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/district_bench")
    elif args.db == "sqlite":
        env.setdefault("DATABASE_URL", f"sqlite:///{OUT_DIR / 'http.sqlite3'}")
    else:
        env.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/sifang_http")
    if args.redis:
        env.setdefault("REDIS_URL", args.redis)
    env["SIFANG_PAGE_CACHE"] = "0" if args.no_page_cache else "1"
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "bench.http_settings",
            "DEBUG": "0",
            "STATIC_ROOT": str(OUT_DIR / "http-static"),
            "MEDIA_ROOT": str(OUT_DIR / "http-media"),
            "SITE_URL": f"http://127.0.0.1:{args.port}",
            "LOG_LEVEL": "WARNING",
        }
    )
    return env


def manage(env: dict[str, str], *argv: str) -> str:
    done = subprocess.run(
        [PYTHON, "manage.py", *argv], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    return done.stdout


def ensure_postgres_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    exists = subprocess.run(
        [
            "psql",
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-tAc",
            f"SELECT 1 FROM pg_database WHERE datname = '{name}'",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if exists.stdout.strip() != "1":
        subprocess.run(
            ["psql", "-h", "127.0.0.1", "-U", "postgres", "-c", f'CREATE DATABASE "{name}"'],
            check=True,
            capture_output=True,
        )


def prepare(env: dict[str, str], args: argparse.Namespace) -> dict[str, Any]:
    if env["DATABASE_URL"].startswith("postgres"):
        ensure_postgres_database(env["DATABASE_URL"])
    if not args.no_seed:
        manage(env, "migrate", "--noinput")
        if args.pages == "demo":
            manage(env, "seed_demo")
        manage(env, "collectstatic", "--noinput")
    discover = DISCOVER_DISTRICT if args.pages == "district" else DISCOVER
    done = subprocess.run(
        [PYTHON, "-c", discover], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def wait_for_port(port: int, timeout: float = 60.0) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return time.monotonic()
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"daphne did not listen on {port} within {timeout} s")


def fetch(url: str, cookie: str = "") -> tuple[int, int, float, str]:
    """Status, body size, seconds, and the page cache's answer (``X-Sifang-Page-Cache``)."""
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})  # noqa: S310
    start = time.perf_counter()
    try:
        # Our own server, http:// only.
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            body = response.read()
            status, cached = response.status, response.headers.get("X-Sifang-Page-Cache", "")
    except urllib.error.HTTPError as error:
        body, status, cached = error.read(), error.code, ""
    return status, len(body), time.perf_counter() - start, cached


def flush_cache(env: dict[str, str]) -> None:
    """Empty the Redis database the server caches in, so each run starts cold."""
    if env.get("REDIS_URL"):
        subprocess.run(
            [
                PYTHON,
                "-c",
                "import os, redis; redis.Redis.from_url(os.environ['REDIS_URL']).flushdb()",
            ],
            env=env,
            check=True,
        )


class Daphne:
    def __init__(self, env: dict[str, str], port: int, log: Path) -> None:
        self.env, self.port, self.log = env, port, log

    def __enter__(self) -> Daphne:
        self.log_file = self.log.open("w")
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            [
                str(VENV_BIN / "daphne"),
                "-b",
                "127.0.0.1",
                "-p",
                str(self.port),
                "bench.http_asgi:application",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
        )
        self.listening = wait_for_port(self.port)
        return self

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log_file.close()


WRK_RATE = re.compile(r"Requests/sec:\s+([\d.]+)")
WRK_NON_2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
WRK_ERRORS = re.compile(r"Socket errors:.*")
WRK_P50 = re.compile(r"^\s+50%\s+([\d.]+)(us|ms|s)\s*$", re.M)


def wrk(url: str, args: argparse.Namespace, cookie: str = "") -> dict[str, Any]:
    argv = ["wrk", "-t1", f"-c{args.connections}", f"-d{args.duration}s", "--latency", url]
    if cookie:
        argv[1:1] = ["-H", f"Cookie: {cookie}"]
    load_before = os.getloadavg()[0]
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    result: dict[str, Any] = {
        "rps": float(WRK_RATE.search(out).group(1)),  # type: ignore[union-attr]
        "non_2xx": int(m.group(1)) if (m := WRK_NON_2XX.search(out)) else 0,
        "socket_errors": m.group(0) if (m := WRK_ERRORS.search(out)) else "",
        "load_before": load_before,
        "load_after": os.getloadavg()[0],
    }
    if m := WRK_P50.search(out):
        scale = {"us": 1e-3, "ms": 1.0, "s": 1e3}[m.group(2)]
        result["p50_ms"] = round(float(m.group(1)) * scale, 2)
    return result


def one_run(
    rep: int, env: dict[str, str], found: dict[str, Any], args: argparse.Namespace
) -> dict[str, Any]:
    base = f"http://127.0.0.1:{args.port}"
    sessions = found.get("sessions", {})
    run: dict[str, Any] = {
        "rep": rep,
        "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "load_before": os.getloadavg()[0],
        "pages": {},
    }
    flush_cache(env)
    floor_page, *sifang_pages = pages(found)
    with Daphne(env, args.port, OUT_DIR / f"http-daphne-{rep}.log") as server:
        status, size, seconds, cached = fetch(base + "/")
        run["first_request_s"] = round(seconds, 4)
        run["first_request_status"] = status
        run["first_request_cache"] = cached
        run["start_to_listen_s"] = round(server.listening - server.started, 3)
        slug = found["community"]
        status, size, seconds, cached = fetch(f"{base}/{slug}/proposals/?status=answered")
        run["first_request_other_page_s"] = round(seconds, 4)
        floors = []
        for page in sifang_pages:
            if "session" in page:
                cookie = f"sessionid={sessions[page['session']]}"
            elif page["kind"] == "signed_in":
                cookie = f"sessionid={found['sessionid']}"
            else:
                cookie = ""
            status, size, _, _ = fetch(base + page["path"], cookie)
            if status != 200:
                raise RuntimeError(f"{page['path']} answered {status}")
            cached = fetch(base + page["path"], cookie)[3]
            # The floor right before each page: the machine's load drifts (other work on it).
            floor = wrk(base + floor_page["path"], args)
            floors.append(floor)
            result = wrk(base + page["path"], args, cookie)
            result.update(
                {
                    "path": page["path"],
                    "kind": page["kind"],
                    "bytes": size,
                    "cache": cached,
                    "floor_rps": floor["rps"],
                    "ratio": round(result["rps"] / floor["rps"], 3),
                }
            )
            run["pages"][page["name"]] = result
            print(
                f"  rep {rep}  {page['name']:<40} {result['rps']:>8.1f} req/s "
                f"(floor {floor['rps']:.1f})  {result['ratio']:.2f}x  {cached}",
                flush=True,
            )
        size = fetch(base + floor_page["path"])[1]
        run["pages"] = {
            floor_page["name"]: {
                "path": floor_page["path"],
                "kind": "floor",
                "bytes": size,
                "cache": "",
                "rps": round(statistics.median(f["rps"] for f in floors), 1),
                "p50_ms": statistics.median(f.get("p50_ms", 0) for f in floors),
                "non_2xx": sum(f["non_2xx"] for f in floors),
                "ratio": 1.0,
                "runs": floors,
            },
            **run["pages"],
        }
    run["load_after"] = os.getloadavg()[0]
    return run


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    names = list(runs[0]["pages"])
    rows = []
    for name in names:
        results = [run["pages"][name] for run in runs]
        kind = results[0]["kind"]
        ratio = statistics.median(r["ratio"] for r in results)
        target = {
            "anonymous": TARGET_ANONYMOUS,
            "signed_in": TARGET_SIGNED_IN,
            "district": TARGET_DISTRICT,
        }.get(kind)
        rows.append(
            {
                "name": name,
                "path": results[0]["path"],
                "kind": kind,
                "bytes": results[0]["bytes"],
                "rps_median": round(statistics.median(r["rps"] for r in results), 1),
                "ratio_median": round(ratio, 3),
                "p50_ms_median": round(statistics.median(r.get("p50_ms", 0) for r in results), 2),
                "non_2xx": sum(r["non_2xx"] for r in results),
                "target": target,
                "met": None if target is None else ratio >= target,
            }
        )
    first = statistics.median(run["first_request_s"] for run in runs)
    other = statistics.median(run["first_request_other_page_s"] for run in runs)
    return {
        "first_other_page_s_median": round(other, 4),
        "rows": rows,
        "first_request_s_median": round(first, 4),
        "first_request_met": first < TARGET_FIRST_REQUEST,
        "load": [[run["load_before"], run["load_after"]] for run in runs],
    }


def table(summary: dict[str, Any]) -> str:
    lines = [
        "| page | kind | KB | req/s (median) | × bare (median) | p50 ms | target | met |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in summary["rows"]:
        target = f"≥ {row['target']}×" if row["target"] else ""
        met = "" if row["met"] is None else ("yes" if row["met"] else "**no**")
        lines.append(
            f"| {row['name']} (`{row['path']}`) | {row['kind']} | {row['bytes'] / 1024:.1f} | "
            f"{row['rps_median']} | {row['ratio_median']:.2f}× | {row['p50_ms_median']} | "
            f"{target} | {met} |"
        )
    lines.append(
        f"| first request of another page after start | | | "
        f"{summary['first_other_page_s_median']} s | | | | |"
    )
    lines.append(
        f"| first request after start (`/`) | | | {summary['first_request_s_median']} s | | | "
        f"< {TARGET_FIRST_REQUEST} s | {'yes' if summary['first_request_met'] else '**no**'} |"
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument(
        "--pages",
        choices=["demo", "district"],
        default="demo",
        help="demo: seed_demo's public pages; district: the district of bench/district_seed.py",
    )
    parser.add_argument(
        "--redis", default="redis://127.0.0.1:6379/1", help="REDIS_URL ('' for none)"
    )
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--duration", type=int, default=10, help="seconds of wrk per page")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--port", type=int, default=8360)
    parser.add_argument("--no-page-cache", action="store_true", help="serve without the page cache")
    parser.add_argument("--no-seed", action="store_true", help="skip migrate, seed, collectstatic")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument(
        "--merge",
        type=Path,
        nargs="+",
        help="only summarise the runs of earlier output files (runs made one at a time)",
    )
    args = parser.parse_args()
    if args.merge:
        reports = [json.loads(path.read_text()) for path in args.merge]
        runs = [run for report in reports for run in report["runs"]]
        summary = summarise(runs)
        merged = {**reports[0], "runs": runs, "summary": summary}
        merged["commit"] = sorted({report["commit"] for report in reports})
        if args.out:
            args.out.write_text(json.dumps(merged, indent=2, ensure_ascii=False))
        print(table(summary))
        return
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (Debian: apt-get install wrk)")
    if args.pages == "district":
        args.db = "postgres"
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    env = environment(args)
    found = prepare(env, args)
    runs = []
    for rep in range(1, args.reps + 1):
        runs.append(one_run(rep, env, found, args))
        print(json.dumps({k: v for k, v in runs[-1].items() if k != "pages"}), flush=True)
    summary = summarise(runs)
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    report = {
        "benchmark": "http",
        "pages": args.pages,
        "found": {k: v for k, v in found.items() if k not in ("sessions", "sessionid")},
        "db": args.db,
        "redis": bool(env.get("REDIS_URL")),
        "page_cache": not args.no_page_cache,
        "commit": commit,
        "wrk": f"-t1 -c{args.connections} -d{args.duration}s",
        "nproc": os.cpu_count(),
        "runs": runs,
        "summary": summary,
    }
    suffix = "-nocache" if args.no_page_cache else ""
    prefix = "http-district" if args.pages == "district" else "http"
    out = args.out or OUT_DIR / f"{prefix}-{args.db}{suffix}.json"
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print(table(summary))
    print(f"written to {out}")


if __name__ == "__main__":
    main()
