"""Sending tasks to the broker without making the broker a single point of failure.

Every task this product queues stands for a row in PostgreSQL (a recalculation chunk, a
webhook delivery, a due date) that a periodic sweeper re-drives when its message is lost.
So a broker that is down when a message is sent costs minutes, not work: the send is
logged and dropped, and the request or job that asked for it still succeeds. After a failed
send, sends are skipped for a few seconds, so a request that queues several tasks does
not wait out a connection attempt for each.
"""

import structlog
from celery import Task, current_app
from django.db import transaction
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import RedisError

from agency.breaker import Breaker

log = structlog.get_logger(__name__)

BROKER_ERRORS = (BrokerError, RedisError, OSError)
_broker = Breaker(seconds=5.0)  # after a failed send, later sends are dropped this long


def broker_state_reset() -> None:
    """Try the broker again at the next send."""
    _broker.reset()


def _task(task: Task | str) -> Task:
    """A task, or its registered name: a service whose app's tasks module imports it names
    the task instead of importing it back (no import cycle)."""
    return current_app.tasks[task] if isinstance(task, str) else task


def enqueue(task: Task | str, *args: object) -> bool:
    """Send ``task(*args)`` now; False (with a warning) when the broker cannot take it."""
    task = _task(task)
    if _broker.is_open:
        log.warning("enqueue_skipped_broker_down", task=task.name, task_args=list(args))
        return False
    try:
        task.apply_async(args)
    except BROKER_ERRORS as exc:
        _broker.trip()
        log.warning(
            "enqueue_failed_redriven_later",
            task=task.name,
            task_args=list(args),
            error=f"{type(exc).__name__}: {exc}"[:300],
        )
        return False
    return True


def enqueue_on_commit(task: Task | str, *args: object) -> None:
    """Send ``task(*args)`` once the current transaction commits (nothing if it rolls back);
    a broker outage at that moment is logged, never raised to the caller."""
    transaction.on_commit(lambda: enqueue(task, *args))
