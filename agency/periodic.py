"""The one wrapper for scheduled (Celery beat) jobs: lock, today, retry.

```python
@periodic_task(queue=Queue.BILLING, lock=("billing", "lock_due_events"), skipped=0)
def billing_lock_due_events(today: dt.date) -> int:
    return revenue_events_lock_due(today=today)
```
makes a Celery task ``billing_lock_due_events(today: str | None = None)`` that
- runs the body in one transaction holding the advisory lock ``lock`` (``agency.locks``):
  a second run at the same time returns ``skipped`` at once instead of doing the work twice;
- hands the body ``today`` as a date (the ISO string it was called with, else the local
  date), when the body takes ``today``;
- is ``acks_late`` (a worker lost mid-run leaves the message for another) and retries on
  ``OperationalError`` with jittered backoff (``RETRY``).
The body stays a thin call of one service, callable as a plain function in tests.
"""

import datetime as dt
import functools
import inspect
from collections.abc import Callable
from typing import Any

from celery import shared_task
from django.db import OperationalError, transaction
from django.utils import timezone

from agency.locks import try_advisory_lock

# Celery options every money job shares: retry a lost database connection or a busy one.
RETRY = {"autoretry_for": (OperationalError,), "retry_backoff": 30, "retry_jitter": True}


def today_from(today: str | dt.date | None) -> dt.date:
    """The job's day: an ISO date given by the caller (a re-run of a past day), else today."""
    if isinstance(today, dt.date):
        return today
    return dt.date.fromisoformat(today) if today else timezone.localdate()


def periodic_task(
    *, queue: str, lock: tuple[str, ...] | None, skipped: Any = 0, **options: Any
) -> Callable[[Callable], Any]:
    def decorate(body: Callable) -> Any:
        takes_today = "today" in inspect.signature(body).parameters

        @functools.wraps(body)
        def run(today: str | None = None):
            with transaction.atomic():
                if lock is not None and not try_advisory_lock(*lock):
                    return skipped
                return body(today=today_from(today)) if takes_today else body()

        if not takes_today:
            run.__signature__ = inspect.Signature()  # type: ignore[attr-defined]
        return shared_task(
            queue=queue, acks_late=True, reject_on_worker_lost=True, **RETRY, **options
        )(run)

    return decorate
