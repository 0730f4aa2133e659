"""The JSON API at /api/ (schema at /api/openapi.json). Each app contributes a router."""

from ninja import NinjaAPI

api = NinjaAPI(
    title="Sifang API",
    version="1.0.0",
    description="四方议事厅 JSON API: proposals, polls, ballots and resolutions.",
    urls_namespace="api",
)

api.add_router("/proposals/", "deliberation.api.router")
api.add_router("/polls/", "votes.api.router")
api.add_router("/resolutions/", "deliberation.api_resolutions.router")
