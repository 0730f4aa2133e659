"""What every router of the JSON API shares: the API's own error, the error body, the session
check for writes, and the base of request bodies.

The exception handlers that turn errors (these and the domain's) into responses are registered
once, in ``cms/api/__init__.py``.
"""

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Schema
from ninja.security import SessionAuth
from ninja.utils import check_csrf
from pydantic import ConfigDict

from deliberation.models import User

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class ApiError(Exception):
    """An error of the API layer itself (not signed in, CSRF, not found): an HTTP status, a
    stable ``code`` and a message for people."""

    def __init__(
        self, status: int, code: str, message: str, fields: dict[str, list[str]] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields or {}


class ErrorOut(Schema):
    """Every error body: ``fields`` (field name → messages) is present when input was invalid."""

    code: str
    message: str
    fields: dict[str, list[str]] = Field(default_factory=dict)


ERRORS: dict[int, type[Schema]] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
}


class BodyIn(Schema):
    """Base of JSON request bodies: a key the schema does not declare is refused (400)."""

    model_config = ConfigDict(extra="forbid")


class SessionUser(SessionAuth):
    """Writes act as the session's user: 401 when signed out, then 403 without a valid CSRF
    token (unsafe methods). Runs before the body is read, as ninja checks auth first."""

    def __call__(self, request: HttpRequest) -> User:
        user = request.user
        if not isinstance(user, User) or not user.is_authenticated:
            raise ApiError(401, "unauthenticated", _("请先登录。"))
        if request.method not in SAFE_METHODS and check_csrf(request) is not None:
            raise ApiError(403, "csrf", _("请求缺少有效的 CSRF 令牌。"))
        return user


signed_in = SessionUser()


def acting_user(request: HttpRequest) -> User:
    """The signed-in user of a route guarded by ``auth=signed_in``."""
    user = request.user
    if not isinstance(user, User):
        raise ApiError(401, "unauthenticated", _("请先登录。"))
    return user
