"""Benchmark: the minutes PDF of a large meeting, next to bare WeasyPrint on the same HTML.

A meeting with 50 agenda items, each with a proposal of three options, notes, speakers, the four
parties' positions, a resolution and a closed owners' poll of 1,000 ballots (rows in the ballot
table, counted by ``votes.counting``). Each run is a fresh subprocess, so peak memory
(``resource.getrusage(RUSAGE_SELF).ru_maxrss``) is that run's own:

- ``project``: ``django.setup()``, then ``minutes_render`` — context (database), template, QR
  code, WeasyPrint, storing the Wagtail document;
- ``floor``: ``import weasyprint`` and ``HTML(string=...).write_pdf()`` of the very HTML the
  project produced, with no project code at all.

Wall time is measured inside each subprocess from its first line (imports included), so both
sides pay their own imports. Reports the median of ``--runs`` runs of each, alternating.

    .venv/bin/python bench/minutes_pdf.py                  # 5 runs each, temporary SQLite
    .venv/bin/python bench/minutes_pdf.py --runs 3 --write-docs
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sifang_bench \
        .venv/bin/python bench/minutes_pdf.py

Not part of the test suite.
"""

from __future__ import annotations

import time

_T0 = time.perf_counter()

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, bench/ comes first on sys.path, where bench/http.py would shadow the
# standard library's ``http`` package (imported by Django and WeasyPrint): take it out.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
TOPICS = ["加装电梯", "停车改造", "充电桩建设", "围墙改栏杆", "架空线入地"]
PY = sys.executable


def _maxrss_mb() -> float:
    # Linux reports kilobytes.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    import django

    django.setup()


# ---------------------------------------------------------------------------------------------
# Children


def child_seed(items: int, ballots_per_poll: int) -> None:
    """Create the meeting; print its id."""
    _django()
    import hashlib
    from datetime import date, datetime, timedelta
    from decimal import Decimal
    from zoneinfo import ZoneInfo

    from django.db import transaction

    from deliberation.models import (
        Community,
        Member,
        Party,
        Proposal,
        ProposalOption,
        Resolution,
        User,
    )
    from meetings.models import (
        AgendaItem,
        Attendance,
        Meeting,
        MeetingStatus,
        Note,
        PartyPosition,
        SpeakerRequest,
        SpeakerStatus,
        Stance,
    )
    from votes import counting
    from votes.models import Ballot, Option, Poll, PollStatus

    tz = ZoneInfo("Asia/Shanghai")
    parties = [Party.RESIDENT, Party.PROPERTY, Party.COMMITTEE, Party.DEPARTMENT]
    surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
    given = "秀英建国志强桂兰海燕明华丽娟伟东春梅文杰玉兰国庆淑珍"

    with transaction.atomic():
        community = Community.objects.create(name="基准社区", slug="bench", district="示范街道")
        members = []
        for n in range(40):
            user = User.objects.create(
                username=f"bench{n}",
                display_name=surnames[n % len(surnames)]
                + given[(2 * n) % len(given)]
                + given[(2 * n + 1) % len(given)],
            )
            members.append(
                Member.objects.create(
                    community=community,
                    user=user,
                    party=parties[n % 4],
                    organisation="幸福物业" if n % 4 == 1 else "",
                    is_council_member=n < 12,
                )
            )
        facilitator = members[2].user
        meeting = Meeting.objects.create(
            community=community,
            title="2026年度业主大会暨四方议事会",
            starts_at=datetime(2026, 11, 20, 19, 0, tzinfo=tz),
            place="社区党群服务中心二楼会议室",
            facilitator=facilitator,
            status=MeetingStatus.CLOSED,
            closed_at=datetime(2026, 11, 20, 22, 0, tzinfo=tz),
        )
        Attendance.objects.bulk_create(
            [Attendance(meeting=meeting, member=m, marked_by=facilitator) for m in members]
        )
        areas = [Decimal("60.00") + Decimal(n % 90) + Decimal("0.25") for n in range(1200)]
        voters = [counting.Voter(key=f"u{n}", area=a) for n, a in enumerate(areas)]
        for index in range(items):
            proposal = Proposal.objects.create(
                community=community,
                title=f"第{index + 1}项:{TOPICS[index % len(TOPICS)]}",
                body="居民反映的问题与现场情况说明。" * 6,
                party=parties[index % 4],
                author=members[index % 40],
                location=f"{index % 12 + 1}号楼",
                live=True,
            )
            plans = [
                ProposalOption.objects.create(
                    proposal=proposal,
                    title=f"方案{'一二三'[k]}",
                    description="方案说明与实施步骤。" * 3,
                    cost_estimate=Decimal(10000 * (k + 1) + index),
                    pros="费用较低,工期短",
                    cons="影响部分居民出行",
                    sort_order=k,
                )
                for k in range(3)
            ]
            poll = Poll.objects.create(
                community=community,
                proposal=proposal,
                question=f"{proposal.title}采用哪个方案",
                kind="owners",
                electorate="owners",
                method="single",
                rule="owners_ordinary",
                status=PollStatus.CLOSED,
                total_headcount=len(voters),
                total_area=sum(areas),
                created_by=facilitator,
            )
            options = [
                Option.objects.create(
                    poll=poll, label=plan.title, proposal_option=plan, sort_order=k
                )
                for k, plan in enumerate(plans)
            ]
            spec = counting.PollSpec(
                kind="owners",
                method="single",
                rule="owners_ordinary",
                options=tuple(
                    counting.OptionSpec(id=o.pk, label=o.label, sort_order=k)
                    for k, o in enumerate(options)
                ),
                question=poll.question,
            )
            cast = []
            rows = []
            prev = "0" * 64
            for n, voter in enumerate(voters[:ballots_per_poll]):
                choice = {"choice": options[0 if n % 10 < 7 else (1 if n % 10 < 9 else 2)].pk}
                channel = ["online", "paper", "proxy", "in_person"][n % 4]
                cast.append(
                    counting.CastBallot(
                        voter_key=voter.key,
                        choice=choice,
                        area=voter.area,
                        channel=channel,
                        seq=n + 1,
                    )
                )
                digest = hashlib.sha256(f"{prev}{voter.key}{choice}".encode()).hexdigest()
                rows.append(
                    Ballot(
                        poll=poll,
                        voter_key=voter.key,
                        choice=choice,
                        area=voter.area,
                        channel=channel,
                        seq=n + 1,
                        prev_hash=prev,
                        hash=digest,
                        receipt=digest[:12],
                    )
                )
                prev = digest
            Ballot.objects.bulk_create(rows, batch_size=500)
            poll.result = counting.count(spec, voters, cast).to_dict()
            poll.chain_head = prev
            resolution = Resolution.objects.create(
                community=community,
                proposal=proposal,
                adopted_option=plans[0],
                decision=f"按方案一实施{proposal.title}。",
                responsible_party=parties[(index + 1) % 4],
                responsible_person=members[(index + 1) % 40].user,
                deadline=date(2026, 12, 31) + timedelta(days=index),
                decided_at=datetime(2026, 11, 20, 21, 0, tzinfo=tz),
            )
            poll.resolution = resolution
            poll.save()
            item = AgendaItem.objects.create(
                meeting=meeting,
                proposal=proposal,
                title=proposal.title,
                poll=poll,
                sort_order=index,
            )
            Note.objects.bulk_create(
                [
                    Note(item=item, author=facilitator, text=f"记录{k + 1}:各方充分发表意见。")
                    for k in range(2)
                ]
            )
            SpeakerRequest.objects.bulk_create(
                [
                    SpeakerRequest(
                        item=item,
                        member=members[(index + k) % 40],
                        status=SpeakerStatus.DONE,
                        started_at=datetime(2026, 11, 20, 19, 10, tzinfo=tz) + timedelta(minutes=k),
                    )
                    for k in range(3)
                ]
            )
            PartyPosition.objects.bulk_create(
                [
                    PartyPosition(
                        item=item,
                        party=party,
                        stance=[Stance.SUPPORT, Stance.CONDITIONAL, Stance.OPPOSE][(index + k) % 3],
                        statement="意见陈述。",
                    )
                    for k, party in enumerate(parties)
                ]
            )
    print(json.dumps({"meeting": meeting.pk}))


def child_html(meeting_id: int, out: str) -> None:
    _django()
    from meetings.minutes.pdf import minutes_html
    from meetings.models import Meeting

    html = minutes_html(meeting=Meeting.objects.get(pk=meeting_id))
    Path(out).write_text(html, encoding="utf-8")
    print(json.dumps({"bytes": len(html.encode("utf-8"))}))


def child_project(meeting_id: int) -> None:
    _django()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from meetings.minutes.context import minutes_context
    from meetings.minutes.pdf import minutes_render
    from meetings.models import Meeting

    meeting = Meeting.objects.select_related("community").get(pk=meeting_id)
    with CaptureQueriesContext(connection) as queries:
        minutes_context(meeting.pk)
    started = time.perf_counter()
    record = minutes_render(meeting=meeting)
    render_seconds = time.perf_counter() - started
    print(
        json.dumps(
            {
                "wall": time.perf_counter() - _T0,
                "render": render_seconds,
                "maxrss_mb": _maxrss_mb(),
                "context_queries": len(queries.captured_queries),
                "pdf": record.document.file.path,
                "status": record.render_status,
            }
        )
    )


def child_floor(html_path: str, out: str) -> None:
    import weasyprint

    html = Path(html_path).read_text(encoding="utf-8")
    started = time.perf_counter()
    pdf = weasyprint.HTML(string=html).write_pdf()
    render_seconds = time.perf_counter() - started
    Path(out).write_bytes(pdf)
    print(
        json.dumps(
            {
                "wall": time.perf_counter() - _T0,
                "render": render_seconds,
                "maxrss_mb": _maxrss_mb(),
                "pdf": out,
            }
        )
    )


# ---------------------------------------------------------------------------------------------
# Parent


def _run(args: list[str], env: dict[str, str]) -> dict:
    result = subprocess.run(
        [PY, str(Path(__file__).resolve()), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        sys.stderr.write(result.stderr[-4000:])
        raise SystemExit(f"child {args[:2]} failed with {result.returncode}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def _pages(pdf: str) -> int:
    output = subprocess.run(["pdfinfo", pdf], capture_output=True, text=True, check=True).stdout
    for line in output.splitlines():
        if line.startswith("Pages:"):
            return int(line.split()[1])
    return 0


def _machine() -> str:
    model = ""
    try:
        output = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        for line in output.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    except (OSError, subprocess.CalledProcessError):
        model = platform.processor()
    return f"{os.cpu_count()} CPUs (`nproc`: {os.sched_getaffinity(0).__len__()}), {model}"


def _median(rows: list[dict], key: str) -> float:
    return statistics.median(row[key] for row in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", choices=["seed", "html", "project", "floor"])
    parser.add_argument("--meeting", type=int)
    parser.add_argument("--html")
    parser.add_argument("--out")
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--ballots", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--workdir", help="keep the database and files here (default: temp)")
    parser.add_argument("--write-docs", action="store_true", help="update docs/performance.md")
    parser.add_argument("--json", type=Path, help="write every run (with the load) here")
    parser.add_argument(
        "--settings",
        default="config.settings.base",
        help="settings of the project runs (e.g. bench.minutes_worker_settings)",
    )
    args = parser.parse_args()

    if args.child == "seed":
        return child_seed(args.items, args.ballots)
    if args.child == "html":
        return child_html(args.meeting, args.html)
    if args.child == "project":
        return child_project(args.meeting)
    if args.child == "floor":
        return child_floor(args.html, args.out)

    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="sifang-minutes-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": args.settings,
        "DEBUG": "0",
        "MEDIA_ROOT": str(workdir / "media"),
        "LOG_LEVEL": "WARNING",
        "TASKS_BACKEND": "django_tasks.backends.dummy.DummyBackend",
    }
    env.setdefault("DATABASE_URL", f"sqlite:///{workdir / 'bench.sqlite3'}")
    print(f"workdir {workdir}; database {env['DATABASE_URL']}", flush=True)
    if args.meeting:  # reuse a database seeded by an earlier run (same --workdir)
        meeting = args.meeting
    else:
        subprocess.run(
            [PY, "manage.py", "migrate", "--noinput", "--verbosity", "0"],
            env=env,
            cwd=ROOT,
            check=True,
        )
        seeded = _run(
            ["--child", "seed", "--items", str(args.items), "--ballots", str(args.ballots)], env
        )
        meeting = seeded["meeting"]
    html_path = workdir / "minutes.html"
    html_info = _run(["--child", "html", "--meeting", str(meeting), "--html", str(html_path)], env)
    print(
        f"meeting {meeting}: {args.items} items x {args.ballots} ballots;"
        f" HTML {html_info['bytes']:,} bytes",
        flush=True,
    )

    project_rows, floor_rows = [], []
    for run in range(args.runs):
        load_before = os.getloadavg()[0]
        project_rows.append(_run(["--child", "project", "--meeting", str(meeting)], env))
        floor_rows.append(
            _run(
                [
                    "--child",
                    "floor",
                    "--html",
                    str(html_path),
                    "--out",
                    str(workdir / f"floor{run}.pdf"),
                ],
                env,
            )
        )
        project, floor = project_rows[-1], floor_rows[-1]
        # The machine is shared: the 1-minute load around each project/floor pair.
        project["load_1min"] = floor["load_1min"] = [load_before, os.getloadavg()[0]]
        print(
            f"run {run + 1}: project {project['wall']:.2f} s {project['maxrss_mb']:.0f} MB;"
            f" floor {floor['wall']:.2f} s {floor['maxrss_mb']:.0f} MB",
            flush=True,
        )

    pages = _pages(project_rows[-1]["pdf"])
    p_wall, f_wall = _median(project_rows, "wall"), _median(floor_rows, "wall")
    p_mem, f_mem = _median(project_rows, "maxrss_mb"), _median(floor_rows, "maxrss_mb")
    p_render, f_render = _median(project_rows, "render"), _median(floor_rows, "render")
    table = "\n".join(
        [
            "| | wall time (median) | of which render | peak memory (median maxrss) |",
            "|---|---|---|---|",
            f"| project: `minutes_render` in a fresh process | {p_wall:.2f} s | {p_render:.2f} s"
            f" | {p_mem:.0f} MB |",
            f"| floor: bare WeasyPrint on the same HTML | {f_wall:.2f} s | {f_render:.2f} s"
            f" | {f_mem:.0f} MB |",
            f"| ratio project / floor | **{p_wall / f_wall:.2f}×** | | **{p_mem / f_mem:.2f}×** |",
        ]
    )
    summary = (
        f"{args.items} agenda items, each with a closed owners' poll of {args.ballots:,} ballots; "
        f"{pages} A4 pages; HTML {html_info['bytes']:,} bytes; context read in "
        f"{project_rows[-1]['context_queries']} queries; median of {args.runs} runs, one "
        f"subprocess per run. Settings: `{args.settings}`. Database: "
        f"{'PostgreSQL' if env['DATABASE_URL'].startswith('postgres') else 'SQLite'}. "
        f"Machine: {_machine()}; Python {platform.python_version()}."
    )
    print()
    print(summary)
    print(table)
    target = "met" if p_wall <= 1.3 * f_wall and p_mem <= 1.3 * f_mem else "NOT met"
    print(f"target (within 1.3x of the floor, time and memory): {target}")
    if args.write_docs:
        _write_docs(summary, table, target)
    if args.json:
        report = {
            "settings": args.settings,
            "items": args.items,
            "ballots": args.ballots,
            "pages": pages,
            "html_bytes": html_info["bytes"],
            "project": project_rows,
            "floor": floor_rows,
            "ratio_wall": p_wall / f_wall,
            "ratio_maxrss": p_mem / f_mem,
        }
        args.json.write_text(json.dumps(report, indent=1))


def _write_docs(summary: str, table: str, target: str) -> None:
    path = ROOT / "docs" / "performance.md"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Performance\n"
    section = (
        "## Minutes PDF\n\n"
        "`bench/minutes_pdf.py` renders the minutes of one large meeting with the project code "
        "(`minutes_render`: context from the database, template, QR code, WeasyPrint, storing "
        "the Wagtail document) and, as the floor, WeasyPrint alone on the very same HTML with no "
        "project code. Wall time counts from each subprocess's first line, imports included.\n\n"
        f"{summary}\n\n{table}\n\n"
        f"Target: within 1.3× of the floor in time and memory — {target}.\n"
        f"Reproduce: `.venv/bin/python bench/minutes_pdf.py --runs 5`.\n"
    )
    start = text.find("## Minutes PDF")
    if start == -1:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        end = text.find("\n## ", start + 1)
        text = text[:start] + section + (text[end + 1 :] if end != -1 else "")
    path.write_text(text, encoding="utf-8")
    print(f"updated {path}")


if __name__ == "__main__":
    main()
