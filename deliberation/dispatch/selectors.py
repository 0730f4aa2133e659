"""Reads of dispatch: a unit's queue, the dispatchers' list, a matter's dispatches.

Each list is one query whatever its length (matter, community and unit joined); overdue and the
next due time come from the pure ``deliberation.dispatch.limits``.
"""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from deliberation.dispatch.limits import DispatchClock, overdue_reason
from deliberation.dispatch.transitions import ACTIVE_STATUSES
from deliberation.models import Community, Dispatch, DispatchStatus, ResponsibleUnit
from deliberation.scope import AnyUser, committee_communities, staff_units, street_communities


@dataclass(frozen=True)
class DispatchRow:
    dispatch: Dispatch
    due_at: dt.datetime | None  # the next thing due: claim, or first feedback; None when done
    due_label: str  # "claim" or "feedback" or ""
    overdue: str  # EscalationReason value or ""


def dispatch_row(dispatch: Dispatch, now: dt.datetime) -> DispatchRow:
    clock = DispatchClock(
        dispatch.status, dispatch.claim_due_at, dispatch.feedback_due_at, dispatch.first_feedback_at
    )
    if dispatch.status == DispatchStatus.DISPATCHED:
        due, label = dispatch.claim_due_at, "claim"
    elif dispatch.status == DispatchStatus.CLAIMED and dispatch.first_feedback_at is None:
        due, label = dispatch.feedback_due_at, "feedback"
    else:
        due, label = None, ""
    return DispatchRow(dispatch, due, label, overdue_reason(clock, now))


def _joined(qs: QuerySet[Dispatch]) -> QuerySet[Dispatch]:
    return qs.select_related("proposal__community", "unit", "claimed_by")


def unit_queue(
    *, user: AnyUser, now: dt.datetime, done: bool = False, limit: int = 200
) -> list[DispatchRow]:
    """What was dispatched to the user's units: open ones by due time, or finished ones newest
    first (``done``). Nothing of any other unit."""
    qs = Dispatch.objects.filter(unit__in=staff_units(user))
    if done:
        qs = qs.exclude(status__in=ACTIVE_STATUSES).order_by("-closed_at", "-pk")
    else:
        qs = qs.filter(status__in=ACTIVE_STATUSES).order_by("claim_due_at", "pk")
    return [dispatch_row(d, now) for d in _joined(qs)[:limit]]


def unit_dispatch_get(*, user: AnyUser, pk: int) -> Dispatch | None:
    """The dispatch if it was sent to one of the user's units (else None: nothing to show)."""
    return _joined(Dispatch.objects.filter(pk=pk, unit__in=staff_units(user))).first()


def dispatcher_communities(user: AnyUser) -> QuerySet[Community]:
    """Communities whose matters the user dispatches: committee and street reach."""
    ids = set(committee_communities(user).values_list("pk", flat=True)) | set(
        street_communities(user).values_list("pk", flat=True)
    )
    return Community.objects.filter(pk__in=ids).order_by("name")


def dispatches_for_dispatcher(
    *,
    user: AnyUser,
    now: dt.datetime,
    community: Community | None = None,
    escalated: bool = False,
    active_only: bool = True,
    limit: int = 200,
) -> list[DispatchRow]:
    """Dispatches of the user's communities (optionally one), newest first; ``escalated`` keeps
    those escalated to the street and still active or last of their matter."""
    qs = Dispatch.objects.filter(proposal__community__in=dispatcher_communities(user))
    if community is not None:
        qs = qs.filter(proposal__community=community)
    if escalated:
        qs = qs.filter(escalated_at__isnull=False)
    elif active_only:
        qs = qs.filter(status__in=ACTIVE_STATUSES)
    return [dispatch_row(d, now) for d in _joined(qs).order_by("-dispatched_at", "-pk")[:limit]]


def proposal_dispatches(proposal_id: int) -> list[Dispatch]:
    """Every dispatch of a matter, oldest first."""
    return list(
        _joined(Dispatch.objects.filter(proposal_id=proposal_id)).order_by("dispatched_at", "pk")
    )


def units_serving(community: Community) -> QuerySet[ResponsibleUnit]:
    """Active units that serve ``community`` (the choices of a dispatch form)."""
    return ResponsibleUnit.objects.filter(communities=community, is_active=True).order_by(
        "kind", "name"
    )


def units_for_register(user: AnyUser) -> QuerySet[ResponsibleUnit]:
    """Units the user sees in the register: those serving their committee's or street's
    communities (units serving none yet, for street staff), with their staff counted."""
    communities = dispatcher_communities(user)
    qs = ResponsibleUnit.objects.filter(communities__in=communities)
    if user.is_authenticated and street_communities(user).exists():
        qs = ResponsibleUnit.objects.filter(Q(communities__in=communities) | Q(communities=None))
    if user.is_authenticated and user.is_superuser:
        qs = ResponsibleUnit.objects.all()
    ids = qs.values("pk")
    return (
        ResponsibleUnit.objects.filter(pk__in=ids)
        .annotate(staff_count=Count("staff", distinct=True))
        .prefetch_related("communities")
        .order_by("kind", "name")
    )
