"""Ledger checks: run ``verify_ledger``'s set-based checks and keep the result."""

from django.db import connection, transaction
from django.utils import timezone

from billing.models import LedgerCheck
from billing.verification import ledger_verify

KEPT_MISMATCHES = 200  # the first ones are enough to start an investigation


def ledger_check_run(*, source: str) -> LedgerCheck:
    """Recompute every balance and statement from the entries and record what was found.

    Run on its own (a job, the command), the checks read one snapshot (REPEATABLE READ), so
    postings committing meanwhile cannot show up as a false mismatch."""
    started = timezone.now()
    own_transaction = not connection.in_atomic_block
    with transaction.atomic():
        if own_transaction:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        problems = ledger_verify()
    return LedgerCheck.objects.create(
        source=source,
        started_at=started,
        finished_at=timezone.now(),
        mismatch_count=len(problems),
        mismatches=problems[:KEPT_MISMATCHES],
    )
