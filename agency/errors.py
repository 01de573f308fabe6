"""Domain errors raised by services; the API maps them to one JSON error shape."""

from typing import Any


class ApplicationError(Exception):
    """A business rule refused the operation. ``status`` is the HTTP status the API answers;
    ``fields`` names the input fields at fault (``{"creators": ["..."]}``), answered as the
    error shape's ``fields`` like any validation error."""

    status = 400
    code = "invalid"

    def __init__(
        self,
        message: str,
        *,
        extra: dict[str, Any] | None = None,
        code: str | None = None,
        fields: dict[str, list[str]] | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.extra = extra or {}
        self.fields = fields
        if code:
            self.code = code


class NotFound(ApplicationError):
    status = 404
    code = "not_found"


class Conflict(ApplicationError):
    """The resource is in a state that forbids this now (e.g. a concurrent change)."""

    status = 409
    code = "conflict"
