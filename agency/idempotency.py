"""``Idempotency-Key`` for money-moving POSTs: a retried POST never acts twice.

Same partner + key + same request (a JSON body compared as parsed JSON): the first
response's exact bytes are returned again. Same key with a
different request: 422. Same key while the first request is still running: 409. Records are
kept for ``IDEMPOTENCY_KEY_TTL`` (at least 24 hours) and then purged by a periodic task.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from agency.errors import ApplicationError, Conflict
from agency.models import IdempotencyRecord, Partner

MAX_KEY_LENGTH = 255


class IdempotencyKeyReused(ApplicationError):
    status = 422
    code = "idempotency_key_reused"


@dataclass(frozen=True)
class Replay:
    status: int
    body: Any
    content: bytes | None = None  # the first response's exact bytes


def _canonical(body: bytes) -> bytes:
    """A JSON body as parsed JSON, serialized one way (keys sorted, no spaces), so the same
    JSON sent with other spacing or key order is the same request; any other body as is."""
    try:
        parsed = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return body
    return json.dumps(parsed, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def fingerprint(*, method: str, path: str, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (method.encode(), b"\0", path.encode(), b"\0", _canonical(body)):
        digest.update(part)
    return digest.hexdigest()


def idempotency_begin(*, partner: Partner, key: str, request_fingerprint: str) -> Replay | None:
    """Reserve ``key`` for this request, or say what to answer instead.

    Returns None when the caller should run the request (the key is now reserved), a
    ``Replay`` of the stored first response, or raises 409/422. The reservation commits at
    once, so a concurrent request with the same key sees it: its transactions are durable
    (called inside another transaction it fails loudly instead of committing late).
    """
    if not key or len(key) > MAX_KEY_LENGTH:
        raise ApplicationError(
            f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters.", code="invalid_header"
        )
    now = timezone.now()
    try:
        with transaction.atomic(durable=True):
            IdempotencyRecord.objects.create(
                partner=partner, key=key, request_fingerprint=request_fingerprint
            )
        return None
    except IntegrityError:
        pass

    with transaction.atomic(durable=True):
        record = IdempotencyRecord.objects.select_for_update().get(partner=partner, key=key)
        if record.request_fingerprint != request_fingerprint:
            raise IdempotencyKeyReused(
                "This Idempotency-Key was used with a different request.",
                extra={
                    "fields": {"Idempotency-Key": [f"{key!r} was used with a different request."]}
                },
            )
        if record.state == IdempotencyRecord.State.COMPLETED:
            content = record.response_content
            return Replay(
                status=record.response_status,
                body=record.response_body,
                content=bytes(content) if content is not None else None,
            )
        if now - record.updated_at < settings.IDEMPOTENCY_LOCK_TIMEOUT:
            raise Conflict(
                "A request with this Idempotency-Key is still being processed.",
                code="idempotency_key_in_use",
            )
        # The first attempt died without an answer: this request takes over the key.
        record.save(update_fields=["updated_at"])
        return None


def idempotency_complete(
    *, partner: Partner, key: str, status: int, body: Any, content: bytes | None = None
) -> None:
    """Store the first response (its data and its exact bytes). Server errors release the
    key so the client may retry."""
    records = IdempotencyRecord.objects.filter(
        partner=partner, key=key, state=IdempotencyRecord.State.IN_PROGRESS
    )
    if status >= 500:
        records.delete()
        return
    records.update(
        state=IdempotencyRecord.State.COMPLETED,
        response_status=status,
        response_body=body,
        response_content=content,
        updated_at=timezone.now(),
    )


def idempotency_records_purge(*, older_than: timedelta | None = None) -> int:
    """Delete records past retention. Returns how many were deleted."""
    cutoff = timezone.now() - (older_than or settings.IDEMPOTENCY_KEY_TTL)
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
