"""Uploaded photos of matters, served through Django so that each request is checked.

A proposal's photos and its options' images are visible to whoever may see the proposal
(``can_view_proposal``); a progress photo to whoever may see the resolution's proposal, and to the
staff who manage or report on the resolution. Anything else answers 404, as for a file that does
not exist, so a refusal does not confirm the name. nginx must not serve these folders directly
(docs/deploy.md).
"""

from django.db.models import Model
from django.http import FileResponse, Http404, HttpRequest
from django.utils.cache import patch_cache_control

from deliberation.models import ProgressPhoto, ProposalOption, ProposalPhoto
from deliberation.models.uploads import OPTION_IMAGES, PROGRESS_PHOTOS, PROPOSAL_PHOTOS
from deliberation.proposals.rules import can_view_proposal
from deliberation.resolutions.rules import can_manage_resolutions, can_post_progress


def _file_response(obj: Model, field: str) -> FileResponse:
    stored = getattr(obj, field)
    try:
        handle = stored.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(handle)
    # Visibility changes (unpublishing) must reach shared caches at once: private only.
    patch_cache_control(response, private=True, max_age=3600)
    response["X-Content-Type-Options"] = "nosniff"
    return response


def proposal_photo(request: HttpRequest, name: str) -> FileResponse:
    photo = (
        ProposalPhoto.objects.select_related("proposal__community")
        .filter(image=f"{PROPOSAL_PHOTOS}/{name}")
        .first()
    )
    if photo is None or not can_view_proposal(request.user, photo.proposal):
        raise Http404
    return _file_response(photo, "image")


def option_image(request: HttpRequest, name: str) -> FileResponse:
    option = (
        ProposalOption.objects.select_related("proposal__community")
        .filter(image=f"{OPTION_IMAGES}/{name}")
        .first()
    )
    if option is None or not can_view_proposal(request.user, option.proposal):
        raise Http404
    return _file_response(option, "image")


def progress_photo(request: HttpRequest, name: str) -> FileResponse:
    photo = (
        ProgressPhoto.objects.select_related(
            "update__resolution__community", "update__resolution__proposal__community"
        )
        .filter(image=f"{PROGRESS_PHOTOS}/{name}")
        .first()
    )
    if photo is None:
        raise Http404
    resolution = photo.update.resolution
    if not (
        can_view_proposal(request.user, resolution.proposal)
        or can_manage_resolutions(request.user, resolution.community)
        or can_post_progress(request.user, resolution)
    ):
        raise Http404
    return _file_response(photo, "image")
