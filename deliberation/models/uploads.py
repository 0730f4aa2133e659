"""Storage names of uploaded photos: a random name per file, so a path cannot be guessed from a
file name or an upload date. The folder names the kind; ``cms.views.media`` serves each folder
through a permission check (docs/deploy.md)."""

import re
import uuid
from pathlib import PurePath
from typing import Any

PROPOSAL_PHOTOS = "proposals"
OPTION_IMAGES = "options"
PROGRESS_PHOTOS = "resolutions"

_SAFE_SUFFIX = re.compile(r"\.[a-z0-9]{1,5}")


def unguessable_name(folder: str, filename: str) -> str:
    """``<folder>/<uuid4 hex><suffix>``, keeping a short alphanumeric suffix of ``filename``."""
    suffix = PurePath(filename).suffix.lower()
    if not _SAFE_SUFFIX.fullmatch(suffix):
        suffix = ""
    return f"{folder}/{uuid.uuid4().hex}{suffix}"


def proposal_photo_path(instance: Any, filename: str) -> str:
    return unguessable_name(PROPOSAL_PHOTOS, filename)


def option_image_path(instance: Any, filename: str) -> str:
    return unguessable_name(OPTION_IMAGES, filename)


def progress_photo_path(instance: Any, filename: str) -> str:
    return unguessable_name(PROGRESS_PHOTOS, filename)
