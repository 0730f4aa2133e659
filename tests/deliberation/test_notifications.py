"""Notifications (issue 13 point 3): sent by the task worker, never twice, each recorded.

A local HTTP server stands in for the SMS gateway (``HttpSmsSender``); e-mail goes to Django's
locmem outbox. Delivery runs where production runs it: queued on commit to the django-tasks
backend (immediate in tests).
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from deliberation.models import (
    Category,
    Notification,
    NotificationChannel,
    NotificationKind,
    NotificationStatus,
    Party,
    ProposalStatus,
)
from deliberation.notifications import delivery, selectors, services
from deliberation.notifications.tasks import deliver_notifications_task
from deliberation.proposals.services import proposal_accept, proposal_transition
from deliberation.resolutions.services import (
    resolution_assign,
    resolution_complete,
    resolution_create,
)
from tests.factories.base import (
    BuildingFactory,
    CommunityFactory,
    MemberFactory,
    OwnershipFactory,
    UnitFactory,
    UserFactory,
)
from tests.factories.proposals import staff, submitted
from tests.factories.resolutions import ResolutionFactory
from tests.factories.votes import option_id, owners_estate, owners_poll, resident_poll
from votes.models import Participation
from votes.services.casting import ballot_cast

pytestmark = pytest.mark.django_db


@dataclass
class FakeSmsGateway:
    """Answers ``status`` (200 unless told otherwise) and keeps every request body."""

    received: list[dict[str, object]] = field(default_factory=list)
    status: int = 200
    delay: float = 0.0  # seconds before answering, so two workers overlap
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}/sms"

    def start(self) -> None:
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length).decode())
                time.sleep(gateway.delay)
                if gateway.status == 200:
                    gateway.received.append(body)
                self.send_response(gateway.status)
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        assert self.server is not None
        self.server.shutdown()
        self.server.server_close()

    def texts_to(self, phone: str) -> list[str]:
        return [str(body["text"]) for body in self.received if body["phone"] == phone]


@pytest.fixture
def gateway(settings) -> Iterator[FakeSmsGateway]:
    fake = FakeSmsGateway()
    fake.start()
    settings.SIFANG_OTP_SENDER = "deliberation.accounts.senders.HttpSmsSender"
    settings.SIFANG_SMS_URL = fake.url
    settings.SITE_URL = "https://yishi.example.org"
    yield fake
    fake.stop()


def test_accepting_a_matter_texts_its_author_once(gateway, django_capture_on_commit_callbacks):
    proposal = submitted()
    author = proposal.author.user
    actor = staff(proposal.community).user
    with django_capture_on_commit_callbacks(execute=True):
        proposal_accept(
            proposal=proposal,
            actor=actor,
            category=Category.FACILITIES,
            responsible_party=Party.PROPERTY,
        )
    [text] = gateway.texts_to(author.phone)
    assert proposal.title in text and "已受理" in text
    assert f"https://yishi.example.org/{proposal.community.slug}/proposals/{proposal.pk}/" in text
    [note] = Notification.objects.filter(recipient=author)
    assert note.kind == NotificationKind.PROPOSAL_ACCEPTED
    assert note.channel == NotificationChannel.SMS
    assert note.status == NotificationStatus.SENT and note.sent_at is not None
    # The task running again, and the command, send nothing more.
    deliver_notifications_task.enqueue()
    deliver_notifications_task.enqueue()
    call_command("send_due_reminders")
    assert len(gateway.texts_to(author.phone)) == 1
    # The same event reported again is not a second notification.
    transition = proposal.transitions.get(to_status=ProposalStatus.ACCEPTED)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.notify_proposal_transition(proposal=proposal, transition=transition) == 0
    assert Notification.objects.filter(recipient=author).count() == 1
    assert len(gateway.received) == 1


def test_every_step_of_the_matter_reaches_its_author(gateway, django_capture_on_commit_callbacks):
    proposal = submitted()
    author = proposal.author.user
    actor = staff(proposal.community).user
    with django_capture_on_commit_callbacks(execute=True):
        proposal_accept(
            proposal=proposal, actor=actor, category=Category.FACILITIES,
            responsible_party=Party.PROPERTY,
        )  # fmt: skip
        proposal_transition(
            proposal=proposal, to_status=ProposalStatus.SCHEDULED, actor=actor, note="第一次议事会"
        )
        proposal_transition(proposal=proposal, to_status=ProposalStatus.DECIDED, actor=actor)
    kinds = list(
        Notification.objects.filter(recipient=author).order_by("pk").values_list("kind", flat=True)
    )
    assert kinds == [
        NotificationKind.PROPOSAL_ACCEPTED,
        NotificationKind.PROPOSAL_SCHEDULED,
        NotificationKind.PROPOSAL_DECIDED,
    ]
    texts = gateway.texts_to(author.phone)
    assert len(texts) == 3
    assert "第一次议事会" in texts[1]


def test_a_rolled_back_change_tells_nobody(gateway, django_capture_on_commit_callbacks):
    proposal = submitted()
    actor = staff(proposal.community).user
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        proposal_transition(
            proposal=proposal, to_status=ProposalStatus.REJECTED, actor=actor,
            reject_reason="不属于社区事务",
        )  # fmt: skip
        raise RuntimeError("the caller fails after the step")
    assert not Notification.objects.exists()
    assert gateway.received == []


def test_a_failing_gateway_is_retried_and_never_doubles(
    gateway, django_capture_on_commit_callbacks
):
    proposal = submitted()
    actor = staff(proposal.community).user
    gateway.status = 503
    with django_capture_on_commit_callbacks(execute=True):
        proposal_transition(
            proposal=proposal,
            to_status=ProposalStatus.ANSWERED,
            actor=actor,
            answer="<p>已转物业处理</p>",
        )
    note = Notification.objects.get()
    assert note.status == NotificationStatus.PENDING
    assert note.attempts == 1 and "503" in note.last_error
    gateway.status = 200
    call_command("send_due_reminders")
    call_command("send_due_reminders")
    note.refresh_from_db()
    assert note.status == NotificationStatus.SENT
    [text] = gateway.texts_to(proposal.author.user.phone)
    assert "已转物业处理" in text and "<p>" not in text


def test_channel_follows_the_preference_kept_in_the_registry(gateway):
    community = CommunityFactory()
    building = BuildingFactory(community=community)
    no_phone = OwnershipFactory(
        unit=UnitFactory(building=building),
        member=MemberFactory(community=community, user=UserFactory(phone=None, email="")),
    ).member
    by_mail = MemberFactory(
        community=community,
        user=UserFactory(email="li@example.org"),
        preferred_channel=NotificationChannel.EMAIL,
    )
    # Wants SMS but has no phone: the first channel that reaches them (e-mail).
    no_way = MemberFactory(
        community=community,
        user=UserFactory(phone=None, email="wang@example.org"),
        preferred_channel=NotificationChannel.SMS,
    )
    tenant = MemberFactory(community=community, user=UserFactory(phone=None, email=""))
    texted = MemberFactory(community=community)
    with transaction.atomic():
        count = services.notify_users(
            community=community,
            user_ids=[m.user_id for m in (no_phone, by_mail, no_way, tenant, texted)],
            kind=NotificationKind.GENERAL,
            key="test:channels",
            title="停水通知",
        )
    assert count == 5
    channel = dict(Notification.objects.values_list("recipient_id", "channel"))
    assert channel == {
        no_phone.user_id: NotificationChannel.LETTER,
        by_mail.user_id: NotificationChannel.EMAIL,
        no_way.user_id: NotificationChannel.EMAIL,
        tenant.user_id: NotificationChannel.INBOX,
        texted.user_id: NotificationChannel.SMS,
    }
    letter = Notification.objects.get(recipient_id=no_phone.user_id)
    assert letter.unit is not None and letter.status == NotificationStatus.PENDING
    delivery.deliver_pending()
    assert sorted(m.to[0] for m in mail.outbox) == ["li@example.org", "wang@example.org"]
    assert {m.subject for m in mail.outbox} == {"停水通知"}
    assert len(gateway.received) == 1
    # Letters wait for printing, the inbox needs no delivery.
    assert Notification.objects.get(recipient_id=tenant.user_id).status == NotificationStatus.SENT
    letter.refresh_from_db()
    assert letter.status == NotificationStatus.PENDING


def test_unknown_preference_is_refused():
    member = MemberFactory()
    with pytest.raises(ValueError):
        services.member_set_preferred_channel(member=member, channel="pigeon")
    member.refresh_from_db()
    assert member.preferred_channel == ""


def test_poll_opening_and_closing_reach_owners_once(gateway, django_capture_on_commit_callbacks):
    estate = owners_estate(single_units=3)
    closes_at = timezone.now() + dt.timedelta(hours=20)
    with django_capture_on_commit_callbacks(execute=True):
        poll = owners_poll(estate, closes_at=closes_at)
    owners = [*estate.owners, *estate.co_owners, estate.two_unit_owner]
    opened = Notification.objects.filter(kind=NotificationKind.POLL_OPENED)
    assert sorted(opened.values_list("recipient_id", flat=True)) == sorted(u.pk for u in owners)
    for owner in owners:
        [text] = gateway.texts_to(owner.phone)
        assert poll.question in text
    assert estate.tenant.phone not in {body["phone"] for body in gateway.received}
    voter = estate.owners[0]
    with django_capture_on_commit_callbacks(execute=True):
        ballot_cast(poll=poll, voter=voter, choice={"choice": option_id(poll)})
    assert Participation.objects.filter(poll=poll).count() == 1
    gateway.received.clear()
    call_command("send_due_reminders")
    call_command("send_due_reminders")
    reminded = set(
        Notification.objects.filter(kind=NotificationKind.POLL_CLOSING).values_list(
            "recipient_id", flat=True
        )
    )
    assert reminded == {u.pk for u in owners} - {voter.pk}
    assert len(gateway.received) == len(owners) - 1
    assert all("即将截止" in str(body["text"]) for body in gateway.received)


def test_a_poll_far_from_closing_sends_no_reminder(gateway):
    community = CommunityFactory()
    MemberFactory(community=community)
    resident_poll(community, closes_at=timezone.now() + dt.timedelta(days=3))
    call_command("send_due_reminders")
    assert not Notification.objects.filter(kind=NotificationKind.POLL_CLOSING).exists()


def test_assignment_deadline_and_completion(gateway, django_capture_on_commit_callbacks):
    proposal = submitted()
    community = proposal.community
    actor = staff(community).user
    manager = MemberFactory(community=community, party=Party.PROPERTY, user=UserFactory())
    other_property = MemberFactory(community=community, party=Party.PROPERTY)
    with django_capture_on_commit_callbacks(execute=True):
        resolution = resolution_create(
            proposal=proposal,
            decision="更换车棚顶棚",
            responsible_party=Party.PROPERTY,
            responsible_person=manager.user,
            deadline=timezone.localdate() + dt.timedelta(days=1),
            actor=actor,
        )
    [assigned] = gateway.texts_to(manager.user.phone)
    assert "交办" in assigned and "更换车棚顶棚" in assigned
    assert gateway.texts_to(other_property.user.phone) == []
    call_command("send_due_reminders")
    call_command("send_due_reminders")
    texts = gateway.texts_to(manager.user.phone)
    assert len(texts) == 2 and "明天到期" in texts[1]
    with django_capture_on_commit_callbacks(execute=True):
        resolution_complete(resolution=resolution, actor=manager.user, report="顶棚已更换")
    [done] = gateway.texts_to(proposal.author.user.phone)
    assert "已办结" in done and "顶棚已更换" in done


def test_deadline_reminder_without_a_person_goes_to_the_party(gateway):
    resolution = ResolutionFactory(deadline=timezone.localdate() + dt.timedelta(days=1))
    first = MemberFactory(community=resolution.community, party=Party.PROPERTY)
    second = MemberFactory(community=resolution.community, party=Party.PROPERTY)
    MemberFactory(community=resolution.community, party=Party.DEPARTMENT)
    counts = services.notify_deadlines_tomorrow()
    assert counts.occasions == 1 and counts.notified == 2
    assert services.notify_deadlines_tomorrow().notified == 0
    assert set(Notification.objects.values_list("recipient_id", flat=True)) == {
        first.user_id,
        second.user_id,
    }


def test_unread_count_and_marking_read():
    member = MemberFactory()
    other = MemberFactory(community=member.community)
    for n in range(3):
        services.notify_users(
            community=member.community,
            user_ids=[member.user_id, other.user_id],
            kind=NotificationKind.GENERAL,
            key=f"test:{n}",
            title=f"通知{n}",
        )
    assert selectors.unread_count(member.user) == 3
    newest = selectors.inbox_for(member.user).first()
    assert newest is not None and newest.title == "通知2"
    theirs = Notification.objects.filter(recipient=other.user).first()
    assert theirs is not None
    assert services.inbox_mark_read(user=member.user, notification_ids=[newest.pk, theirs.pk]) == 1
    assert selectors.unread_count(member.user) == 2
    assert selectors.unread_count(other.user) == 3
    assert services.inbox_mark_read(user=member.user) == 2
    assert selectors.unread_count(member.user) == 0


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_each_message_once(gateway, uses_postgres):
    if not uses_postgres:
        pytest.skip("two workers at once need PostgreSQL row locks (set DATABASE_URL)")
    community = CommunityFactory()
    members = [MemberFactory(community=community) for _ in range(6)]
    services.notify_users(
        community=community,
        user_ids=[m.user_id for m in members],
        kind=NotificationKind.GENERAL,
        key="test:race",
        title="停电通知",
    )
    gateway.delay = 0.05
    start = threading.Barrier(2)

    def worker() -> None:
        from django.db import connection

        start.wait()
        try:
            delivery.deliver_pending()
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(body["phone"] for body in gateway.received) == sorted(
        m.user.phone for m in members
    )
    assert set(Notification.objects.values_list("status", flat=True)) == {NotificationStatus.SENT}


def test_a_draft_resolution_notifies_only_when_assigned(
    gateway, django_capture_on_commit_callbacks
):
    proposal = submitted()
    community = proposal.community
    actor = staff(community).user
    manager = MemberFactory(community=community, party=Party.PROPERTY)
    with django_capture_on_commit_callbacks(execute=True):
        draft = resolution_create(
            proposal=proposal,
            decision="待完善",
            responsible_party=Party.PROPERTY,
            deadline=timezone.localdate() + dt.timedelta(days=30),
            actor=actor,
            draft=True,
        )
    assert not Notification.objects.filter(kind=NotificationKind.RESOLUTION_ASSIGNED).exists()
    with django_capture_on_commit_callbacks(execute=True):
        resolution_assign(
            resolution=draft,
            actor=actor,
            decision="月底前更换车棚顶棚",
            responsible_party=Party.PROPERTY,
            responsible_person=manager.user,
            deadline=timezone.localdate() + dt.timedelta(days=20),
        )
    [text] = gateway.texts_to(manager.user.phone)
    assert "月底前更换车棚顶棚" in text
