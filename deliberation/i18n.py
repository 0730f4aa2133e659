"""Translation helpers the standard library of Django lacks."""

from typing import Any

from django.utils.functional import Promise, lazy


def _interpolate(message: str | Promise, params: dict[str, Any]) -> str:
    return str(message) % params


_interpolate_lazy = lazy(_interpolate, str)


def interpolate_lazy(message: str | Promise, **params: Any) -> str:
    """``message % params``, evaluated when the text is used, not when this is called.

    ``gettext_lazy("...") % {...}`` translates at once, so a form field label built at import
    would keep the language active then. Pass the lazy message here instead; it is translated
    in the language active where the result is rendered. ``params`` are interpolated as given.
    """
    return _interpolate_lazy(message, params)
