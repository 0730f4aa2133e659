"""Community boundaries on Wagtail's own admin URLs, applied where the URLconf is built.

Wagtail's choosers, admin API, page tools and reports answer any admin user: they check global
permissions at most, and some list every row (a document chooser lists every community's minutes
and notices). :func:`gate_admin_urls` walks Wagtail's admin URL patterns once, in
``config/urls.py``, and changes each matching pattern's view in place, keeping its URL and name:

- a report or index view class is swapped for its scoped subclass (``cms.admin.reports``);
- a tool no Sifang role needs (page tools, images, documents, embeds, the workflow task chooser)
  is refused, with Wagtail's "permission denied" answer, to anyone without the Wagtail
  permission it serves (documents: superusers only, since each belongs to a community);
- two views that fail with a server error on malformed input answer 400 / 404 instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import update_wrapper
from typing import Any

from django.apps import apps
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.urls import URLPattern, URLResolver
from django.utils.translation import gettext as _
from wagtail.admin.auth import permission_denied, require_admin_access
from wagtail.images import get_image_model
from wagtail.models import Page
from wagtail.permissions import policy_registry

from cms.admin.reports import REPLACEMENTS
from deliberation.scope import AnyUser, can_access_admin

View = Callable[..., HttpResponse]
Allowed = Callable[[AnyUser], bool]

PAGE_ACTIONS = frozenset({"add", "change", "publish", "bulk_delete", "lock", "unlock"})
EXTERNAL_LINK_FIELD = "external-link-chooser-url"
WORKFLOW_PERMISSIONS = ("wagtailcore.add_workflow", "wagtailcore.change_workflow")


def edits_pages(user: AnyUser) -> bool:
    """Holds a permission on some page (Sifang's roles hold none: the site is the superuser's)."""
    return bool(policy_registry.get_by_type(Page).user_has_any_permission(user, PAGE_ACTIONS))


def uses_images(user: AnyUser) -> bool:
    policy = policy_registry.get_by_type(get_image_model())
    return bool(policy.user_has_any_permission(user, ["add", "change", "choose"]))


def edits_workflows(user: AnyUser) -> bool:
    return any(user.has_perm(permission) for permission in WORKFLOW_PERMISSIONS)


def superuser(user: AnyUser) -> bool:
    return bool(user.is_superuser)


# (URL name prefix, who may open it). The first matching prefix decides.
GATES: tuple[tuple[str, Allowed], ...] = (
    # Every Wagtail document is a community's minutes or notice (meetings.documents).
    ("wagtaildocs", superuser),
    ("wagtailadmin_api:documents:", superuser),
    ("wagtailimages", uses_images),
    ("wagtailadmin_api:images:", uses_images),
    ("wagtailadmin_api:pages:", edits_pages),
    ("wagtailadmin_pages:", edits_pages),
    ("wagtailembeds:", edits_pages),
    ("wagtailadmin_workflows:task_cho", edits_workflows),
)


def _gate(view: View, allowed: Allowed) -> View:
    def gated(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if user.is_authenticated and not allowed(user):
            # As Wagtail answers: a message and the admin home, or 403 to scripts.
            if request.headers.get("x-requested-with") == "XMLHttpRequest" or "/api/" in (
                request.path
            ):
                raise PermissionDenied
            return permission_denied(request)
        return view(request, *args, **kwargs)

    return update_wrapper(gated, view)


def _external_link_guard(view: View) -> View:
    """The external link chooser's URL field crashes on a POST without it: answer 400, to
    people with admin access only (the others are sent to the sign-in by the view itself)."""

    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if (
            request.method == "POST"
            and EXTERNAL_LINK_FIELD not in request.POST
            and can_access_admin(request.user)
        ):
            return HttpResponseBadRequest(_("请填写链接地址。"))
        return view(request, *args, **kwargs)

    return update_wrapper(guarded, view)


def _ping_guard(view: View) -> View:
    """An editing-session ping naming an id its model cannot hold answers 404, not 500."""

    def guarded(
        request: HttpRequest, app_label: str, model_name: str, object_id: str, *args: Any, **kw: Any
    ) -> HttpResponse:
        try:
            model = apps.get_model(app_label, model_name)
            model._meta.pk.to_python(unquote(object_id))
        except (LookupError, ValidationError):
            return JsonResponse({"error": _("没有这个对象。")}, status=404)
        return view(request, app_label, model_name, object_id, *args, **kw)

    return update_wrapper(guarded, view)


GUARDS: dict[str, Callable[[View], View]] = {
    "wagtailadmin_choose_page_external_link": _external_link_guard,
    "wagtailadmin_editing_sessions:ping": _ping_guard,
}


def _swap(callback: Any) -> Any:
    """``callback`` served by the scoped replacement of its view class, or ``None``."""
    inner = callback
    while inner is not None and getattr(inner, "view_class", None) is None:
        inner = getattr(inner, "__wrapped__", None)
    if inner is None or inner.view_class not in REPLACEMENTS:
        return None
    replacement = REPLACEMENTS[inner.view_class]
    view = replacement.as_view(**inner.view_initkwargs)  # type: ignore[attr-defined]
    return update_wrapper(require_admin_access(view), view)


def _walk(
    patterns: Iterable[URLPattern | URLResolver], namespace: str
) -> Iterable[tuple[str, URLPattern]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _walk(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern):
            yield f"{namespace}{pattern.name or ''}", pattern


def gate_admin_urls(patterns: list[URLPattern | URLResolver]) -> int:
    """Apply the swaps, gates and guards to Wagtail's admin ``patterns`` (in place, once).

    Returns how many patterns changed. Idempotent: a changed callback is marked.
    """
    changed = 0
    for name, pattern in _walk(patterns, ""):
        callback: Any = pattern.callback
        if getattr(callback, "_sifang_gated", False):
            continue
        new = _swap(callback)
        if new is None:
            new = callback
        for prefix, allowed in GATES:
            if name.startswith(prefix):
                new = _gate(new, allowed)
                break
        if name in GUARDS:
            new = GUARDS[name](new)
        if new is not callback:
            new._sifang_gated = True
            pattern.callback = new
            changed += 1
    return changed
