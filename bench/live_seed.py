"""Seed what a live-vote run needs, straight through the ORM and the project's services.

- ``users_ensure(n)``: a bench community with a facilitator and ``n`` resident members (idempotent;
  users have unusable passwords, they sign in through sessions made here).
- ``sessions_new(users)``: one real database session per user (the ``sessionid`` cookie value),
  exactly what ``django.contrib.auth.login`` stores.
- ``scene_new(n)``: a fresh live meeting whose first agenda item carries a draft yes/no poll of
  the attendees, with the first ``n`` members checked in.

As a command (used by the integration tests against a database they create)::

    DATABASE_URL=... python -m bench.live_seed --n 3

prints JSON: meeting, poll, options, facilitator and participant session keys and user ids.
"""

from __future__ import annotations

import argparse
import json
import os
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any

COMMUNITY_SLUG = "bench-live"
FACILITATOR = "bench-facilitator"


@dataclass
class Scene:
    meeting: int
    poll: int
    options: list[int]
    user_ids: list[int]


def users_ensure(n: int) -> tuple[Any, Any, list[Any]]:
    """The bench community, its facilitator and at least ``n`` resident members (first ``n``)."""
    from django.db import transaction

    from deliberation.models import Community, Member, Party, User

    with transaction.atomic():
        community, _ = Community.objects.get_or_create(
            slug=COMMUNITY_SLUG, defaults={"name": "压测社区", "district": "压测街道"}
        )
        facilitator, _ = User.objects.get_or_create(
            username=FACILITATOR, defaults={"display_name": "压测主持人", "password": "!"}
        )
        Member.objects.get_or_create(
            community=community,
            user=facilitator,
            defaults={"party": Party.COMMITTEE, "is_council_member": True},
        )
        names = [f"bench-p{i:05d}" for i in range(n)]
        have = set(User.objects.filter(username__in=names).values_list("username", flat=True))
        User.objects.bulk_create(
            [
                User(username=name, display_name=f"住户{name[-5:]}", password="!")
                for name in names
                if name not in have
            ],
            batch_size=500,
        )
        users = list(User.objects.filter(username__in=names).order_by("username"))
        members = set(
            Member.objects.filter(community=community, user__in=users).values_list(
                "user_id", flat=True
            )
        )
        Member.objects.bulk_create(
            [
                Member(community=community, user=u, party=Party.RESIDENT)
                for u in users
                if u.pk not in members
            ],
            batch_size=500,
        )
    return community, facilitator, users


def sessions_new(users: list[Any]) -> list[str]:
    """A signed-in database session per user; returns the session keys (cookie values)."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.utils import timezone
    from django.utils.crypto import get_random_string

    expire = timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE)
    store = SessionStore()
    rows = []
    for user in users:
        data = {
            SESSION_KEY: str(user.pk),
            BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
            HASH_SESSION_KEY: user.get_session_auth_hash(),
        }
        key = get_random_string(32, "abcdefghijklmnopqrstuvwxyz0123456789")
        rows.append(Session(session_key=key, session_data=store.encode(data), expire_date=expire))
    Session.objects.bulk_create(rows, batch_size=500)
    return [row.session_key for row in rows]


def scene_new(n: int, *, community: Any = None, facilitator: Any = None) -> Scene:
    """A live meeting with a draft attendees' yes/no poll and the first ``n`` members present."""
    from django.db import transaction
    from django.utils import timezone

    from deliberation.models import Member, Party, Proposal, ProposalStatus
    from meetings import services
    from meetings.models import Attendance
    from votes import services as vote_services
    from votes.models import Electorate, Kind, Method, Rule

    if community is None or facilitator is None:
        community, facilitator, _users = users_ensure(n)
    members = list(
        Member.objects.filter(
            community=community, party=Party.RESIDENT, user__username__startswith="bench-p"
        ).order_by("user__username")[:n]
    )
    if len(members) < n:
        raise SystemExit(f"only {len(members)} bench members; call users_ensure({n}) first")
    author = Member.objects.get(community=community, user=facilitator)
    with transaction.atomic():
        proposal = Proposal.objects.create(
            community=community,
            title="压测议题",
            body="压测用议题",
            party=author.party,
            author=author,
            status=ProposalStatus.ACCEPTED,
        )
        poll = vote_services.poll_create(
            community=community,
            question="是否同意压测方案",
            kind=Kind.DELIBERATIVE,
            electorate=Electorate.ATTENDEES,
            method=Method.YESNO,
            rule=Rule.MAJORITY,
            actor=facilitator,
            proposal=proposal,
            show_running_tally=True,
        )
        meeting = services.meeting_schedule(
            community=community,
            title="压测议事会",
            starts_at=timezone.now() + timedelta(minutes=5),
            place="压测会议室",
            facilitator=facilitator,
            actor=facilitator,
            proposals=[proposal],
            polls={proposal.pk: poll},
        )
        Attendance.objects.bulk_create(
            [
                Attendance(meeting=meeting, member=m, present=True, marked_by=facilitator)
                for m in members
            ],
            batch_size=500,
        )
    services.meeting_open(meeting=meeting, actor=facilitator)
    return Scene(
        meeting=meeting.pk,
        poll=poll.pk,
        options=list(poll.options.order_by("pk").values_list("pk", flat=True)),
        user_ids=[m.user_id for m in members],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    import django

    django.setup()
    community, facilitator, users = users_ensure(args.n)
    scene = scene_new(args.n, community=community, facilitator=facilitator)
    [facilitator_session] = sessions_new([facilitator])
    by_id = {u.pk: u for u in users}
    out = asdict(scene)
    out["facilitator_session"] = facilitator_session
    out["sessions"] = sessions_new([by_id[pk] for pk in scene.user_ids])
    print(json.dumps(out))


if __name__ == "__main__":
    main()
