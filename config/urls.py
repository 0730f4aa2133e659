"""Root URL configuration. Public community routes come from ``cms.urls``."""

from django.conf import settings
from django.urls import URLPattern, URLResolver, include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from cms.admin.gates import gate_admin_urls
from cms.api import api
from cms.views import campaign, media
from deliberation.models.uploads import OPTION_IMAGES, PROGRESS_PHOTOS, PROPOSAL_PHOTOS
from votes.campaign.models import EVIDENCE_FOLDER

# Photos of matters go through a permission check (cms.views.media), in every set-up and ahead of
# the development media server below; nginx serves none of these folders (docs/deploy.md).
MEDIA_PREFIX = settings.MEDIA_URL.lstrip("/")

# Wagtail's reports, choosers, admin API and page tools, held to the community scope (same URLs
# and names; cms.admin.gates).
gate_admin_urls(wagtailadmin_urls.urlpatterns)

urlpatterns: list[URLPattern | URLResolver] = [
    path(
        f"{MEDIA_PREFIX}{PROPOSAL_PHOTOS}/<path:name>", media.proposal_photo, name="media-proposal"
    ),
    path(f"{MEDIA_PREFIX}{OPTION_IMAGES}/<path:name>", media.option_image, name="media-option"),
    path(
        f"{MEDIA_PREFIX}{PROGRESS_PHOTOS}/<path:name>", media.progress_photo, name="media-progress"
    ),
    path(
        f"{MEDIA_PREFIX}{EVIDENCE_FOLDER}/<path:name>",
        campaign.evidence_file,
        name="media-campaign-evidence",
    ),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("api/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("cms.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

urlpatterns += [path("", include(wagtail_urls))]
