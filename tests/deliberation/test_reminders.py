"""Deadline reminders: flagged, e-mailed to the responsible staff, recorded, never sent twice."""

import datetime as dt

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.utils import timezone

from deliberation.models import Party, ReminderKind, ReminderLog, ResolutionStatus
from deliberation.proposals.selectors import proposals_unanswered_overdue
from deliberation.resolutions.reminders import send_reminders
from deliberation.resolutions.selectors import resolutions_overdue
from deliberation.resolutions.tasks import send_reminders_task
from tests.factories.base import CommunityFactory, MemberFactory, UserFactory
from tests.factories.resolutions import DecidedProposalFactory, ResolutionFactory

pytestmark = pytest.mark.django_db


def staff(community, party, email):
    return MemberFactory(community=community, party=party, user=UserFactory(email=email))


@pytest.fixture
def scene():
    community = CommunityFactory(response_days=3)
    staff(community, Party.PROPERTY, "wuye@example.com")
    staff(community, Party.PROPERTY, "wuye2@example.com")
    staff(community, Party.COMMITTEE, "juweihui@example.com")
    today = timezone.localdate()
    overdue = ResolutionFactory(
        proposal__community=community, deadline=today - dt.timedelta(days=2)
    )
    ResolutionFactory(proposal__community=community, deadline=today + dt.timedelta(days=5))
    ResolutionFactory(
        proposal__community=community,
        deadline=today - dt.timedelta(days=9),
        status=ResolutionStatus.COMPLETED,
        completed_at=timezone.now(),
    )
    late = DecidedProposalFactory(community=community, status="submitted", responded_at=None)
    late.submitted_at = timezone.now() - dt.timedelta(days=4)
    late.save(update_fields=["submitted_at"])
    fresh = DecidedProposalFactory(community=community, status="submitted", responded_at=None)
    return {"community": community, "overdue": overdue, "late": late, "fresh": fresh}


def test_flags_overdue_and_unanswered(scene):
    assert list(resolutions_overdue()) == [scene["overdue"]]
    assert proposals_unanswered_overdue() == [scene["late"]]
    assert scene["overdue"].is_overdue()


def test_sends_to_responsible_staff_and_records(scene):
    report = send_reminders()
    assert report.sent == 3
    recipients = sorted(m.to[0] for m in mail.outbox)
    assert recipients == ["juweihui@example.com", "wuye2@example.com", "wuye@example.com"]
    overdue_mail = next(m for m in mail.outbox if m.to == ["wuye@example.com"])
    assert "逾期 2 天" in overdue_mail.subject
    assert f"/resolutions/{scene['overdue'].pk}/" in overdue_mail.body
    logs = ReminderLog.objects.order_by("recipient")
    assert [(log.kind, log.recipient) for log in logs] == [
        (ReminderKind.UNANSWERED_PROPOSAL, "juweihui@example.com"),
        (ReminderKind.OVERDUE_RESOLUTION, "wuye2@example.com"),
        (ReminderKind.OVERDUE_RESOLUTION, "wuye@example.com"),
    ]


def test_never_sent_twice(scene):
    send_reminders()
    sent = len(mail.outbox)
    again = send_reminders()
    assert (again.sent, again.skipped) == (0, 3)
    call_command("send_reminders")
    send_reminders_task.enqueue()  # the scheduled task runs the same, idempotent code
    assert len(mail.outbox) == sent
    assert ReminderLog.objects.count() == sent


def test_named_responsible_person_gets_it_alone(scene):
    person = UserFactory(email="zhang@example.com")
    scene["overdue"].responsible_person = person
    scene["overdue"].save()
    send_reminders()
    overdue_mails = [m for m in mail.outbox if "决议" in m.subject]
    assert [m.to for m in overdue_mails] == [["zhang@example.com"]]


def test_new_deadline_is_a_new_occasion(scene):
    send_reminders()
    resolution = scene["overdue"]
    resolution.round = 2
    resolution.deadline = timezone.localdate() - dt.timedelta(days=1)
    resolution.save()
    report = send_reminders()
    assert report.sent == 2  # both property staff, once more for the new round


def test_log_unique_constraint_is_the_guard(scene):
    ReminderLog.objects.create(kind="overdue_resolution", key="k", recipient="a@example.com")
    with pytest.raises(IntegrityError), transaction.atomic():
        ReminderLog.objects.create(kind="overdue_resolution", key="k", recipient="a@example.com")


def test_failed_send_leaves_no_record_and_is_retried(scene, monkeypatch):
    import deliberation.resolutions.reminders as reminders

    def broken(*args, **kwargs):
        raise ConnectionError("smtp down")

    monkeypatch.setattr(reminders, "send_mail", broken)
    with pytest.raises(ConnectionError):
        send_reminders()
    assert not ReminderLog.objects.exists()
    monkeypatch.undo()
    assert send_reminders().sent == 3


def test_command_prints_counts(scene, capsys):
    call_command("send_reminders")
    out = capsys.readouterr().out
    assert "sent=3" in out and "overdue_resolutions=1" in out and "unanswered_proposals=1" in out
