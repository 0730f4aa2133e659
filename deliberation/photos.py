"""Photo uploads: validated by their content, re-encoded without metadata, resized.

Rules: at most :data:`MAX_PHOTOS` per proposal, at most :data:`MAX_BYTES` each, and the bytes
must decode as JPEG, PNG, WebP or GIF whatever the file name or content type claims. The stored
file is a fresh JPEG (or PNG when the image has transparency) drawn from the pixels only, so EXIF
(GPS position, camera serial), XMP and comments are gone; the EXIF orientation is applied first so
the photo stays upright; the long edge is at most :data:`MAX_EDGE` pixels.
"""

import io
import warnings
from dataclasses import dataclass
from typing import IO

from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from deliberation.exceptions import InvalidInput

MAX_PHOTOS = 6
MAX_BYTES = 10 * 1024 * 1024
MAX_EDGE = 1600
MAX_PIXELS = 60_000_000  # decompression-bomb guard: 60 megapixels
ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF", "MPO"}


@dataclass(frozen=True)
class CleanPhoto:
    content: ContentFile
    width: int
    height: int


def _size_of(upload: IO[bytes]) -> int:
    size = getattr(upload, "size", None)
    if size is not None:
        return int(size)
    position = upload.tell()
    upload.seek(0, io.SEEK_END)
    size = upload.tell()
    upload.seek(position)
    return size


def clean_photo(upload: IO[bytes], *, name: str = "photo") -> CleanPhoto:
    """Validate one upload and return it re-encoded. Raises :class:`InvalidInput` (``photos``)."""
    label = getattr(upload, "name", None) or name
    if _size_of(upload) > MAX_BYTES:
        raise InvalidInput(
            _("照片“%(name)s”超过 10 MB。") % {"name": label},
            fields={"photos": [_("照片“%(name)s”超过 10 MB。") % {"name": label}]},
        )
    upload.seek(0)
    data = upload.read()
    not_image = _("“%(name)s”不是可识别的图片(支持 JPEG、PNG、WebP、GIF)。") % {"name": label}
    image: Image.Image
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(data))
            if probe.format not in ACCEPTED_FORMATS:
                raise InvalidInput(not_image, fields={"photos": [not_image]})
            if probe.width * probe.height > MAX_PIXELS:
                raise InvalidInput(not_image, fields={"photos": [not_image]})
            probe.verify()
            image = Image.open(io.BytesIO(data))
            image.load()
    except InvalidInput:
        raise
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ) as exc:
        raise InvalidInput(not_image, fields={"photos": [not_image]}) from exc

    image = ImageOps.exif_transpose(image) or image
    has_alpha = image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info)
    image = image.convert("RGBA" if has_alpha else "RGB")
    image.thumbnail((MAX_EDGE, MAX_EDGE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    if has_alpha:
        image.save(out, format="PNG", optimize=True)
        extension = "png"
    else:
        image.save(out, format="JPEG", quality=85, optimize=True)
        extension = "jpg"
    return CleanPhoto(ContentFile(out.getvalue(), name=f"{name}.{extension}"), *image.size)


def clean_photos(uploads: list[IO[bytes]]) -> list[CleanPhoto]:
    """Validate a whole set before anything is stored; one bad photo refuses the set."""
    if len(uploads) > MAX_PHOTOS:
        message = _("最多上传 %(count)s 张照片。") % {"count": MAX_PHOTOS}
        raise InvalidInput(message, fields={"photos": [message]})
    return [clean_photo(upload, name=f"photo-{index + 1}") for index, upload in enumerate(uploads)]
