"""PostgreSQL advisory locks: the one key scheme and the three ways the code takes them.

A lock is named by parts (``("statement_close", creator_id)``, ``("billing", "job")``); the
key is the first 8 bytes of SHA-256 over the parts joined by ``:``, as a signed bigint, so
two names never share a key by accident and every app computes it the same way. Every lock
here is transaction-scoped (``pg_*_xact_lock``): it is released when the caller's
transaction ends, so call inside ``transaction.atomic``.
"""

import hashlib
from collections.abc import Iterable

from django.db import connection


def lock_key(*parts: object) -> int:
    name = ":".join(str(p) for p in parts).encode()
    return int.from_bytes(hashlib.sha256(name).digest()[:8], "big", signed=True)


def advisory_lock(*parts: object) -> None:
    """Wait for the lock named by ``parts``; held until the transaction ends."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [lock_key(*parts)])


def try_advisory_lock(*parts: object) -> bool:
    """Take the lock named by ``parts`` if it is free (True), else False at once: a second
    concurrent run of a job skips instead of waiting."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [lock_key(*parts)])
        return cursor.fetchone()[0]


def advisory_locks(prefix: str, ids: Iterable[object]) -> None:
    """Wait for the locks ``(prefix, id)`` of every id, in one statement and in key order,
    so callers over overlapping ids queue instead of deadlocking."""
    keys = sorted({lock_key(prefix, i) for i in ids})
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(pg_advisory_xact_lock(k)) "
            "FROM (SELECT k FROM unnest(%s::bigint[]) AS k ORDER BY k OFFSET 0) AS ordered",
            [keys],
        )
