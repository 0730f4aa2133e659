"""Named errors of the deliberation domain. Each carries a stable ``code`` for APIs and forms."""


class DeliberationError(Exception):
    """Base class: ``code`` is stable and machine-readable, ``message`` is for people."""

    code = "error"

    def __init__(self, message: str = "", *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class TransitionNotAllowed(DeliberationError):
    """A status change that the transition table does not allow, or lacks a required field."""

    code = "transition_not_allowed"


class NotPermitted(DeliberationError):
    """The actor may not do this (wrong party, wrong community, not signed in as staff)."""

    code = "forbidden"


class InvalidInput(DeliberationError):
    """Input failed validation; ``fields`` maps field names to lists of messages."""

    code = "invalid"

    def __init__(self, message: str = "", *, fields: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.fields = fields or {}
