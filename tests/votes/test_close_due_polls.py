"""Due polls close on a schedule: command, task, idempotence and races with other writers."""

import datetime as dt
import threading

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from tests.factories.base import CommunityFactory
from tests.factories.votes import resident_poll, residents
from votes import services
from votes.models import Poll, PollEvent, PollEventKind, PollStatus
from votes.tasks import close_due_polls_task


def _due_at(poll, delta):
    Poll.objects.filter(pk=poll.pk).update(closes_at=timezone.now() + delta)
    poll.refresh_from_db()
    return poll


def _snapshot():
    """Everything a close writes, for every poll: a second run must leave it identical."""
    polls = Poll.objects.order_by("pk").values_list(
        "pk", "status", "closed_at", "finalised_at", "result", "objection_until"
    )
    events = PollEvent.objects.order_by("pk").values_list("pk", "poll_id", "kind")
    return list(polls), list(events)


@pytest.fixture
def scene(db):
    community = CommunityFactory()
    residents(community, 3)
    return {
        "due": _due_at(resident_poll(community, question="到期"), -dt.timedelta(minutes=1)),
        "running": _due_at(resident_poll(community, question="未到期"), dt.timedelta(days=1)),
        "open_ended": resident_poll(community, question="无截止时间"),
        "draft": _due_at(
            resident_poll(community, question="草稿", open_now=False), -dt.timedelta(minutes=1)
        ),
    }


def _statuses(scene):
    return {name: Poll.objects.get(pk=poll.pk).status for name, poll in scene.items()}


EXPECTED = {
    "due": PollStatus.FINAL,  # deliberative: final at once
    "running": PollStatus.OPEN,
    "open_ended": PollStatus.OPEN,
    "draft": PollStatus.DRAFT,
}


def test_command_closes_only_due_polls_and_a_second_run_changes_nothing(scene, capsys):
    call_command("close_due_polls")
    assert f"poll {scene['due'].pk}: closed" in capsys.readouterr().out
    assert _statuses(scene) == EXPECTED
    due = Poll.objects.get(pk=scene["due"].pk)
    assert due.result is not None and due.closed_at is not None
    assert PollEvent.objects.filter(poll=due, kind=PollEventKind.CLOSED).count() == 1

    before = _snapshot()
    call_command("close_due_polls")
    assert capsys.readouterr().out == ""
    assert _snapshot() == before


def test_task_closes_due_polls_and_is_idempotent(scene):
    result = close_due_polls_task.enqueue()  # immediate backend in tests: runs here
    assert result.return_value == {"closed": [scene["due"].pk], "failed": []}
    assert _statuses(scene) == EXPECTED
    before = _snapshot()
    assert close_due_polls_task.enqueue().return_value == {"closed": [], "failed": []}
    assert _snapshot() == before


def test_enqueue_flag_queues_the_task(scene, capsys):
    call_command("close_due_polls", "--enqueue")
    assert capsys.readouterr().out.startswith("queued ")
    assert _statuses(scene) == EXPECTED


def test_a_poll_closed_meanwhile_is_left_alone(scene):
    stale = scene["due"]  # loaded while still open, as a run that listed it earlier holds it
    services.poll_close(poll=stale, actor=None)
    before = _snapshot()
    assert services.poll_close_if_due(poll=stale) is None
    assert _snapshot() == before


def test_a_poll_extended_meanwhile_stays_open(scene):
    stale = scene["due"]
    services.poll_extend(
        poll=stale, actor=None, closes_at=timezone.now() + dt.timedelta(hours=1), reason="延期"
    )
    assert stale.status == PollStatus.OPEN  # the stale copy still looks due
    assert services.poll_close_if_due(poll=stale) is None
    assert Poll.objects.get(pk=stale.pk).status == PollStatus.OPEN


def test_one_failing_poll_does_not_hold_up_the_others(scene, monkeypatch):
    community = scene["due"].community
    later = _due_at(resident_poll(community, question="也到期"), -dt.timedelta(minutes=1))
    from votes.services import polls as poll_services

    real_count = poll_services.poll_tally

    def count(poll):
        if poll.pk == scene["due"].pk:
            raise RuntimeError("broken")
        return real_count(poll)

    monkeypatch.setattr(poll_services, "poll_tally", count)
    report = services.polls_close_due()
    assert report.failed == [scene["due"].pk]
    assert [p.pk for p in report.closed] == [later.pk]
    assert Poll.objects.get(pk=scene["due"].pk).status == PollStatus.OPEN
    with pytest.raises(Exception, match="could not close"):
        call_command("close_due_polls")


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
    reason="two runs at once need PostgreSQL row locks (set DATABASE_URL)",
)
def test_two_runs_at_once_close_each_poll_once():
    community = CommunityFactory()
    residents(community, 3)
    polls = [
        _due_at(resident_poll(community, question=f"到期{i}"), -dt.timedelta(minutes=1))
        for i in range(6)
    ]
    go = threading.Barrier(4)
    reports = []

    def run():
        try:
            go.wait(timeout=30)
            reports.append(services.polls_close_due())
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(reports) == 4
    assert all(not report.failed for report in reports)
    closed = sorted(p.pk for report in reports for p in report.closed)
    assert closed == sorted(p.pk for p in polls)
    for poll in polls:
        assert PollEvent.objects.filter(poll=poll, kind=PollEventKind.CLOSED).count() == 1
        assert PollEvent.objects.filter(poll=poll, kind=PollEventKind.FINALISED).count() == 1
