"""Delivery: one signed POST per attempt, retried with backoff until it succeeds or gives up.

One send per attempt: an attempt claims its delivery (row lock, then a lease: the due time
is pushed past the longest send) and only a delivery that is due can be claimed, so a
second task for the same delivery, or a pile of polls replayed after an outage, finds
nothing to do. Each failure schedules the next attempt from the moment it failed (full
jitter, capped), so after an outage the backoff restarts from now instead of firing missed
attempts back to back. After ``settings.WEBHOOK_MAX_ATTEMPTS`` the delivery gives up
(``failed``); the admin can replay it.
"""

import json
import random
import time
from datetime import timedelta
from urllib.parse import urlsplit

import requests
import structlog
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from agency.models import WebhookDelivery
from agency.webhooks.selectors import due
from agency.webhooks.signing import webhook_headers
from agency.webhooks.urls import is_private_host

log = structlog.get_logger(__name__)

BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=6)
TIMEOUT_SECONDS = 10
# How long a claimed attempt keeps its delivery: past connect + read timeouts, so a second
# attempt never starts while the first may still be sending.
CLAIM_LEASE = timedelta(seconds=TIMEOUT_SECONDS * 3)


def backoff(attempts: int) -> timedelta:
    """Exponential backoff with full jitter: up to base * 2^(attempts-1), capped."""
    ceiling = min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_CAP)
    return timedelta(seconds=random.uniform(ceiling.total_seconds() / 2, ceiling.total_seconds()))


def send(url: str, body: bytes, headers: dict[str, str]) -> requests.Response:
    """One POST, refused when the host now resolves to a private address (SSRF guard)."""
    if not settings.WEBHOOK_ALLOW_PRIVATE_HOSTS and is_private_host(urlsplit(url).hostname or ""):
        raise requests.ConnectionError("refused: the host resolves to a private address")
    return requests.post(
        url, data=body, headers=headers, timeout=TIMEOUT_SECONDS, allow_redirects=False
    )


def _claim(delivery_id: int) -> WebhookDelivery | None:
    """Take the delivery for one attempt, or None when it is not due (settled, being sent
    under another attempt's lease, or backing off) or another worker holds its row."""
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True)
            .select_related("endpoint")
            .filter(due(), pk=delivery_id)
            .first()
        )
        if delivery is None:
            return None
        delivery.attempts += 1
        delivery.next_attempt_at = timezone.now() + CLAIM_LEASE
        delivery.save(update_fields=["attempts", "next_attempt_at"])
    return delivery


def _request(delivery: WebhookDelivery) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "mcn-backoffice-webhooks/1",
        "X-MCN-Event": delivery.event_type,
        "X-MCN-Delivery": str(delivery.pk),
        **webhook_headers(
            secret=delivery.endpoint.secret,
            msg_id=str(delivery.event_id),
            body=body,
            timestamp=int(time.time()),
        ),
    }
    return body, headers


def webhook_delivery_attempt(*, delivery_id: int) -> WebhookDelivery | None:
    """Try one delivery once, if it is due. Safe to run twice, or many times at once: only
    one run claims an attempt (the others return None). The HTTP call runs outside any
    transaction."""
    delivery = _claim(delivery_id)
    if delivery is None:
        return None
    body, headers = _request(delivery)
    status_code, error = None, ""
    try:
        response = send(delivery.endpoint.url, body, headers)
        status_code = response.status_code
        ok = 200 <= status_code < 300
        if not ok:
            error = f"HTTP {status_code}"
    except requests.RequestException as exc:
        ok, error = False, f"{type(exc).__name__}: {exc}"[:500]
    _settle(delivery, ok=ok, status_code=status_code, error=error)
    return delivery


def _settle(delivery: WebhookDelivery, *, ok: bool, status_code: int | None, error: str) -> None:
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
        delivery.next_attempt_at = now + backoff(delivery.attempts)  # counted from now
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
