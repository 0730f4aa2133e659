"""Permission predicates of written proxies."""

from __future__ import annotations

from deliberation.models import Community
from deliberation.scope import AnyUser
from votes.rules import can_manage_polls


def can_manage_proxies(user: AnyUser, community: Community) -> bool:
    """Register, view and revoke written proxies: the committee staff who run the polls."""
    return can_manage_polls(user, community)
