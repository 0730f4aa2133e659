"""The site header's navigation: which community's pages it links to, and for whom."""

from typing import Any

from django import template
from django.http import HttpRequest

from deliberation import scope
from deliberation.models import Community

register = template.Library()


def nav_community(request: HttpRequest | None, context_community: Any) -> Community | None:
    """The community whose pages the header links to.

    The page's own community when it has one (no query: views put it in the context), else the
    one in the URL, else the signed-in person's only community, else the only community there
    is. ``None`` when several communities make the choice ambiguous: the header then links to
    the site home, which lists them all.
    """
    if isinstance(context_community, Community):
        return context_community
    if request is None:
        return None
    match = getattr(request, "resolver_match", None)
    slug = match.kwargs.get("community") if match is not None else None
    if isinstance(slug, str):
        found = Community.objects.filter(slug=slug).first()
        if found is not None:
            return found
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        mine = list(scope.member_communities(user).order_by("pk")[:2])
        if len(mine) == 1:
            return mine[0]
    only = list(Community.objects.order_by("pk")[:2])
    return only[0] if len(only) == 1 else None


@register.inclusion_tag("cms/_site_nav.html", takes_context=True)
def site_nav(context: template.Context, mark_current: bool = True) -> dict[str, Any]:
    """The header's links: the community's pages, my matters, and the admin for staff.

    ``mark_current=False`` (error pages) marks no link as the page the visitor is on.
    """
    request = context.get("request")
    user = getattr(request, "user", None)
    community = nav_community(request, context.get("community"))
    match = getattr(request, "resolver_match", None)
    return {
        "request": request,
        "nav_community": community,
        "current": match.url_name if match is not None and mark_current else "",
        "signed_in": bool(user is not None and user.is_authenticated),
        "admin_access": bool(user is not None and scope.can_access_admin(user)),
    }
