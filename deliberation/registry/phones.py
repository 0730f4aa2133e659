"""Mainland China mobile numbers: normalising and masking. Pure functions."""

import re

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_SEPARATORS = re.compile(r"[\s\-()（）]")


def normalise_phone(raw: object) -> str | None:
    """The 11-digit mobile number in ``raw``, or ``None`` when it is not one.

    Accepts spaces, dashes and brackets, a ``+86`` / ``0086`` / ``86`` prefix, and numbers that
    a spreadsheet stored as integers or floats (``13912345678.0``).
    """
    if raw is None:
        return None
    if isinstance(raw, float):
        if not raw.is_integer():
            return None
        raw = int(raw)
    text = _SEPARATORS.sub("", str(raw))
    for prefix in ("+86", "0086", "86"):
        if text.startswith(prefix) and len(text) == len(prefix) + 11:
            text = text[len(prefix) :]
            break
    return text if _MOBILE.match(text) else None


def mask_phone(phone: str) -> str:
    """``139****5678``: enough for a person to recognise their own number, no more."""
    if len(phone) < 8:
        return "*" * len(phone)
    return f"{phone[:3]}****{phone[-4:]}"
