"""The JSON API at /api/ (schema at /api/openapi.json). Each app contributes a router.

Errors are answered here and nowhere else: every error body is ``{"code", "message"}`` plus
``"fields"`` (field name → messages) when input was invalid. Statuses: 400 invalid input, 401 not
signed in, 403 forbidden or CSRF, 404 not found or not visible, 409 not allowed in this state.
"""

from collections.abc import Callable
from functools import partial
from typing import Any

from django.contrib.auth.decorators import user_passes_test
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import HttpError, ValidationError
from ninja.openapi.views import openapi_json

from cms.api.common import ApiError
from deliberation.exceptions import (
    DeliberationError,
    InvalidInput,
    NotPermitted,
    TransitionNotAllowed,
)
from votes.exceptions import PollStateError, VoteRefused


def docs_for_staff(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """ninja's ``docs_decorator``: the interactive docs (/api/docs) only for people who may use
    the admin (others are sent to the admin sign-in); the schema (/api/openapi.json) stays
    public. ninja passes both views here as ``functools.partial`` objects."""
    if isinstance(view, partial) and view.func is openapi_json:
        return view
    return user_passes_test(_may_read_docs, login_url="wagtailadmin_login")(view)


def _may_read_docs(user: Any) -> bool:
    return bool(user.is_active and user.has_perm("wagtailadmin.access_admin"))


api = NinjaAPI(
    title="Sifang API",
    version="1.0.0",
    description="四方议事厅 JSON API: proposals, polls, ballots and resolutions.",
    urls_namespace="api",
    docs_decorator=docs_for_staff,
)

# The status of each ballot refusal; a code not listed is bad input (400).
REFUSAL_STATUS = {
    "not_eligible": 403,
    "delegated": 403,
    "already_voted": 409,
    "poll_closed": 409,
    "poll_not_open": 409,
    "poll_paused": 409,
    "change_limit": 409,
    "proxy_revoked": 403,
    "proxy_instruction": 409,
}

# Where a request fails outside any schema (an unreadable body, say): status → code.
HTTP_ERROR_CODES = {400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found"}

# Sources ninja puts first in a validation error's location; they name no field.
PARAM_SOURCES = frozenset({"body", "form", "query", "path", "file", "header", "cookie"})


def error_response(
    request: HttpRequest,
    status: int,
    code: str,
    message: str,
    fields: dict[str, list[str]] | None = None,
) -> HttpResponse:
    """The one error body of the API."""
    body: dict[str, object] = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    return api.create_response(request, body, status=status)


def deliberation_status(exc: DeliberationError) -> int:
    """403 not permitted, 409 a transition the table refuses, 400 invalid input or other."""
    if isinstance(exc, NotPermitted):
        return 403
    if isinstance(exc, TransitionNotAllowed) and exc.code != "invalid":
        return 409
    return 400


@api.exception_handler(ApiError)
def _api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
    return error_response(request, exc.status, exc.code, exc.message, exc.fields)


@api.exception_handler(DeliberationError)
def _deliberation_error(request: HttpRequest, exc: DeliberationError) -> HttpResponse:
    fields = exc.fields if isinstance(exc, InvalidInput) else None
    return error_response(request, deliberation_status(exc), exc.code, exc.message, fields)


@api.exception_handler(VoteRefused)
def _vote_refused(request: HttpRequest, exc: VoteRefused) -> HttpResponse:
    return error_response(request, REFUSAL_STATUS.get(exc.code, 400), exc.code, exc.message)


@api.exception_handler(PollStateError)
def _poll_state(request: HttpRequest, exc: PollStateError) -> HttpResponse:
    return error_response(request, 409, "transition_not_allowed", exc.message)


@api.exception_handler(ValidationError)
def _invalid_request(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    """Schema validation failures, keyed by field name."""
    fields: dict[str, list[str]] = {}
    for error in exc.errors:
        location = [str(part) for part in error.get("loc", ())]
        if location and location[0] in PARAM_SOURCES:
            # Drop the source, and for a body the parameter name ninja nests it under.
            location = location[2:] if location[0] == "body" else location[1:]
        fields.setdefault(".".join(location) or "request", []).append(str(error.get("msg", "")))
    return error_response(request, 400, "invalid", _("请求格式不正确。"), fields)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    """Errors ninja raises outside any schema, such as a body that is not JSON."""
    code = HTTP_ERROR_CODES.get(exc.status_code, "error")
    message = _("请求格式不正确。") if exc.status_code == 400 else exc.message
    return error_response(request, exc.status_code, code, message)


api.add_router("/proposals/", "cms.api.proposals.router")
api.add_router("/polls/", "cms.api.polls.router")
api.add_router("/resolutions/", "cms.api.resolutions.router")
