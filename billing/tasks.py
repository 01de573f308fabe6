"""Thin Celery tasks over billing services: ids in, idempotent, advisory-locked when periodic.

No ETAs for money: due dates live in PostgreSQL (``RevenueEvent.locks_on``, statement
periods) and the periodic tasks below poll them (schedule in settings, ``# billing``).
"""

import datetime as dt

from celery import shared_task
from django.db import OperationalError, connection, transaction
from django.utils import timezone

from agency.celery import Queue
from billing.models import LedgerCheck, PayoutBatch
from billing.services import checks, payouts, remittance_matching
from billing.services.events import revenue_events_lock_due
from billing.services.posting import revenue_events_post_pending
from billing.services.statements import statements_close_due

RETRY = {"autoretry_for": (OperationalError,), "retry_backoff": 30, "retry_jitter": True}


def _try_lock(name: str) -> bool:
    """A transaction-scoped advisory lock: a second concurrent run of the job skips."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(hashtext(%s))", [f"billing:{name}"])
        return cursor.fetchone()[0]


def _today(today: str | None) -> dt.date:
    return dt.date.fromisoformat(today) if today else timezone.localdate()


@shared_task(queue=Queue.BILLING, acks_late=True, reject_on_worker_lost=True, **RETRY)
def billing_lock_due_events(today: str | None = None) -> int:
    """Lock events whose hold period ended (and make payable what may be paid)."""
    with transaction.atomic():
        if not _try_lock("lock_due_events"):
            return 0
        return revenue_events_lock_due(today=_today(today))


@shared_task(queue=Queue.BILLING, acks_late=True, reject_on_worker_lost=True, **RETRY)
def billing_close_due_statements(today: str | None = None) -> int:
    """Close every creator's statements of months before the current one."""
    with transaction.atomic():
        if not _try_lock("close_due_statements"):
            return 0
        return statements_close_due(today=_today(today))


@shared_task(queue=Queue.BILLING, acks_late=True, reject_on_worker_lost=True, **RETRY)
def billing_post_pending_events(partition: int = 0, partitions: int = 1) -> int:
    """Post the unposted events of one partition of creators (``creator_id % partitions``),
    in batches; idempotent (posted events are skipped). Fan out with one task per partition
    so workers never share a creator. Returns the number of events posted."""
    result = revenue_events_post_pending(partition=partition, partitions=partitions)
    return len(result.posted)


def billing_post_pending_fan_out(partitions: int) -> None:
    """Enqueue one posting task per partition (after the caller's commit)."""
    for partition in range(partitions):
        billing_post_pending_events.delay_on_commit(partition, partitions)


@shared_task(queue=Queue.BILLING, acks_late=True, reject_on_worker_lost=True, **RETRY)
def billing_prepare_payout_batches() -> list[int]:
    """Draft a payout batch per currency for finance to approve. A second run finds the
    money reserved already, so it pays nobody twice."""
    with transaction.atomic():
        if not _try_lock("prepare_payout_batches"):
            return []
        return [b.pk for b in payouts.payout_batches_prepare()]


@shared_task(queue=Queue.BILLING, acks_late=True, reject_on_worker_lost=True, **RETRY)
def billing_send_payout(payout_id: int) -> str:
    """Hand an approved payout to the bank. Idempotent by payout id (state guard)."""
    return payouts.payout_send(payout_id=payout_id).status


@shared_task(queue=Queue.BILLING, acks_late=True, reject_on_worker_lost=True, **RETRY)
def billing_send_approved_batches() -> int:
    """Send every payout of approved batches that is not sent yet."""
    from billing.models import Payout

    ids = list(
        Payout.objects.filter(
            batch__status=PayoutBatch.Status.APPROVED, status=Payout.Status.APPROVED
        ).values_list("pk", flat=True)
    )
    for payout_id in ids:
        payouts.payout_send(payout_id=payout_id)
    return len(ids)


@shared_task(queue=Queue.BILLING, acks_late=True, reject_on_worker_lost=True, **RETRY)
def billing_match_open_remittances() -> int:
    """Match remittance lines still open: their events or exchange rates may have arrived."""
    with transaction.atomic():
        if not _try_lock("match_open_remittances"):
            return 0
        return remittance_matching.remittances_match_open()


@shared_task(queue=Queue.BILLING, acks_late=True, reject_on_worker_lost=True, **RETRY)
def billing_verify_ledger() -> int:
    """Run the ledger check and record its result; returns the number of mismatches. A
    second run only records a second check."""
    return checks.ledger_check_run(source=LedgerCheck.Source.NIGHTLY).mismatch_count
