"""A rendered PDF kept as a Wagtail document (the minutes and the notices both use this)."""

from __future__ import annotations

import traceback

from django.core.files.base import ContentFile
from django.db import transaction
from wagtail.documents import get_document_model
from wagtail.documents.models import AbstractDocument


def store_pdf(
    *, existing: AbstractDocument | None, title: str, filename: str, pdf: bytes
) -> AbstractDocument:
    """Create a Wagtail document holding ``pdf``, or replace the file of ``existing``; return it.

    A replaced file is deleted from storage once the surrounding transaction commits.
    """
    document = existing if existing is not None else get_document_model()(title=title)
    old_name = document.file.name if existing is not None and document.file else None
    document.title = title
    document.file.save(filename, ContentFile(pdf), save=False)
    document._set_document_file_metadata()
    document.save()
    if old_name and old_name != document.file.name:
        storage = document.file.storage
        transaction.on_commit(lambda: storage.delete(old_name))
    return document


def failure_text(error: BaseException) -> str:
    """What a record shows staff about a failed render: the exception, at most 2,000 chars."""
    lines = traceback.format_exception_only(type(error), error)
    return "".join(lines).strip()[:2000]
