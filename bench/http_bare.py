"""The floor of ``bench/http.py``: a bare Django page served by the same daphne process.

A plain view renders a plain template (about 17 KB: a list of 60 rows with a form) through
Django's own template engine, behind Django's default middleware (what ``startproject``
writes), with no project code on the way: no project middleware, context processors, template
tags or translations. ``bench/http_asgi.py`` routes ``/bench/bare/`` here.

``/bench/bare-stack/`` is the same view behind Sifang's own middleware (``bench/http_urls.py``),
to show what the project's middleware alone costs.
"""

from __future__ import annotations

from pathlib import Path

from django.core.handlers.asgi import ASGIHandler
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.template import Context, Engine
from django.test.utils import override_settings
from django.urls import path

ENGINE = Engine(dirs=[str(Path(__file__).resolve().parent / "bare_templates")])

ROWS = [
    {
        "number": n,
        "title": f"Item number {n} of the bare page, a line of ordinary text",
        "status": ("open", "closed", "answered")[n % 3],
        "votes": n * 7 % 101,
        "tags": ["alpha", "beta", "gamma"][: 1 + n % 3],
    }
    for n in range(1, 61)
]

# Django's own default stack, as ``startproject`` writes it.
DEFAULT_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]


def bare_page(request: HttpRequest) -> HttpResponse:
    template = ENGINE.get_template("bare.html")
    html = template.render(
        Context({"rows": ROWS, "path": request.get_full_path(), "csrf_token": get_token(request)})
    )
    return HttpResponse(html)


urlpatterns = [path("bench/bare/", bare_page), path("bench/bare-stack/", bare_page)]


class BareHandler(ASGIHandler):
    """Django's ASGI handler with the default middleware and this module as its URL conf."""

    def __init__(self) -> None:
        with override_settings(MIDDLEWARE=DEFAULT_MIDDLEWARE):
            super().__init__()

    def resolve_request(self, request: HttpRequest):  # type: ignore[no-untyped-def]
        request.urlconf = __name__  # type: ignore[attr-defined]
        return super().resolve_request(request)
