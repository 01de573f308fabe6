"""Request middleware of the platform."""

from typing import Any

import pghistory.middleware
import structlog


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
