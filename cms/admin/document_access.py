"""Rendered documents (minutes, notices) are Wagtail documents, and Wagtail serves every
document at ``/documents/<id>/<file>`` to anyone. Minutes follow the meeting's rules there too:
a draft, or the minutes of a private meeting, must not leak through a guessable id. Notices are
public posters. Its hook runs when ``cms.wagtail_hooks`` imports this module."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from wagtail import hooks

from meetings import rules
from meetings.documents import MinutesRecord


@hooks.register("before_serve_document")
def minutes_by_their_rules(document: Any, request: HttpRequest) -> None:
    """Refuse (404, as ``minutes.pdf`` does) minutes the person may not read."""
    record = MinutesRecord.objects.select_related("meeting").filter(document=document).first()
    if record is None:
        return
    if not rules.can_read_minutes(request.user, record.meeting, final=record.is_public):
        raise Http404(_("会议纪要不存在"))
