"""Public routes that render the domain (DESIGN.md "Public URLs"). One list per area."""

from django.urls import include, path

from cms.urls_site import community_patterns
from cms.views import site

urlpatterns = [
    path("elder-mode/", site.elder_mode_toggle, name="elder-mode"),
    path("", include("cms.urls_site")),
    path("", include("cms.urls_accounts")),
    path("", include("cms.urls_proposals")),
    path("", include("cms.urls_meetings")),
    path("", include("cms.urls_polls")),
    path("", include("cms.urls_documents")),
    path("", include("cms.urls_resolutions")),
    path("", include("cms.urls_inbox")),
    path("", include("cms.urls_exports")),
    path("", include("cms.urls_grids")),
    path("", include("cms.urls_dispatch")),
]

# ``/<community>/`` matches any single segment: keep it after every other route (cms.urls_site).
urlpatterns += community_patterns
