"""Signing, with the Standard Webhooks scheme (https://www.standardwebhooks.com), so a
partner verifies deliveries with any of its ready-made libraries.

Every delivery carries three headers: ``webhook-id`` (the delivery's event id, the same on
every retry: receivers de-duplicate on it), ``webhook-timestamp`` (unix seconds of this
attempt) and ``webhook-signature`` (``v1,<base64 HMAC-SHA256>`` over
``"{id}.{timestamp}.{body}"`` with the endpoint's secret, ``whsec_<base64 key>``).
Receivers recompute it and refuse a timestamp more than five minutes off.
"""

import base64
import datetime as dt
import secrets

from standardwebhooks import Webhook, WebhookVerificationError

ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
SIGNATURE_HEADER = "webhook-signature"


def webhook_secret_new() -> str:
    """A new endpoint secret: ``whsec_`` and 24 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def webhook_headers(*, secret: str, msg_id: str, body: bytes, timestamp: int) -> dict[str, str]:
    """The three signature headers of one attempt."""
    at = dt.datetime.fromtimestamp(timestamp, tz=dt.UTC)
    return {
        ID_HEADER: msg_id,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: Webhook(secret).sign(msg_id=msg_id, timestamp=at, data=body.decode()),
    }


def webhook_signature_verify(*, secret: str, body: bytes, headers: dict[str, str]) -> bool:
    """What a receiver does (with the standardwebhooks library): True when the headers sign
    ``body`` with ``secret`` and the timestamp is within five minutes of now."""
    try:
        Webhook(secret).verify(body, headers, json_parse=False)
    except (WebhookVerificationError, ValueError):  # ValueError: a malformed base64 part
        return False
    return True
