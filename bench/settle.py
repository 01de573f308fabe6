"""Settlement: post the revenue events with the product's batch engine (a third in this
process, a third through one Celery worker, a third through two), close the first month of
statements set-based (``statements_close_month``), then ``verify_ledger``; against
INSERT ... SELECT of the same number of ledger legs into a table shaped like the ledger's."""

import datetime as dt
import time

from django.core.management import call_command
from django.db import connection, transaction

# Up to 8 legs per event, so the floor reaches the legs actually written (about 6 per event;
# with 4 it stopped at 4 per event and compared 6M legs posted with 4M inserted).
FLOOR_SQL = """
CREATE TEMP TABLE bench_floor_legs (LIKE billing_ledgerleg INCLUDING ALL) ON COMMIT DROP;
INSERT INTO bench_floor_legs (transaction_id, account_id, amount_minor, currency)
SELECT e.id, (e.id %% 97) + leg, CASE leg WHEN 1 THEN -e.gross_minor ELSE e.gross_minor / 2 END,
       e.currency
  FROM billing_revenueevent e CROSS JOIN generate_series(1, 8) leg
 LIMIT %(legs)s;
"""


def floor(*, legs: int) -> dict:
    sql = FLOOR_SQL
    with transaction.atomic():
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(sql, {"legs": legs})
            cursor.execute("SELECT COUNT(*) FROM bench_floor_legs")
            (rows,) = cursor.fetchone()
        seconds = time.perf_counter() - started
    return {"legs": rows, "seconds": round(seconds, 3), "legs_per_s": round(rows / seconds)}


# Creators are split by ``creator_id % 6``: {0, 3} post in this process, {1, 4} through one
# Celery worker, {2, 5} through two workers, so each way posts a third of the events.
IN_PROCESS = [(0, 3)]
ONE_WORKER = [(1, 6), (4, 6)]
TWO_WORKERS = [(2, 6), (5, 6)]


def _pending(partitions: list[tuple[int, int]]) -> int:
    from django.db.models import F, Q
    from django.db.models.functions import Mod

    from billing.models import RevenueEvent

    which = Q()
    for part, parts in partitions:
        which |= Q(**{f"m{parts}": part})
    return (
        RevenueEvent.objects.filter(posted_at__isnull=True)
        .annotate(m3=Mod(F("creator_id"), 3), m6=Mod(F("creator_id"), 6))
        .filter(which)
        .count()
    )


def post_events(*, budget_s: float | None, profile_events: int = 0) -> dict:
    """The in-process third: ``revenue_events_post_pending`` (batches of whole creators).
    ``budget_s`` is not used any more: every event is posted."""
    from billing.models import LedgerLeg
    from billing.services.posting import revenue_events_post_pending

    total = _pending(IN_PROCESS)
    legs_before = LedgerLeg.objects.count()
    started = time.perf_counter()
    result = revenue_events_post_pending(partition=0, partitions=3)
    seconds = time.perf_counter() - started
    posted = len(result.posted)
    legs = LedgerLeg.objects.count() - legs_before
    return {
        "events_total": total,
        "events_posted": posted,
        "failures": len(result.failures),
        "complete": posted == total,
        "legs": legs,
        "seconds": round(seconds, 3),
        "events_per_s": round(posted / seconds, 1) if seconds else None,
        "legs_per_s": round(legs / seconds) if seconds else None,
    }


def post_celery(*, workers: int, partitions: list[tuple[int, int]], env, log_dir, timeout) -> dict:
    """Post a third of the events through ``workers`` real Celery worker processes (solo
    pool, billing queue over Redis): one ``billing_post_pending_events`` task per partition;
    completion is read from PostgreSQL."""
    from agency.celery import Queue, app
    from bench.procs import celery_wait_ready, celery_workers, peak_rss_mb, stop
    from billing.models import LedgerLeg
    from billing.tasks import billing_post_pending_events

    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge(Queue.BILLING.value)
    total = _pending(partitions)
    legs_before = LedgerLeg.objects.count()
    drawn_before = _ids_drawn()
    procs = celery_workers(workers, env, log_dir, queue=Queue.BILLING.value)
    try:
        celery_wait_ready("benchbilling", workers)
        started = time.perf_counter()
        for part, parts in partitions:
            billing_post_pending_events.delay(part, parts)
        deadline = time.monotonic() + timeout
        left = total
        while left and time.monotonic() < deadline:
            time.sleep(1.0)
            # Every event posted draws one ledger transaction id: reading the sequence costs
            # nothing, while the exact count scans every event (a sixth of a core at 1M
            # events, taken from the workers). Counted exactly once the ids say "done".
            if _ids_drawn() - drawn_before >= total:
                left = _pending(partitions)
        seconds = time.perf_counter() - started
        rss = [peak_rss_mb(p.pid) for p in procs]
    finally:
        for proc in procs:
            stop(proc)
    legs = LedgerLeg.objects.count() - legs_before
    posted = total - left
    return {
        "workers": workers,
        "events_total": total,
        "events_posted": posted,
        "complete": left == 0,
        "legs": legs,
        "seconds": round(seconds, 3),
        "events_per_s": round(posted / seconds, 1) if seconds else None,
        "worker_peak_rss_mb": rss,
    }


def _ids_drawn() -> int:
    """The ledger transaction id sequence's last value (ids drawn so far, committed or not)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT last_value FROM pg_sequences WHERE schemaname = 'public' AND sequencename = %s",
            ["billing_ledgertransaction_id_seq"],
        )
        row = cursor.fetchone()
    return (row[0] or 0) if row else 0


def close_month(*, period: dt.date) -> dict:
    """Close every creator's month with the set-based ``statements_close_month``."""
    from billing.models import Statement
    from billing.services.statements import statements_close_month

    open_before = Statement.objects.filter(period=period, status=Statement.Status.OPEN).count()
    started = time.perf_counter()
    closed = statements_close_month(period=period)
    seconds = time.perf_counter() - started
    return {
        "period": period.isoformat(),
        "statements": closed,
        "open_before": open_before,
        "seconds": round(seconds, 3),
        "per_s": round(closed / seconds, 1) if seconds else None,
    }


def verify() -> dict:
    started = time.perf_counter()
    try:
        call_command("verify_ledger", verbosity=0)
        ok = True
    except SystemExit as exc:
        ok = exc.code in (0, None)
    return {"passed": ok, "seconds": round(time.perf_counter() - started, 3)}


def _first_pending(events: int) -> list[int]:
    from billing.models import RevenueEvent

    return list(
        RevenueEvent.objects.filter(posted_at__isnull=True)
        .order_by("creator_id", "occurred_on", "pk")
        .values_list("pk", flat=True)[:events]
    )


def queries_per_event(*, events: int = 20) -> dict:
    """Post one batch of ``events`` events with the query log on."""
    from django.test.utils import CaptureQueriesContext

    from billing.services.posting import revenue_events_post

    ids = _first_pending(events)
    with CaptureQueriesContext(connection) as ctx:
        revenue_events_post(event_ids=ids)
    per_event = len(ctx.captured_queries) / max(len(ids), 1)
    return {
        "events": len(ids),
        "queries_per_batch": len(ctx.captured_queries),
        "queries_per_event": round(per_event, 2),
    }


def profile_posting(*, events: int, out_path) -> list[str]:
    """Profile posting ``events`` events as one batch with pyinstrument; write the HTML
    report and return the heaviest lines of the text report."""
    from pyinstrument import Profiler

    from billing.services.posting import revenue_events_post

    ids = _first_pending(events)
    profiler = Profiler(interval=0.001)
    profiler.start()
    revenue_events_post(event_ids=ids)
    profiler.stop()
    out_path.write_text(profiler.output_html())
    text = profiler.output_text(unicode=False, color=False, show_all=False)
    (out_path.with_suffix(".txt")).write_text(text)
    return text.splitlines()[:60]
