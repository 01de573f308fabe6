"""Reads of endpoints and deliveries (partner-scoped for the API; due ones for the poller)."""

from django.db.models import Q, QuerySet
from django.utils import timezone

from agency.models import Partner, WebhookDelivery, WebhookEndpoint


def due() -> Q:
    """Pending deliveries whose next attempt is due (never claimed, or their backoff or an
    attempt's lease has run out)."""
    return Q(status=WebhookDelivery.Status.PENDING) & (
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=timezone.now())
    )


def webhook_deliveries_due(*, limit: int = 500) -> list[int]:
    """Ids of pending deliveries whose next attempt is due (for the periodic poller)."""
    return list(
        WebhookDelivery.objects.filter(due())
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )


def webhook_delivery_list(*, partner: Partner) -> QuerySet[WebhookDelivery]:
    return WebhookDelivery.objects.filter(endpoint__partner=partner).select_related("endpoint")


def webhook_endpoint_list(*, partner: Partner) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(partner=partner).order_by("pk")


def webhook_endpoints_for(*, partner: Partner, event_type: str) -> list[WebhookEndpoint]:
    """The partner's active endpoints that want ``event_type``."""
    return [
        e
        for e in WebhookEndpoint.objects.filter(partner=partner, is_active=True)
        if e.wants(event_type)
    ]
