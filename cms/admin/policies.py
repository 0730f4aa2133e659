"""The community scope inside Wagtail's admin: a permission policy and the view mixins that apply
it to every view of a viewset.

A Django model permission is global ("may change proposals"); Sifang's boundary is the community
(DESIGN.md "Roles"). :class:`CommunityScopedPolicy` adds it: an action on an instance needs the
Django permission *and* the right standing in the instance's community, asked of
``deliberation.scope`` (or of an app's ``rules`` predicate). Wagtail consults the registered
policy in its editing-session pings, previews, bulk actions and copy view, but most of its
generic views (inspect, history, usage, revisions, unpublish, workflow history...) load the
object with a bare ``get_object_or_404(model, pk=...)`` and only check the model-wide
permission. :class:`ScopedViewSetMixin` therefore wraps *every* ``*_view_class`` of a viewset in
:class:`ScopedViewMixin`, whose ``get_object`` answers 404 for an object outside the user's scope
and whose listing querysets keep only in-scope rows; a view kind added by a later Wagtail is
wrapped the same way without a line here.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from typing import Any

from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.functional import classproperty
from django.views import View
from wagtail.models import WorkflowState
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import policy_registry
from wagtail.snippets.bulk_actions.delete import DeleteBulkAction
from wagtail.snippets.models import get_snippet_models
from wagtail.snippets.views.chooser import SnippetChooserViewSet

from deliberation import scope
from deliberation.models import Community
from deliberation.scope import AnyUser

CommunitiesOf = Callable[[Any], QuerySet[Community]]
StandsIn = Callable[[Any, Community], bool]


class CommunityScopedPolicy(ModelPermissionPolicy):
    """Wagtail permissions on ``model``, narrowed to the communities where the user may act.

    ``community_path`` is the lookup from the model to its :class:`Community` ("community",
    "meeting__community"). ``communities`` lists the communities where the user may act and
    ``stands_in`` answers the same for one community (the default: community staff,
    :func:`deliberation.scope.staff_communities` / :func:`~deliberation.scope.is_community_staff`).
    ``actions`` limits the actions the admin offers at all (``None``: every action); an action
    outside it is refused to everyone, superusers included, e.g. because the only way to create
    the object is a service with its own page.
    """

    def __init__(
        self,
        model: type[Model],
        *,
        community_path: str = "community",
        communities: CommunitiesOf = scope.staff_communities,
        stands_in: StandsIn = scope.is_community_staff,
        actions: Iterable[str] | None = None,
    ) -> None:
        super().__init__(model)
        self.community_path = community_path
        self._communities = communities
        self._stands_in = stands_in
        self.actions = frozenset(actions) if actions is not None else None

    # --- model-wide -----------------------------------------------------------------------------

    def communities(self, user: AnyUser) -> QuerySet[Community]:
        """The communities whose objects the user may act on through the admin."""
        return self._communities(user)

    def _offers(self, action: str) -> bool:
        return self.actions is None or action in self.actions

    def user_has_permission(self, user: AnyUser, action: str) -> bool:
        """The Django permission, and standing in at least one community (menus, buttons)."""
        if not self._offers(action) or not super().user_has_permission(user, action):
            return False
        if user.is_superuser:
            return True
        # Asked many times a request (menus, buttons); the user object lives for one request.
        cache: dict[int, bool] = user.__dict__.setdefault("_sifang_policy_scope", {})
        if id(self) not in cache:
            cache[id(self)] = self.communities(user).exists()
        return cache[id(self)]

    def user_has_any_permission(self, user: AnyUser, actions: Iterable[str]) -> bool:
        return any(self.user_has_permission(user, action) for action in actions)

    # --- one instance ---------------------------------------------------------------------------

    def scope_queryset(self, user: AnyUser, queryset: QuerySet[Any]) -> QuerySet[Any]:
        """``queryset`` narrowed to rows of the communities where the user may act."""
        if not user.is_authenticated:
            return queryset.none()
        if user.is_superuser:
            return queryset
        return queryset.filter(**{f"{self.community_path}__in": self.communities(user)})

    def covers(self, user: AnyUser, instance: Model) -> bool:
        """Whether ``instance`` lies inside the user's scope.

        A stored instance is judged by its database row, never by attributes a revision or a
        form may have changed; an unsaved one by the community it names.
        """
        if instance.pk is None:
            community: Any = instance
            for name in self.community_path.split("__"):
                community = getattr(community, name, None)
            return isinstance(community, Community) and self._stands_in(user, community)
        rows = self.model._default_manager.filter(pk=instance.pk)
        return self.scope_queryset(user, rows).exists()

    def user_has_permission_for_instance(self, user: AnyUser, action: str, instance: Model) -> bool:
        return self.user_has_permission(user, action) and self.covers(user, instance)

    def user_has_any_permission_for_instance(
        self, user: AnyUser, actions: Iterable[str], instance: Model
    ) -> bool:
        return self.user_has_any_permission(user, actions) and self.covers(user, instance)

    def instances_user_has_any_permission_for(
        self, user: AnyUser, actions: Iterable[str]
    ) -> QuerySet[Any]:
        actions = [action for action in actions if self._offers(action)]
        return self.scope_queryset(
            user, super().instances_user_has_any_permission_for(user, actions)
        )


def scoped_policy(model: type[Model]) -> CommunityScopedPolicy:
    """The registered policy of ``model``; refuses to run with any other (fail closed)."""
    policy = policy_registry.get_by_type(model)
    if not isinstance(policy, CommunityScopedPolicy):
        raise ImproperlyConfigured(f"{model.__name__} has no CommunityScopedPolicy registered")
    return policy


# --- views --------------------------------------------------------------------------------------


class ScopedViewMixin:
    """Put before a Wagtail view class: objects outside the user's scope answer 404.

    ``get_object`` covers every object view (edit, inspect, delete, history, usage, copy,
    revisions, unpublish, lock, workflow, preview, chooser "chosen"); ``get_base_queryset`` and
    ``get_object_list`` / ``get_objects`` cover listings and choosers. A workflow action also
    names a task state in its URL, which must belong to the object in the URL.
    """

    request: Any
    model: type[Model] | None
    object: Any
    produced_error_code: str
    produced_error_message: str | None

    def _policy(self) -> CommunityScopedPolicy:
        model = getattr(self, "model_class", None) or self.model
        assert model is not None  # every view of a viewset knows its model
        return scoped_policy(model)

    def _check(self, obj: Any) -> Any:
        user = self.request.user
        if (
            isinstance(obj, Model)
            and obj.pk is not None
            and not scoped_policy(type(obj)).covers(user, obj)
        ):
            raise Http404
        return obj

    def get_object(self, *args: Any, **kwargs: Any) -> Any:
        return self._check(super().get_object(*args, **kwargs))  # type: ignore[misc]

    def get_base_queryset(self) -> Any:
        queryset = super().get_base_queryset()  # type: ignore[misc]
        policy = self._policy()
        if isinstance(queryset, QuerySet) and issubclass(queryset.model, policy.model):
            return policy.scope_queryset(self.request.user, queryset)
        return queryset  # e.g. the log entries of a history view: already one object's

    def get_object_list(self) -> Any:
        return self._policy().scope_queryset(self.request.user, super().get_object_list())  # type: ignore[misc]

    def get_objects(self, pks: list[str]) -> Any:
        return self._policy().scope_queryset(self.request.user, super().get_objects(pks))  # type: ignore[misc]

    def form_valid(self, form: Any) -> HttpResponse:
        # A model's own validation (run by save_revision, e.g. when reverting to a revision with
        # an empty form) fails after the form passed: show it on the form, never a 500. Wagtail
        # saves inside a transaction, so nothing of the failed save remains.
        try:
            return super().form_valid(form)  # type: ignore[misc]
        except ValidationError as error:
            form.add_error(None, error.messages)
            self.produced_error_code = "validation_error"
            self.produced_error_message = " ".join(error.messages)
            response: HttpResponse = self.form_invalid(form)  # type: ignore[attr-defined]
            response.status_code = 400
            return response

    def can_create(self) -> bool:
        # A chooser without a creation form would fail on a POST to its create URL.
        return self.get_creation_form_class() is not None and super().can_create()  # type: ignore[attr-defined,misc]

    def get_task_state(self) -> Any:
        task_state = super().get_task_state()  # type: ignore[misc]
        if task_state is not None and not (
            WorkflowState.objects.for_instance(self.object)
            .filter(pk=task_state.workflow_state_id)
            .exists()
        ):
            raise Http404
        return task_state


_SCOPED: dict[type[View], type[View]] = {}


def scoped_view(view_class: type[View]) -> type[View]:
    """``view_class`` with :class:`ScopedViewMixin` first in its MRO (made once per class)."""
    if issubclass(view_class, ScopedViewMixin):
        return view_class
    if view_class not in _SCOPED:
        _SCOPED[view_class] = type(
            f"Scoped{view_class.__name__}",
            (ScopedViewMixin, view_class),
            {"__module__": __name__, "__doc__": view_class.__doc__},
        )
    return _SCOPED[view_class]


def _wrap_view_classes(viewset: object) -> None:
    for name in dir(type(viewset)):
        if not name.endswith("_view_class"):
            continue
        view_class = getattr(viewset, name)
        if not (isinstance(view_class, type) and issubclass(view_class, View)):
            continue
        if isinstance(inspect.getattr_static(type(viewset), name), property):
            # Built from another view class (revert = revert mixin + edit view): it must have
            # inherited the scope from that one; fail closed if a Wagtail release changes that.
            if not issubclass(view_class, ScopedViewMixin):
                raise ImproperlyConfigured(f"{type(viewset).__name__}.{name} is not scoped")
            continue
        setattr(viewset, name, scoped_view(view_class))


class ChooserGateMixin:
    """Wagtail's snippet chooser checks no permission: open it only to people who may view,
    add or change the model somewhere (the poll chooser is no door for property staff)."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        model = getattr(self, "model_class", None) or self.model  # type: ignore[attr-defined]
        if not scoped_policy(model).user_has_any_permission(
            request.user, ("view", "add", "change")
        ):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]


_CHOOSER_VIEWS = (
    "choose_view_class",
    "choose_results_view_class",
    "chosen_view_class",
    "chosen_multiple_view_class",
    "create_view_class",
)


class ScopedSnippetChooserViewSet(SnippetChooserViewSet):
    """The snippet chooser (used by foreign-key panels) listing only in-scope objects, for
    people who may use the model at all."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _wrap_view_classes(self)
        for name in _CHOOSER_VIEWS:
            view_class = getattr(self, name)
            if not issubclass(view_class, ChooserGateMixin):
                gated = type(f"Gated{view_class.__name__}", (ChooserGateMixin, view_class), {})
                setattr(self, name, gated)


class ScopedViewSetMixin:
    """Put before ``ModelViewSet`` / ``SnippetViewSet``: every view of the viewset (and of its
    chooser, for snippets) is scoped by the model's :class:`CommunityScopedPolicy`."""

    chooser_viewset_class = ScopedSnippetChooserViewSet

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _wrap_view_classes(self)


class ScopedDeleteBulkAction(DeleteBulkAction):
    """The snippet bulk delete, which names the selected objects it may not touch: objects
    outside the user's scope are left out of that list too (deleting them is already refused
    by the policy's instance check). Registered after Wagtail's own, so it replaces it for the
    scoped snippet models."""

    @classproperty
    def models(cls) -> list[type[Model]]:
        return [
            model
            for model in get_snippet_models()
            if isinstance(policy_registry.get_by_type(model, fallback=False), CommunityScopedPolicy)
        ]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context_data(**kwargs)
        policy = scoped_policy(self.model)
        context["items_with_no_access"] = [
            item
            for item in context.get("items_with_no_access", [])
            if policy.covers(self.request.user, item)
        ]
        return context
