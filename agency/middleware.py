"""Request middleware of the platform."""

import re
from typing import Any

import pghistory.middleware
import structlog

from agency.api.errors import InvalidRequest
from agency.validation import NUL, NUL_MESSAGE

# What an upstream X-Request-ID may look like (UUIDs, load-balancer and tracing ids).
REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9._:=+/-]{1,128}")


class RequestIdMiddleware:
    """Drops an ``X-Request-ID`` that is too long or carries unexpected characters, so the
    logging middleware that follows generates a fresh id: a caller's id is echoed in error
    bodies and written on every log line, so it must stay short and plain."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = request.META.get("HTTP_X_REQUEST_ID")
        if request_id is not None and not REQUEST_ID_PATTERN.fullmatch(request_id):
            del request.META["HTTP_X_REQUEST_ID"]
            request.__dict__.pop("headers", None)  # the cached view of META
        return self.get_response(request)


class RejectNulMiddleware:
    """A NUL character in the path or a query parameter is a 400 before any view runs:
    PostgreSQL refuses NUL in text, so a lookup with it would fail as a server error."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if NUL in request.path:
            raise InvalidRequest("The URL path contains a NUL character.")
        fields = {
            key.replace(NUL, "\\x00"): [NUL_MESSAGE]
            for key, values in request.GET.lists()
            if NUL in key or any(NUL in v for v in values)
        }
        if fields:
            raise InvalidRequest("A query parameter contains a NUL character.", fields=fields)
        return self.get_response(request)


class HistoryMiddleware(pghistory.middleware.HistoryMiddleware):
    """pghistory context for every write: the staff user, the URL and the request id, so each
    recorded change (rates, contracts, payout states...) says who made it and in which request.
    Partner API requests add the partner id once the API key is authenticated
    (``PartnerAPIView.initial``)."""

    def get_context(self, request) -> dict[str, Any]:
        context = super().get_context(request)
        request_id = structlog.contextvars.get_contextvars().get("request_id")
        if request_id:
            context["request_id"] = request_id
        return context
