"""Settlement: split and post the revenue events with the product's service
(``revenue_event_post``: split, ledger transaction, statement line), close the first month
of statements (``statement_close``), then ``verify_ledger``; against INSERT ... SELECT of the
same number of ledger legs into a table shaped like the ledger's."""

import datetime as dt
import time

from django.core.management import call_command
from django.db import connection, transaction

FLOOR_SQL = """
CREATE TEMP TABLE bench_floor_legs (LIKE billing_ledgerleg INCLUDING ALL) ON COMMIT DROP;
INSERT INTO bench_floor_legs (transaction_id, account_id, amount_minor, currency)
SELECT e.id, (e.id %% 97) + leg, CASE leg WHEN 1 THEN -e.gross_minor ELSE e.gross_minor / 2 END,
       e.currency
  FROM billing_revenueevent e CROSS JOIN generate_series(1, 4) leg
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


def post_events(*, budget_s: float | None, profile_events: int = 0) -> dict:
    from billing.models import LedgerLeg, RevenueEvent
    from billing.services.posting import revenue_event_post

    ids = list(
        RevenueEvent.objects.filter(posted_at__isnull=True)
        .order_by("occurred_on", "pk")
        .values_list("pk", flat=True)
    )
    legs_before = LedgerLeg.objects.count()
    started = time.perf_counter()
    posted = 0
    for event_id in ids:
        revenue_event_post(event=RevenueEvent(pk=event_id))
        posted += 1
        if budget_s is not None and time.perf_counter() - started > budget_s:
            break
    seconds = time.perf_counter() - started
    legs = LedgerLeg.objects.count() - legs_before
    return {
        "events_total": len(ids),
        "events_posted": posted,
        "complete": posted == len(ids),
        "legs": legs,
        "seconds": round(seconds, 3),
        "events_per_s": round(posted / seconds, 1),
        "legs_per_s": round(legs / seconds),
    }


def close_month(*, period: dt.date) -> dict:
    from billing.models import Statement
    from billing.services.statements import statement_close
    from creators.models import Creator

    creator_ids = list(
        Statement.objects.filter(period=period, status=Statement.Status.OPEN)
        .order_by("creator_id")
        .values_list("creator_id", flat=True)
    )
    started = time.perf_counter()
    for creator in Creator.objects.filter(pk__in=creator_ids).order_by("pk").iterator(2000):
        statement_close(creator=creator, period=period)
    seconds = time.perf_counter() - started
    return {
        "period": period.isoformat(),
        "statements": len(creator_ids),
        "seconds": round(seconds, 3),
        "per_s": round(len(creator_ids) / seconds, 1) if seconds else None,
    }


def verify() -> dict:
    started = time.perf_counter()
    try:
        call_command("verify_ledger", verbosity=0)
        ok = True
    except SystemExit as exc:
        ok = exc.code in (0, None)
    return {"passed": ok, "seconds": round(time.perf_counter() - started, 3)}


def queries_per_event(*, events: int = 20) -> dict:
    """Post ``events`` events with the query log on: statements and commits per event."""
    from django.test.utils import CaptureQueriesContext

    from billing.models import RevenueEvent
    from billing.services.posting import revenue_event_post

    ids = list(
        RevenueEvent.objects.filter(posted_at__isnull=True)
        .order_by("occurred_on", "pk")
        .values_list("pk", flat=True)[:events]
    )
    with CaptureQueriesContext(connection) as ctx:
        for event_id in ids:
            revenue_event_post(event=RevenueEvent(pk=event_id))
    per_event = len(ctx.captured_queries) / max(len(ids), 1)
    return {"events": len(ids), "queries_per_event": round(per_event, 1)}


def profile_posting(*, events: int, out_path) -> list[str]:
    """Profile posting ``events`` more events with pyinstrument; write the HTML report and
    return the heaviest lines of the text report."""
    from pyinstrument import Profiler

    from billing.models import RevenueEvent
    from billing.services.posting import revenue_event_post

    ids = list(
        RevenueEvent.objects.filter(posted_at__isnull=True)
        .order_by("occurred_on", "pk")
        .values_list("pk", flat=True)[:events]
    )
    profiler = Profiler(interval=0.001)
    profiler.start()
    for event_id in ids:
        revenue_event_post(event=RevenueEvent(pk=event_id))
    profiler.stop()
    out_path.write_text(profiler.output_html())
    text = profiler.output_text(unicode=False, color=False, show_all=False)
    (out_path.with_suffix(".txt")).write_text(text)
    return text.splitlines()[:60]
