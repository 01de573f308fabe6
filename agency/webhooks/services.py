"""Writes: endpoints, events (queued as deliveries in the caller's transaction), replays."""

import json
import uuid
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from agency.models import Partner, WebhookDelivery, WebhookEndpoint
from agency.queueing import enqueue_on_commit
from agency.webhooks.selectors import webhook_endpoints_for
from agency.webhooks.signing import webhook_secret_new
from agency.webhooks.tasks import webhook_deliver
from agency.webhooks.urls import webhook_url_validate


@transaction.atomic
def webhook_endpoint_create(
    *, partner: Partner, url: str, event_types: list[str] | None = None
) -> WebhookEndpoint:
    """Register an endpoint. Its signing secret is on the returned object: show it once."""
    webhook_url_validate(url)
    endpoint = WebhookEndpoint(
        partner=partner,
        url=url,
        event_types=sorted(set(event_types or [])),
        secret=webhook_secret_new(),
    )
    endpoint.full_clean()
    endpoint.save()
    return endpoint


@transaction.atomic
def webhook_endpoint_deactivate(*, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(is_active=False)
    endpoint.is_active = False
    return endpoint


def webhook_event_emit(
    *, partner: Partner, event_type: str, data: dict[str, Any], event_id: uuid.UUID | None = None
) -> list[WebhookDelivery]:
    """Queue ``event_type`` for every active endpoint of ``partner`` that wants it.

    Call inside the transaction that made the change: deliveries are rows in that transaction
    and are sent after it commits. Passing the same ``event_id`` twice queues nothing more.
    """
    event_id = event_id or uuid.uuid4()
    payload = {
        "id": str(event_id),
        "type": event_type,
        "created": timezone.now().isoformat(),
        "data": json.loads(json.dumps(data, cls=DjangoJSONEncoder)),
    }
    endpoints = webhook_endpoints_for(partner=partner, event_type=event_type)
    WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(
                endpoint=e,
                event_id=event_id,
                event_type=event_type,
                payload=payload,
                next_attempt_at=timezone.now(),
            )
            for e in endpoints
        ],
        ignore_conflicts=True,
    )
    created = list(
        WebhookDelivery.objects.filter(event_id=event_id, endpoint__in=endpoints, attempts=0)
    )
    for delivery in created:
        enqueue_on_commit(webhook_deliver, delivery.pk)  # the poller covers a lost message
    return created


@transaction.atomic
def webhook_delivery_replay(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery again now, whatever its state (admin action)."""
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=WebhookDelivery.Status.PENDING, next_attempt_at=timezone.now(), attempts=0
    )
    enqueue_on_commit(webhook_deliver, delivery.pk)
    delivery.refresh_from_db()
    return delivery
