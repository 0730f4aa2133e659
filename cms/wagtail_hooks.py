"""Wagtail admin integration (autoloaded by Wagtail): every snippet, viewset, admin URL and menu
item of Sifang. Each area lives in its own module of ``cms.admin``; its ``@hooks.register`` and
``register_snippet`` calls run when the module is imported here."""

from cms.admin import (
    document_access,
    documents,
    letters,
    meetings,
    minutes,
    polls,
    proposals,
    proxies,
    registry,
    resolutions,
    roster,
    triage,
)

__all__ = [
    "document_access",
    "documents",
    "letters",
    "meetings",
    "minutes",
    "polls",
    "proposals",
    "proxies",
    "registry",
    "resolutions",
    "roster",
    "triage",
]
