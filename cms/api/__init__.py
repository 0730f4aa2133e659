"""The JSON API at /api/ (schema at /api/openapi.json). Each app contributes a router."""

from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import ValidationError

api = NinjaAPI(
    title="Sifang API",
    version="1.0.0",
    description="四方议事厅 JSON API: proposals, polls, ballots and resolutions.",
    urls_namespace="api",
)


@api.exception_handler(ValidationError)
def _invalid_request(request, exc: ValidationError):  # type: ignore[no-untyped-def]
    """Schema validation failures as {code, message, fields} like every other API error."""
    fields: dict[str, list[str]] = {}
    for error in exc.errors:
        location = [str(part) for part in error.get("loc", ()) if part not in ("body", "payload")]
        fields.setdefault(".".join(location) or "request", []).append(str(error.get("msg", "")))
    return api.create_response(
        request,
        {"code": "invalid", "message": _("请求格式不正确。"), "fields": fields},
        status=400,
    )


api.add_router("/proposals/", "cms.api.proposals.router")
api.add_router("/polls/", "cms.api.polls.router")
api.add_router("/resolutions/", "cms.api.resolutions.router")
