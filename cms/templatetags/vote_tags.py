"""Template helpers of the vote pages."""

from decimal import Decimal

from django import template

from votes.counting import area_str

register = template.Library()


@register.filter
def area(value: Decimal | None) -> str:
    """An area in ㎡ with two decimals, as the counting and the live refresh print it."""
    return "" if value is None else area_str(Decimal(value))
