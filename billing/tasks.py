"""Thin Celery tasks over billing services: ids in, idempotent, advisory-locked when periodic.

No ETAs for money: due dates live in PostgreSQL (``RevenueEvent.locks_on``, statement
periods) and the periodic tasks below poll them (schedule in settings, ``# billing``).
"""

import datetime as dt

from celery import shared_task

from agency.celery import Queue
from agency.periodic import RETRY, periodic_task
from billing.models import LedgerCheck
from billing.services import checks, payouts, remittance_matching
from billing.services.events import revenue_events_lock_due
from billing.services.posting import revenue_events_post_pending
from billing.services.statements import statements_close_due


@periodic_task(queue=Queue.BILLING, lock=("billing", "lock_due_events"))
def billing_lock_due_events(today: dt.date) -> int:
    """Lock events whose hold period ended (and make payable what may be paid)."""
    return revenue_events_lock_due(today=today)


@periodic_task(queue=Queue.BILLING, lock=("billing", "close_due_statements"))
def billing_close_due_statements(today: dt.date) -> int:
    """Close every creator's statements of months before the current one."""
    return statements_close_due(today=today)


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


@periodic_task(queue=Queue.BILLING, lock=("billing", "prepare_payout_batches"), skipped=[])
def billing_prepare_payout_batches() -> list[int]:
    """Draft a payout batch per currency for finance to approve. A second run finds the
    money reserved already, so it pays nobody twice."""
    return [b.pk for b in payouts.payout_batches_prepare()]


@shared_task(queue=Queue.BILLING, acks_late=True, reject_on_worker_lost=True, **RETRY)
def billing_send_approved_batches() -> int:
    """Send every payout of approved batches that is not sent yet."""
    return len(payouts.payouts_send_approved())


@periodic_task(queue=Queue.BILLING, lock=("billing", "match_open_remittances"))
def billing_match_open_remittances() -> int:
    """Match remittance lines still open: their events or exchange rates may have arrived."""
    return remittance_matching.remittances_match_open()


@shared_task(queue=Queue.BILLING, acks_late=True, reject_on_worker_lost=True, **RETRY)
def billing_verify_ledger() -> int:
    """Run the ledger check and record its result; returns the number of mismatches. Not
    a ``periodic_task``: the check reads one snapshot in a transaction of its own, and a
    second run only records a second check."""
    return checks.ledger_check_run(source=LedgerCheck.Source.NIGHTLY).mismatch_count
