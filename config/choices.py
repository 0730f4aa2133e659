"""Choice labels looked up, not rebuilt: ``get_<field>_display()`` in one dictionary hit.

Django's ``Model._get_FIELD_display`` builds a dictionary of every choice of the field on each
call, hashing each lazy label on the way, and hashing a lazy label translates it: a list of 20
proposals showing status, category, channel and party made several hundred ``gettext`` calls
for four labels a row. :func:`display` keeps each field's value -> label dictionary (the labels
stay lazy, so the language is still the request's) and translates only the label it returns.

Django binds ``get_<field>_display`` to ``Model._get_FIELD_display`` when each model class is
created, so :func:`install` must run before the models are imported: ``cms/apps.py`` calls it
when the app registry imports the app configs, before any app's models.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.encoding import force_str
from django.utils.hashable import make_hashable


def _labels(field: models.Field[Any, Any]) -> dict[Any, Any]:
    labels = field.__dict__.get("_sifang_choice_labels")
    if labels is None:
        labels = dict(make_hashable(field.flatchoices))
        field.__dict__["_sifang_choice_labels"] = labels
    return labels


def display(self: models.Model, field: models.Field[Any, Any]) -> Any:
    """What ``Model._get_FIELD_display`` returns, from the field's kept label dictionary."""
    value = getattr(self, field.attname)
    try:
        label = _labels(field).get(value, value)
    except TypeError:  # an unhashable value (a list in a JSON field with choices)
        label = _labels(field).get(make_hashable(value), value)
    return force_str(label, strings_only=True)


def install() -> None:
    models.Model._get_FIELD_display = display  # type: ignore[attr-defined]
