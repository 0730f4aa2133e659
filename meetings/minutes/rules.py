"""Who may issue, withdraw and reissue notices (公示): committee staff of the notice's community."""

from __future__ import annotations

from django.db.models import QuerySet

from deliberation import scope
from deliberation.models import Community
from deliberation.scope import AnyUser

# "Issue notices" in ROLE_PERMISSIONS covers the whole life of a notice: issue, correct by
# reissuing, withdraw, attach the posting photo.
ISSUE_PERMISSION = "meetings.add_notice"


def may_issue_notices(user: AnyUser, community: Community) -> bool:
    """Committee (居委会) staff of ``community`` with admin access and the permission.

    Property and department staff never issue notices, whatever Django permissions they hold;
    superusers pass as everywhere in ``scope``.
    """
    return scope.can_access_admin(user) and scope.is_committee_member(
        user, community, permission=ISSUE_PERMISSION
    )


def notice_communities(user: AnyUser) -> QuerySet[Community]:
    """The communities where :func:`may_issue_notices` holds (form choices, admin listings)."""
    if not scope.can_access_admin(user):
        return Community.objects.none()
    return scope.committee_communities(user, permission=ISSUE_PERMISSION)
