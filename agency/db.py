"""Database helpers shared by every app's services."""

import functools
import random
import time
from collections.abc import Callable
from typing import TypeVar

import structlog
from django.db import OperationalError, connection

from agency.errors import Conflict

log = structlog.get_logger(__name__)
F = TypeVar("F", bound=Callable)

# PostgreSQL SQLSTATEs worth running the whole transaction again for.
CONTENTION = {"40001": "serialization failure", "40P01": "deadlock"}
CONTENTION_ATTEMPTS = 4


def contention_state(exc: BaseException) -> str | None:
    """The SQLSTATE of a serialization failure or deadlock behind ``exc``, else None."""
    for candidate in (exc, exc.__cause__):
        state = getattr(candidate, "sqlstate", None)
        if state in CONTENTION:
            return state
    return None


def retry_on_contention(func: F) -> F:
    """Run ``func`` (which opens its own transaction) again when PostgreSQL aborts it as a
    deadlock victim or for a serialization failure, a bounded number of times with a short
    jittered backoff; past that the caller gets a ``Conflict`` (409), never a 500.

    Only the outermost transaction can be retried: called inside an open transaction the
    function runs once and the error goes to whoever owns that transaction.
    """

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        if connection.in_atomic_block:
            return func(*args, **kwargs)
        for attempt in range(1, CONTENTION_ATTEMPTS + 1):
            try:
                return func(*args, **kwargs)
            except OperationalError as exc:
                state = contention_state(exc)
                if state is None:
                    raise
                log.warning(
                    "db_contention_retry",
                    function=func.__qualname__,
                    sqlstate=state,
                    attempt=attempt,
                )
                if attempt == CONTENTION_ATTEMPTS:
                    raise Conflict(
                        f"The database was busy ({CONTENTION[state]}); retry the request."
                    ) from exc
                time.sleep(random.uniform(0, 0.05 * 2**attempt))
        raise AssertionError("unreachable")

    return wrapper  # type: ignore[return-value]
