"""Template helpers of the proposal pages."""

from decimal import Decimal

from django import template
from django.utils.safestring import SafeString, mark_safe

from deliberation.sanitize import clean_html

register = template.Library()


@register.filter
def sanitized(value: str) -> SafeString:
    """Rich text through nh3 at render time too (admin edits bypass the intake service)."""
    return mark_safe(clean_html(value or ""))  # noqa: S308 - nh3 output is safe by construction


@register.filter
def yuan(value: Decimal | None) -> str:
    """Money in 元 with thousands separators and two decimals: 12,345.60."""
    if value is None:
        return ""
    return f"{Decimal(value):,.2f}"
