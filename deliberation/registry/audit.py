"""The registry's audit trail in Wagtail's audit log (``ModelLogEntry``).

Every change to a community's settings, a building, a unit, a member, an ownership or a role,
and every roster import, is one log entry on the object it changed, with the acting user (``None``
from the command line or the demo seed, and ``data["source"]`` says so), the time, and a summary
in ``data``. The admin shows them in the object's history and in the site history report; the
labels and messages are registered by ``cms.admin.registry``.
"""

from enum import StrEnum

from django.db.models import Model
from wagtail.log_actions import log

from deliberation.models import User


class RegistryAction(StrEnum):
    """Log action names (stored data, so not translated)."""

    CREATE = "sifang.registry.create"
    UPDATE = "sifang.registry.update"
    OWNERSHIP_ADD = "sifang.registry.ownership_add"
    OWNERSHIP_REMOVE = "sifang.registry.ownership_remove"
    ROLE_SET = "sifang.registry.role_set"
    ROSTER_IMPORT = "sifang.registry.roster_import"


class ChangeSource(StrEnum):
    """Where a change came from: a person in the admin, or a command without a person."""

    ADMIN = "admin"
    COMMAND = "command"


Plain = str | int | bool | None


def plain(value: object) -> Plain:
    """``value`` as JSON the log can store (decimals and dates as text, objects as their name)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)


def registry_log(
    instance: Model,
    action: RegistryAction,
    *,
    actor: User | None,
    data: dict[str, object] | None = None,
) -> None:
    """Write one audit-log entry for ``instance``; ``actor`` ``None`` is recorded as a command."""
    payload = dict(data or {})
    payload["source"] = ChangeSource.ADMIN if actor is not None else ChangeSource.COMMAND
    log(instance, action, user=actor, data=payload)
