"""Checks on the photo or scan of a signed paper ballot (evidence kept with the entry).

The bytes are kept as uploaded (a re-encoded copy would no longer be the evidence); the file
must be a whole image Pillow can read, or a PDF, no larger than
``SIFANG_CAMPAIGN_EVIDENCE_MAX_BYTES``. Its SHA-256 is stored with the entry.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass
from typing import IO

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from deliberation.exceptions import InvalidInput

IMAGE_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "MPO": "jpg", "HEIF": "heic"}
MAX_PIXELS = 80_000_000
ACCEPT = "image/jpeg,image/png,image/webp,application/pdf"


@dataclass(frozen=True)
class Evidence:
    content: ContentFile
    sha256: str


def _invalid(message: str) -> InvalidInput:
    return InvalidInput(message, fields={"evidence": [message]})


def clean_evidence(upload: IO[bytes] | None) -> Evidence:
    """Validate one upload; raises ``InvalidInput`` (field ``evidence``) with a clear message."""
    if upload is None:
        raise _invalid(_("请上传签字选票的照片或扫描件。"))
    limit = settings.SIFANG_CAMPAIGN_EVIDENCE_MAX_BYTES
    data = upload.read(limit + 1)
    if not data:
        raise _invalid(_("上传的文件是空的,请重新拍照或扫描。"))
    if len(data) > limit:
        raise _invalid(_("文件超过 %(mb)s MB,请压缩后重新上传。") % {"mb": limit // (1024 * 1024)})
    digest = hashlib.sha256(data).hexdigest()
    if data.startswith(b"%PDF-"):
        if b"%%EOF" not in data[-1024:]:
            raise _invalid(_("PDF 文件不完整,请重新扫描。"))
        return Evidence(ContentFile(data, name="evidence.pdf"), digest)
    not_image = _("只接受照片(JPEG、PNG、WebP)或 PDF 扫描件。")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(data))
            kind = IMAGE_FORMATS.get(probe.format or "")
            if kind is None or probe.width * probe.height > MAX_PIXELS:
                raise _invalid(not_image)
            probe.verify()
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
        raise _invalid(not_image) from exc
    return Evidence(ContentFile(data, name=f"evidence.{kind}"), digest)
