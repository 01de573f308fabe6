"""Outbound webhooks: partners register HTTPS endpoints and receive signed events.

Signature (Stripe-style): header ``X-MCN-Signature: t=<unix seconds>,v1=<hex>`` where the hex is
HMAC-SHA256 with the endpoint's secret over ``f"{t}.".encode() + body``. Receivers recompute it
and refuse a timestamp older than a few minutes (``webhook_signature_verify``).

Deliveries retry with exponential backoff and jitter (due times in PostgreSQL, polled by a
periodic task) up to ``settings.WEBHOOK_MAX_ATTEMPTS``; the admin can replay any delivery.

One send per attempt: an attempt claims its delivery (row lock, then a lease: the due time is
pushed past the longest send) and only a delivery that is due can be claimed, so a second
task for the same delivery, or a pile of polls replayed after an outage, finds nothing to
do. Each failure schedules the next attempt from the moment it failed, so after an outage
the backoff restarts from now instead of firing missed attempts back to back.
"""

import hashlib
import hmac
import ipaddress
import json
import random
import secrets
import socket
import time
import uuid
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import requests
import structlog
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from agency.models import Partner, WebhookDelivery, WebhookEndpoint
from agency.queueing import enqueue_on_commit

log = structlog.get_logger(__name__)

SIGNATURE_HEADER = "X-MCN-Signature"
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=6)
TIMEOUT_SECONDS = 10
# How long a claimed attempt keeps its delivery: past connect + read timeouts, so a second
# attempt never starts while the first may still be sending.
CLAIM_LEASE = timedelta(seconds=TIMEOUT_SECONDS * 3)


# --- signing -----------------------------------------------------------------------------


def webhook_signature(*, secret: str, body: bytes, timestamp: int) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def webhook_signature_verify(
    *, secret: str, body: bytes, header: str, tolerance_seconds: int = 300, now: int | None = None
) -> bool:
    """What a receiver does: parse the header, recompute, compare in constant time."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
        received = parts["v1"]
    except (KeyError, ValueError):
        return False
    if abs((now if now is not None else int(time.time())) - timestamp) > tolerance_seconds:
        return False
    expected = webhook_signature(secret=secret, body=body, timestamp=timestamp).split("v1=")[1]
    return hmac.compare_digest(expected, received)


# --- endpoints ---------------------------------------------------------------------------


def _validate_url(url: str) -> None:
    parts = urlsplit(url)
    if settings.WEBHOOK_REQUIRE_HTTPS and parts.scheme != "https":
        raise ValidationError({"url": ["Webhook URLs must use https."]})
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValidationError({"url": ["Enter a full http(s) URL."]})
    if not settings.WEBHOOK_ALLOW_PRIVATE_HOSTS and _is_private_host(parts.hostname):
        raise ValidationError({"url": ["Webhook URLs must point at a public host."]})


def _is_private_host(hostname: str) -> bool:
    """True when the host is, or resolves to, any address that is not globally reachable
    (loopback, private, link-local, carrier-grade NAT 100.64.0.0/10, documentation, reserved,
    multicast...): the SSRF guard, applied when an endpoint is registered and again to the
    addresses resolved at delivery time."""
    if hostname.lower() in {"localhost", "localhost.localdomain"}:
        return True
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(hostname, None)}
    except OSError:
        return False  # unresolvable now; checked again at delivery time
    return any(not _is_global(address) for address in addresses)


def _is_global(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:10.0.0.1 is 10.0.0.1
    return ip.is_global and not ip.is_multicast


@transaction.atomic
def webhook_endpoint_create(
    *, partner: Partner, url: str, event_types: list[str] | None = None
) -> WebhookEndpoint:
    """Register an endpoint. Its signing secret is on the returned object: show it once."""
    _validate_url(url)
    endpoint = WebhookEndpoint(
        partner=partner,
        url=url,
        event_types=sorted(set(event_types or [])),
        secret=f"whsec_{secrets.token_hex(24)}",
    )
    endpoint.full_clean()
    endpoint.save()
    return endpoint


@transaction.atomic
def webhook_endpoint_deactivate(*, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(is_active=False)
    endpoint.is_active = False
    return endpoint


# --- events and deliveries ---------------------------------------------------------------


def webhook_event_emit(
    *, partner: Partner, event_type: str, data: dict[str, Any], event_id: uuid.UUID | None = None
) -> list[WebhookDelivery]:
    """Queue ``event_type`` for every active endpoint of ``partner`` that wants it.

    Call inside the transaction that made the change: deliveries are rows in that transaction
    and are sent after it commits. Passing the same ``event_id`` twice queues nothing more.
    """
    from agency.tasks import webhook_deliver

    event_id = event_id or uuid.uuid4()
    payload = {
        "id": str(event_id),
        "type": event_type,
        "created": timezone.now().isoformat(),
        "data": json.loads(json.dumps(data, cls=DjangoJSONEncoder)),
    }
    endpoints = [
        e
        for e in WebhookEndpoint.objects.filter(partner=partner, is_active=True)
        if e.wants(event_type)
    ]
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


def _backoff(attempts: int) -> timedelta:
    """Exponential backoff with full jitter: up to base * 2^(attempts-1), capped."""
    ceiling = min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_CAP)
    return timedelta(seconds=random.uniform(ceiling.total_seconds() / 2, ceiling.total_seconds()))


def _send(url: str, body: bytes, headers: dict[str, str]) -> requests.Response:
    if not settings.WEBHOOK_ALLOW_PRIVATE_HOSTS and _is_private_host(urlsplit(url).hostname or ""):
        raise requests.ConnectionError("refused: the host resolves to a private address")
    return requests.post(
        url, data=body, headers=headers, timeout=TIMEOUT_SECONDS, allow_redirects=False
    )


def _due() -> Q:
    return Q(status=WebhookDelivery.Status.PENDING) & (
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=timezone.now())
    )


def _claim(delivery_id: int) -> WebhookDelivery | None:
    """Take the delivery for one attempt, or None when it is not due (settled, being sent
    under another attempt's lease, or backing off) or another worker holds its row."""
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True)
            .select_related("endpoint")
            .filter(_due(), pk=delivery_id)
            .first()
        )
        if delivery is None:
            return None
        delivery.attempts += 1
        delivery.next_attempt_at = timezone.now() + CLAIM_LEASE
        delivery.save(update_fields=["attempts", "next_attempt_at"])
    return delivery


def webhook_delivery_attempt(*, delivery_id: int) -> WebhookDelivery | None:
    """Try one delivery once, if it is due. Safe to run twice, or many times at once: only
    one run claims an attempt (the others return None). The HTTP call runs outside any
    transaction."""
    delivery = _claim(delivery_id)
    if delivery is None:
        return None

    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "mcn-backoffice-webhooks/1",
        "X-MCN-Event": delivery.event_type,
        "X-MCN-Delivery": str(delivery.pk),
        SIGNATURE_HEADER: webhook_signature(
            secret=delivery.endpoint.secret, body=body, timestamp=int(time.time())
        ),
    }
    status_code, error = None, ""
    try:
        response = _send(delivery.endpoint.url, body, headers)
        status_code = response.status_code
        ok = 200 <= status_code < 300
        if not ok:
            error = f"HTTP {status_code}"
    except requests.RequestException as exc:
        ok, error = False, f"{type(exc).__name__}: {exc}"[:500]

    now = timezone.now()
    delivery.last_status_code = status_code
    delivery.last_error = error
    if ok:
        delivery.status = WebhookDelivery.Status.SUCCEEDED
        delivery.delivered_at = now
        delivery.next_attempt_at = None
    elif delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
        delivery.status = WebhookDelivery.Status.FAILED
        delivery.next_attempt_at = None
    else:
        delivery.next_attempt_at = now + _backoff(delivery.attempts)  # counted from now
    # Only while this attempt still holds the claim (an admin replay may have reset it).
    WebhookDelivery.objects.filter(
        pk=delivery.pk, status=WebhookDelivery.Status.PENDING, attempts=delivery.attempts
    ).update(
        status=delivery.status,
        last_status_code=delivery.last_status_code,
        last_error=delivery.last_error,
        delivered_at=delivery.delivered_at,
        next_attempt_at=delivery.next_attempt_at,
    )
    log.info(
        "webhook_delivery_attempt",
        delivery_id=delivery.pk,
        event_type=delivery.event_type,
        attempt=delivery.attempts,
        status=delivery.status,
        http_status=status_code,
    )
    return delivery


def webhook_deliveries_due(*, limit: int = 500) -> list[int]:
    """Ids of pending deliveries whose next attempt is due (for the periodic poller)."""
    return list(
        WebhookDelivery.objects.filter(_due())
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )


@transaction.atomic
def webhook_delivery_replay(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery again now, whatever its state (admin action)."""
    from agency.tasks import webhook_deliver

    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=WebhookDelivery.Status.PENDING, next_attempt_at=timezone.now(), attempts=0
    )
    enqueue_on_commit(webhook_deliver, delivery.pk)
    delivery.refresh_from_db()
    return delivery


def webhook_delivery_list(*, partner: Partner) -> QuerySet[WebhookDelivery]:
    return WebhookDelivery.objects.filter(endpoint__partner=partner).select_related("endpoint")


def webhook_endpoint_list(*, partner: Partner) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(partner=partner).order_by("pk")
