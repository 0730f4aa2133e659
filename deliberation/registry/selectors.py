"""Reads of the registry (members, households) that more than one caller needs."""

from typing import Any

from deliberation.models import (
    Community,
    Member,
    Ownership,
)


def household_unit_ids(*, community: Community, user: Any) -> list[int]:
    """The units the signed-in user owns in ``community`` (empty for non-owners)."""
    if not getattr(user, "is_authenticated", False):
        return []
    return list(
        Ownership.objects.filter(
            member__user=user, member__community=community, unit__building__community=community
        ).values_list("unit_id", flat=True)
    )


def member_by_phone(*, community: Community, phone: str) -> Member | None:
    """The community member with this phone number (staff entering a matter for them)."""
    phone = "".join(ch for ch in (phone or "") if ch.isdigit())
    if not phone:
        return None
    return (
        Member.objects.filter(community=community, user__phone__endswith=phone[-11:])
        .select_related("user")
        .first()
    )


def members_by_user(*, community: Community, user_ids: set[int]) -> list[Member]:
    """The community's members among ``user_ids``, with their user (one query)."""
    return list(
        Member.objects.filter(community=community, user_id__in=user_ids).select_related("user")
    )
