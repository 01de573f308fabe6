"""Outbound webhooks: partners register HTTPS endpoints and receive signed events.

- ``signing``: the Standard Webhooks scheme (``webhook-id``, ``webhook-timestamp``,
  ``webhook-signature``) through the ``standardwebhooks`` library.
- ``urls``: the SSRF guard (public hosts only, checked at registration and at delivery).
- ``delivery``: one claimed, signed attempt at a time; backoff with jitter; give-up.
- ``services``: endpoints, events queued in the caller's transaction, replays.
- ``selectors``: partner-scoped lists and the due deliveries.
- ``tasks``: the Celery tasks (``agency.tasks.webhook_deliver`` and the poller).

The names below are the package's public interface; the README of this app gives the
contract partners rely on (events, signature, retries).
"""

from agency.webhooks.delivery import webhook_delivery_attempt
from agency.webhooks.selectors import (
    webhook_deliveries_due,
    webhook_delivery_list,
    webhook_endpoint_list,
)
from agency.webhooks.services import (
    webhook_delivery_replay,
    webhook_endpoint_create,
    webhook_endpoint_deactivate,
    webhook_event_emit,
)
from agency.webhooks.signing import (
    ID_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    webhook_headers,
    webhook_signature_verify,
)

__all__ = [
    "ID_HEADER",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "webhook_deliveries_due",
    "webhook_delivery_attempt",
    "webhook_delivery_list",
    "webhook_delivery_replay",
    "webhook_endpoint_create",
    "webhook_endpoint_deactivate",
    "webhook_endpoint_list",
    "webhook_event_emit",
    "webhook_headers",
    "webhook_signature_verify",
]
