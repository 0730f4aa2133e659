"""Project-wide HTTP middleware: the Content-Security-Policy per area, refusal of text no
database can store, and clear answers to unsafe requests that miss their trailing slash.

Wiring only: no domain rules here. The order in ``settings.MIDDLEWARE`` matters and is explained
there.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from typing import Any

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.middleware.common import CommonMiddleware
from django.utils.translation import gettext as _

# A lone UTF-16 surrogate cannot be encoded as UTF-8 (PostgreSQL and SQLite both refuse it) and
# PostgreSQL text cannot hold NUL. Either reached the database write as a 500 before.
UNSTORABLE_TEXT = re.compile("[\x00\ud800-\udfff]")

API_PREFIX = "/api/"
FORM_CONTENT_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def has_unstorable_text(value: Any) -> bool:
    """Whether any string in ``value`` (nested lists and dicts, keys included) holds a NUL or a
    lone surrogate."""
    if isinstance(value, str):
        return UNSTORABLE_TEXT.search(value) is not None
    if isinstance(value, dict):
        return any(has_unstorable_text(k) or has_unstorable_text(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(has_unstorable_text(item) for item in value)
    return False


def _query_items(items: Iterable[tuple[str, list[Any]]]) -> bool:
    return any(
        has_unstorable_text(key) or any(isinstance(v, str) and has_unstorable_text(v) for v in vals)
        for key, vals in items
    )


def bad_request(request: HttpRequest, message: str) -> HttpResponse:
    """A 400 in the API's error shape under /api/, plain text elsewhere."""
    if request.path_info.startswith(API_PREFIX):
        return JsonResponse({"code": "bad_request", "message": message}, status=400)
    return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")


class UnstorableTextMiddleware:
    """Refuse (400) a request whose path, query string, form fields or JSON body carries a NUL
    character or a lone UTF-16 surrogate, before any view tries to store it.

    Form and query values reach Django already decoded (invalid UTF-8 becomes U+FFFD), so there
    only NUL can appear; a JSON string can spell either as a ``\\u`` escape.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if self._unstorable(request):
            return bad_request(
                request, _("请求中含有无法保存的字符(空字符或不成对的代理字符)，请删除后重试。")
            )
        return self.get_response(request)

    def _unstorable(self, request: HttpRequest) -> bool:
        if has_unstorable_text(request.path_info) or _query_items(request.GET.lists()):
            return True
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return False
        content_type = request.content_type or ""
        if content_type in FORM_CONTENT_TYPES:
            return _query_items(request.POST.lists())
        if content_type == "application/json" or content_type.endswith("+json"):
            body = request.body
            # Only an escape or a raw NUL can produce either; skip parsing the common body.
            if b"\\u" not in body and b"\x00" not in body:
                return False
            try:
                data = json.loads(body)
            except ValueError:
                return False  # the view answers malformed JSON itself
            return has_unstorable_text(data)
        return False


class SlashAwareCommonMiddleware(CommonMiddleware):
    """``CommonMiddleware`` that answers an unsafe request (POST, PUT, PATCH, DELETE) to a path
    missing its trailing slash with a 404 naming the right path.

    Django redirects such a request with a GET (losing its body) or, with DEBUG, raises a
    RuntimeError (a 500).
    """

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> Any:
        if (
            response.status_code == 404
            and request.method not in ("GET", "HEAD", "OPTIONS", "TRACE")
            and self.should_redirect_with_slash(request)
        ):
            message = _("地址末尾缺少斜杠，请改用 %(path)s。") % {"path": request.path + "/"}
            if request.path_info.startswith(API_PREFIX):
                return JsonResponse({"code": "not_found", "message": message}, status=404)
            return HttpResponse(message, status=404, content_type="text/plain; charset=utf-8")
        return super().process_response(request, response)


class SifangCSPMiddleware(CSPMiddleware):
    """django-csp's middleware with two project rules.

    - Paths under ``settings.SIFANG_CSP_ADMIN_PREFIX`` get ``settings.SIFANG_CSP_ADMIN``
      (Wagtail's admin needs inline scripts and styles); every other path gets
      ``settings.CONTENT_SECURITY_POLICY``.
    - ``connect-src`` also names ``ws(s)://<this host>``: the live meeting pages open their
      websocket on the host the page came from, and older browsers do not match ws: against
      'self'.
    """

    def get_policy_parts(
        self,
        request: HttpRequest,
        response: HttpResponseBase,
        report_only: bool = False,
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if report_only:
            return parts
        if parts.config is None and request.path_info.startswith(settings.SIFANG_CSP_ADMIN_PREFIX):
            parts.config = dict(settings.SIFANG_CSP_ADMIN["DIRECTIVES"])
        try:
            host = request.get_host()
        except DisallowedHost:
            return parts  # Django answers 400 anyway; the base policy is enough
        scheme = "wss" if request.is_secure() else "ws"
        update = dict(parts.update or {})
        update["connect-src"] = [*update.get("connect-src", []), f"{scheme}://{host}"]
        parts.update = update
        return parts
