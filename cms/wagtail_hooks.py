"""Wagtail admin integration (autoloaded by Wagtail): every snippet, viewset, admin URL and menu
item of Sifang. Each area lives in its own module of ``cms.admin``; its ``@hooks.register`` and
``register_snippet`` calls run when the module is imported here."""

from cms.admin import (
    campaign,
    dispatch,
    document_access,
    documents,
    letters,
    levels,
    meetings,
    minutes,
    objections,
    polls,
    problems,
    proposals,
    proxies,
    registry,
    resolutions,
    roster,
    street,
    triage,
)

__all__ = [
    "campaign",
    "dispatch",
    "document_access",
    "documents",
    "letters",
    "levels",
    "meetings",
    "minutes",
    "objections",
    "polls",
    "problems",
    "proposals",
    "proxies",
    "registry",
    "resolutions",
    "roster",
    "street",
    "triage",
]
