"""Reads of notifications: a person's inbox, the unread count, the letters to print."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Max, QuerySet

from deliberation.models import (
    Building,
    Community,
    Member,
    Notification,
    NotificationChannel,
    NotificationStatus,
    Unit,
    User,
)


def inbox_for(user: User) -> QuerySet[Notification]:
    """The user's notifications, newest first, on every channel (the inbox keeps them all)."""
    return (
        Notification.objects.filter(recipient=user)
        .select_related("community")
        .order_by("-created_at", "-pk")
    )


def unread_count(user: User) -> int:
    """One indexed COUNT: the header shows it on every page."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def _pending_letters(community: Community) -> QuerySet[Notification]:
    return Notification.objects.filter(
        community=community,
        channel=NotificationChannel.LETTER,
        status=NotificationStatus.PENDING,
        unit__isnull=False,
    )


@dataclass(frozen=True)
class BuildingLetters:
    building: Building
    households: int
    letters: int
    last_id: int


def buildings_with_pending_letters(community: Community) -> list[BuildingLetters]:
    """Each building of ``community`` that has letters to print, with its counts."""
    rows = (
        _pending_letters(community)
        .values("unit__building_id")
        .annotate(
            letters=Count("pk"), households=Count("unit_id", distinct=True), last_id=Max("pk")
        )
        .order_by()
    )
    counts = {row["unit__building_id"]: row for row in rows}
    buildings = Building.objects.filter(pk__in=counts).order_by("name")
    return [
        BuildingLetters(
            building=building,
            households=counts[building.pk]["households"],
            letters=counts[building.pk]["letters"],
            last_id=counts[building.pk]["last_id"],
        )
        for building in buildings
    ]


@dataclass
class LetterItem:
    title: str
    body: str
    url: str
    created_at: dt.datetime
    notification_ids: tuple[int, ...]
    # Filled in by the presentation: the absolute link and its QR code.
    full_url: str = ""
    qr: str = ""


@dataclass
class HouseholdLetter:
    """One letter to one household: every pending matter for its owners, each once."""

    unit: Unit
    addressees: list[str] = field(default_factory=list)
    items: list[LetterItem] = field(default_factory=list)


def letters_for_building(
    community: Community, building: Building, *, upto_id: int | None = None
) -> list[HouseholdLetter]:
    """The letters of ``building``'s households, in unit order; a matter told to two co-owners
    is printed once, addressed to both. ``upto_id`` leaves out notifications written after the
    page that offered the batch (so the printed batch and the one marked printed agree)."""
    pending = _pending_letters(community)
    if upto_id is not None:
        pending = pending.filter(pk__lte=upto_id)
    rows = (
        pending.filter(unit__building=building)
        .select_related("unit", "recipient")
        .order_by("unit__floor", "unit__number", "created_at", "pk")
    )
    names = {
        member.user_id: member.user.display_name or str(member.user)
        for member in Member.objects.filter(
            community=community, ownerships__unit__building=building
        ).select_related("user")
    }
    letters: dict[int, HouseholdLetter] = {}
    grouped: dict[tuple[int, str, str], list[Notification]] = {}
    for row in rows:
        assert row.unit is not None
        letter = letters.setdefault(row.unit.pk, HouseholdLetter(unit=row.unit))
        name = names.get(row.recipient_id) or str(row.recipient)
        if name not in letter.addressees:
            letter.addressees.append(name)
        grouped.setdefault((row.unit.pk, row.subject_key, row.title), []).append(row)
    for (unit_id, _key, _title), same in grouped.items():
        first = same[0]
        letters[unit_id].items.append(
            LetterItem(
                title=first.title,
                body=first.body,
                url=first.url,
                created_at=first.created_at,
                notification_ids=tuple(row.pk for row in same),
            )
        )
    return list(letters.values())
