"""Wagtail's own reports and the snippets index, narrowed to the staff member's communities.

Wagtail scopes its site history, workflow reports and snippet counts by global Django
permissions only: staff of community B holding ``deliberation.view_proposal`` would read the log
entries and workflow states of community A's unpublished matters. The views here replace
Wagtail's (same URL, same name: :func:`cms.admin.gates.gate_admin_urls` swaps the view class
behind each pattern) and keep, for everyone but superusers, only rows about objects inside the
user's scope as the object's :class:`~cms.admin.policies.CommunityScopedPolicy` defines it.
Rows about objects of a Sifang model without such a policy are left out (fail closed); page
rows stay as Wagtail's page permissions decide (pages are the site's, not a community's).
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db.models import CharField, IntegerField, Model, Q, QuerySet, Value
from django.db.models.functions import Cast
from django.http import HttpRequest
from django.utils.translation import gettext_lazy
from wagtail.admin.filters import ContentTypeFilter
from wagtail.admin.views.reports.audit_logging import LogEntriesView, SiteHistoryReportFilterSet
from wagtail.admin.views.reports.workflows import (
    WorkflowReportFilterSet,
    WorkflowTasksView,
    WorkflowView,
)
from wagtail.log_actions import registry as log_action_registry
from wagtail.models import BaseLogEntry, PageLogEntry, WorkflowState, get_default_page_content_type
from wagtail.permissions import policy_registry
from wagtail.snippets.views.snippets import ModelIndexView

from cms.admin.policies import CommunityScopedPolicy
from deliberation.scope import AnyUser

SNIPPET_ACTIONS = frozenset({"add", "change", "delete", "view"})


def scoped_models() -> list[tuple[type[Model], CommunityScopedPolicy]]:
    """Every model with a registered :class:`CommunityScopedPolicy`, with that policy."""
    found = []
    for model in apps.get_models():
        policy = policy_registry.get_by_type(model, fallback=False)
        if isinstance(policy, CommunityScopedPolicy) and policy.model is model:
            found.append((model, policy))
    return found


def in_scope(
    user: AnyUser, *, content_type: str = "content_type", object_id: str = "object_id"
) -> Q:
    """Rows naming (by content type and text object id) an object inside the user's scope.

    Matches nothing for a user without communities; callers skip it for superusers.
    """
    condition = Q(pk__in=[])
    for model, policy in scoped_models():
        ids = policy.scope_queryset(user, model._default_manager.all()).values_list(
            Cast("pk", output_field=CharField()), flat=True
        )
        condition |= Q(
            **{content_type: ContentType.objects.get_for_model(model), f"{object_id}__in": ids}
        )
    return condition


# --- site history -------------------------------------------------------------------------------


def visible_log_entries(user: AnyUser, log_model: type[BaseLogEntry]) -> Any:
    """Log entries of ``log_model`` the user may read: Wagtail's rule, then the community scope."""
    entries = log_model.objects.viewable_by_user(user)
    if user.is_superuser or issubclass(log_model, PageLogEntry):
        return entries
    return entries.filter(in_scope(user))


def _log_models() -> list[type[BaseLogEntry]]:
    return list(log_action_registry.get_log_entry_models())


def _log_users(request: HttpRequest) -> QuerySet[Any]:
    user_ids: set[int] = set()
    for log_model in _log_models():
        user_ids.update(visible_log_entries(request.user, log_model).get_user_ids())
    user_model = get_user_model()
    return user_model.objects.filter(pk__in=user_ids).order_by(user_model.USERNAME_FIELD)


def _log_content_types(request: HttpRequest) -> QuerySet[ContentType]:
    ids: set[int] = set()
    for log_model in _log_models():
        ids.update(visible_log_entries(request.user, log_model).get_content_type_ids())
    return ContentType.objects.filter(pk__in=ids).order_by("model")


class ScopedSiteHistoryFilterSet(SiteHistoryReportFilterSet):
    """Filter choices (people, types, actions) drawn from the visible entries only."""

    object_type = ContentTypeFilter(
        label=gettext_lazy("类型"), method="filter_object_type", queryset=_log_content_types
    )

    def get_action_choices(self) -> list[tuple[str, Any]]:
        actions: set[str] = set()
        for log_model in _log_models():
            actions.update(visible_log_entries(self.request.user, log_model).get_actions())
        return [choice for choice in log_action_registry.get_choices() if choice[0] in actions]

    def get_user_choices(self) -> QuerySet[Any]:
        return _log_users(self.request)


class ScopedLogEntriesView(LogEntriesView):
    """Site history (and its CSV/XLSX export) of the user's communities."""

    filterset_class = ScopedSiteHistoryFilterSet

    def get_filtered_queryset(self) -> Any:
        # As Wagtail's: one values() subquery per log model, filtered, then a union; only the
        # source of each subquery differs.
        self.log_models = _log_models()
        combined = None
        for index, log_model in enumerate(self.log_models):
            rows = (
                visible_log_entries(self.request.user, log_model)
                .values("pk", "timestamp")
                .annotate(log_model_index=Value(index, output_field=IntegerField()))
            )
            rows = self.filter_queryset(rows).order_by()
            combined = rows if combined is None else combined.union(rows, all=True)
        assert combined is not None  # Wagtail registers at least its own log models
        return combined.order_by("-timestamp")


# --- workflows ----------------------------------------------------------------------------------


def _workflow_scope(user: AnyUser, prefix: str = "") -> Q:
    pages = Q(**{f"{prefix}base_content_type": get_default_page_content_type()})
    return pages | in_scope(
        user, content_type=f"{prefix}content_type", object_id=f"{prefix}object_id"
    )


def _requesters(request: HttpRequest) -> QuerySet[Any]:
    states = WorkflowState.objects.all()
    if not request.user.is_superuser:
        states = states.filter(_workflow_scope(request.user))
    user_model = get_user_model()
    return user_model.objects.filter(pk__in=states.values_list("requested_by", flat=True)).order_by(
        user_model.USERNAME_FIELD
    )


class ScopedWorkflowFilterSet(WorkflowReportFilterSet):
    """ "Requested by" offers the requesters of visible workflow states only."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.filters["requested_by"].queryset = _requesters


class ScopedWorkflowView(WorkflowView):
    """Workflow states of pages and of objects inside the user's communities."""

    filterset_class = ScopedWorkflowFilterSet

    def get_queryset(self) -> QuerySet[Any]:
        states = super().get_queryset()
        if self.request.user.is_superuser:
            return states
        return states.filter(_workflow_scope(self.request.user))


class ScopedWorkflowTasksView(WorkflowTasksView):
    """Task states of pages and of objects inside the user's communities."""

    def get_queryset(self) -> QuerySet[Any]:
        states = super().get_queryset()
        if self.request.user.is_superuser:
            return states
        return states.filter(_workflow_scope(self.request.user, "workflow_state__"))


# --- snippets index -----------------------------------------------------------------------------


class ScopedSnippetIndexView(ModelIndexView):
    """The snippets index counting only the rows each model's policy lets the user act on."""

    def _get_snippet_types(self) -> list[dict[str, Any]]:
        types: list[dict[str, Any]] = super()._get_snippet_types()
        for snippet_type in types:
            policy = policy_registry.get_by_type(snippet_type["model"])
            snippet_type["count"] = policy.instances_user_has_any_permission_for(
                self.request.user, SNIPPET_ACTIONS
            ).count()
        return types


REPLACEMENTS: dict[type, type] = {
    LogEntriesView: ScopedLogEntriesView,
    WorkflowView: ScopedWorkflowView,
    WorkflowTasksView: ScopedWorkflowTasksView,
    ModelIndexView: ScopedSnippetIndexView,
}
