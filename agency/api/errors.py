"""One JSON error shape for every API error.

    {"error": {"code": "invalid", "message": "...", "fields": {"field": ["reason"]},
               "request_id": "..."}}

``fields`` is present for validation errors; nested and per-row errors keep their path
(e.g. ``{"rows": {"3": {"views": ["..."]}}}`` for the fourth row of a bulk upload).
"""

from typing import Any

import structlog
from django.conf import settings
from django.core.exceptions import (
    BadRequest,
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler

from agency.errors import ApplicationError


def _request_id() -> str | None:
    return structlog.contextvars.get_contextvars().get("request_id")


def error_body(*, code: str, message: str, fields: Any = None, extra: dict | None = None) -> dict:
    body: dict[str, Any] = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    if extra:
        body["detail"] = extra
    request_id = _request_id()
    if request_id:
        body["request_id"] = request_id
    return {"error": body}


def _index_lists(detail: Any) -> Any:
    """Turn DRF's list-of-rows errors into {index: errors} so every bad row keeps its number."""
    if isinstance(detail, dict):
        return {k: _index_lists(v) for k, v in detail.items()}
    if isinstance(detail, list) and detail and all(isinstance(d, dict) for d in detail):
        return {str(i): _index_lists(d) for i, d in enumerate(detail) if d}
    return detail


class InvalidRequest(BadRequest):
    """Raised outside a view (e.g. by a middleware) for input refused before routing; the
    400 handler answers it in the error shape with ``fields``."""

    def __init__(self, message: str, *, fields: dict | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields


def _bad_request(exc: Exception) -> tuple[int, dict]:
    """Status and body for a request Django refuses before a view runs (400 or 413)."""
    if isinstance(exc, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        message = f"The request body is larger than the limit of {limit} bytes."
        return 413, error_body(code="payload_too_large", message=message)
    if isinstance(exc, InvalidRequest):
        return 400, error_body(code="invalid", message=exc.message, fields=exc.fields)
    return 400, error_body(code="bad_request", message="The request could not be read.")


def exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, ApplicationError):  # field and row reasons go in ``fields``
        extra = {k: v for k, v in exc.extra.items() if k not in ("fields", "rows")}
        fields = {**(exc.fields or {}), **(exc.extra.get("fields") or {})}
        if "rows" in exc.extra:
            fields["rows"] = _index_lists(exc.extra["rows"])
        body = error_body(code=exc.code, message=exc.message, fields=fields, extra=extra)
        return Response(body, status=exc.status)
    if isinstance(exc, SuspiciousOperation | BadRequest):
        status_code, body = _bad_request(exc)
        return Response(body, status=status_code)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a real bug: Django's 500 handling and logging take over

    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail
        if isinstance(detail, list):
            detail = {"non_field_errors": detail}
        response.data = error_body(
            code="invalid", message="The request has invalid fields.", fields=_index_lists(detail)
        )
    else:
        detail = getattr(exc, "detail", str(exc))
        code = detail.code if hasattr(detail, "code") else "error"
        response.data = error_body(code=str(code), message=str(detail))
        if response.status_code == status.HTTP_401_UNAUTHORIZED:
            response["WWW-Authenticate"] = "Api-Key"
    return response


def api_bad_request(request, exception=None):
    """handler400: under /api/ a request refused before its view (a body over
    ``DATA_UPLOAD_MAX_MEMORY_SIZE`` is a 413) gets the JSON error shape; elsewhere (the
    admin) Django's page."""
    from django.http import JsonResponse
    from django.views.defaults import bad_request

    if request.path.startswith("/api/"):
        status_code, body = _bad_request(exception)
        return JsonResponse(body, status=status_code)
    return bad_request(request, exception)


def api_not_found(request, exception=None):
    """handler404: under /api/ a URL that matches no route gets the JSON error shape too."""
    from django.http import JsonResponse
    from django.views.defaults import page_not_found

    if request.path.startswith("/api/"):
        body = error_body(code="not_found", message="No such resource.")
        return JsonResponse(body, status=404)
    return page_not_found(request, exception)


def api_server_error(request):
    """handler500: a bug under /api/ answers the JSON error shape (details stay in the logs)."""
    from django.http import JsonResponse
    from django.views.defaults import server_error

    if request.path.startswith("/api/"):
        body = error_body(code="server_error", message="Internal error; it has been logged.")
        return JsonResponse(body, status=500)
    return server_error(request)
