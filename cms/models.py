from typing import Any

from django.db import models
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from wagtail.fields import RichTextField
from wagtail.models import Page

from cms import selectors


class HomePage(Page):
    """The site home: every community with its open proposals, meetings and resolutions."""

    intro = RichTextField(_("导语"), blank=True)

    content_panels = [*Page.content_panels, "intro"]
    parent_page_types = ["wagtailcore.Page"]
    subpage_types: list[str] = []
    max_count = 1

    class Meta:
        verbose_name = _("首页")

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context(request, *args, **kwargs)
        context["communities"] = selectors.home_overview()
        return context


# Re-exported so ``cms.models`` is the single import for page types.
__all__ = ["HomePage", "models"]
