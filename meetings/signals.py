"""Housekeeping only: signing out closes that session's live sockets."""

from typing import Any

from django.contrib.auth.signals import user_logged_out
from django.dispatch import receiver

from meetings.broadcast import session_logout_sync


@receiver(user_logged_out, dispatch_uid="meetings_close_sockets_on_logout")
def close_sockets_on_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    session = getattr(request, "session", None)
    key = getattr(session, "session_key", None)
    if key:
        session_logout_sync(key)
