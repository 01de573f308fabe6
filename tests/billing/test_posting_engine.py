"""The batch posting engine: constant queries per batch, per-creator failure, idempotency,
and concurrent overlapping batches that neither deadlock nor lose or double a row."""

import datetime as dt
import threading
from decimal import Decimal

import psycopg
import pytest
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext

from agency.db import CONTENTION_ATTEMPTS, retry_on_contention
from agency.errors import Conflict
from billing.models import (
    Account,
    ImportBatch,
    LedgerTransaction,
    MonthToDate,
    RevenueEvent,
    RevenueSplit,
    StatementLine,
)
from billing.services.events import (
    EventInput,
    import_batch_approve,
    revenue_events_ingest,
)
from billing.services.posting import PostingFailed, revenue_events_post
from billing.verification import ledger_verify
from tests.billing.conftest import TODAY
from tests.billing.helpers import creator_on_plan
from tests.factories.agency import StaffUserFactory
from tests.factories.billing import ExchangeRateFactory

MARCH = dt.date(2025, 3, 1)


def _rates():
    for day in range(0, 40, 3):
        on = MARCH + dt.timedelta(days=day)
        ExchangeRateFactory(base="EUR", quote="USD", valid_on=on, rate=Decimal("1.08"))


def _unposted(creators, count: int, *, prefix: str) -> list[int]:
    """``count`` sales spread over the creators, streams and two currencies, not posted."""
    rows = [
        EventInput(
            stream=["live_gifts", "brand_deal", "affiliate"][i % 3],
            creator_id=creators[i % len(creators)].pk,
            occurred_on=MARCH + dt.timedelta(days=i % 28),
            gross=f"{10 + i % 97}.{i % 100:02d}",
            platform_fee="1.00",
            currency=["USD", "EUR"][i % 2],
            source_type="engine",
            source_id=f"{prefix}-{i}",
        )
        for i in range(count)
    ]
    created, _ = revenue_events_ingest(rows=rows, post=False, today=TODAY)
    return [e.pk for e in created]


def _queries_to_post(size: int, prefix: str) -> int:
    tiers = [("100", "0.15"), ("1000", "0.1")]
    creators = [creator_on_plan(currency="USD", tiers=tiers) for _ in range(3)]
    creators += [creator_on_plan(currency="EUR", manager_share="0.1", sub_agency_share="0.2")]
    first = _unposted(creators, 8, prefix=f"{prefix}-first")
    revenue_events_post(event_ids=first)  # month-to-date totals and accounts exist already
    refunds = [
        EventInput(
            stream=e.stream,
            creator_id=e.creator_id,
            occurred_on=dt.date(2025, 3, 30),
            gross="0.50",
            currency=e.currency,
            source_type="engine",
            source_id=f"{prefix}-refund-{e.pk}",
            kind="refund",
            refund_of_source_id=e.source_id,
        )
        for e in RevenueEvent.objects.filter(pk__in=first[:4])
    ]
    created, _ = revenue_events_ingest(rows=refunds, post=False, today=TODAY)
    ids = _unposted([*creators, creator_on_plan(currency="EUR")], size, prefix=prefix)
    ids += [e.pk for e in created]
    with CaptureQueriesContext(connection) as ctx:
        result = revenue_events_post(event_ids=ids)
    assert len(result.posted) == len(ids) and not result.failures
    return len(ctx.captured_queries)


def _no_rate_event(creator, source_id: str, **extra) -> RevenueEvent:
    """An unposted GBP sale: no GBP rate is stored, so it cannot be posted."""
    return RevenueEvent.objects.create(
        stream="brand_deal",
        creator=creator,
        occurred_on=MARCH,
        gross_minor=1000,
        currency="GBP",
        source_type="engine",
        source_id=source_id,
        locks_on=MARCH,
        **extra,
    )


# 22 statements (read events, locks, plans, rates, month-to-date totals, originals, refunded
# so far, closed months, statements in and locked, splits, accounts read and created,
# transaction ids drawn, transactions, legs, lines, events marked, month-to-date totals
# added, deferred checks run, balances locked and moved; the four row writes are COPY) and
# 4 savepoint commands.
QUERIES_PER_BATCH = 26


@pytest.mark.django_db
@pytest.mark.parametrize("size", [10, 1000])
def test_a_batch_takes_the_same_number_of_queries_whatever_its_size(size):
    _rates()
    assert _queries_to_post(size, f"q{size}") == QUERIES_PER_BATCH
    assert ledger_verify() == []


@pytest.mark.django_db
def test_one_bad_event_posts_none_of_its_creators_batch_and_is_named():
    _rates()
    good, bad = creator_on_plan(currency="USD"), creator_on_plan(currency="USD")
    ids = _unposted([good, bad], 6, prefix="b")
    no_rate = _no_rate_event(bad, "no-rate")  # the creator's events wait
    result = revenue_events_post(event_ids=[*ids, no_rate.pk])
    assert [(f.event_id, f.source, f.code) for f in result.failures] == [
        (no_rate.pk, "engine:no-rate", "missing_exchange_rate")
    ]
    assert "GBP/USD" in result.failures[0].message
    assert not RevenueEvent.objects.filter(creator=bad, posted_at__isnull=False).exists()
    assert RevenueEvent.objects.filter(creator=good, posted_at__isnull=False).count() == 3
    assert sorted(result.posted) == sorted(
        RevenueEvent.objects.filter(creator=good).values_list("pk", flat=True)
    )
    assert ledger_verify() == []


@pytest.mark.django_db
def test_an_import_with_a_bad_event_posts_nothing_and_names_it():
    _rates()
    creator = creator_on_plan(currency="USD")
    ids = _unposted([creator], 3, prefix="imp")
    batch = ImportBatch.objects.create(filename="r.csv", row_count=4)
    RevenueEvent.objects.filter(pk__in=ids).update(import_batch=batch)
    _no_rate_event(creator, "imp-no-rate", import_batch=batch)
    with pytest.raises(PostingFailed) as failed:
        import_batch_approve(batch=batch, approved_by=StaffUserFactory())
    assert [e["source"] for e in failed.value.extra["events"]] == ["engine:imp-no-rate"]
    assert not RevenueEvent.objects.filter(posted_at__isnull=False).exists()
    assert ImportBatch.objects.get(pk=batch.pk).status == ImportBatch.Status.PENDING


@pytest.mark.django_db
def test_posting_a_batch_twice_changes_nothing():
    _rates()
    ids = _unposted(
        [creator_on_plan(currency="USD"), creator_on_plan(currency="EUR")], 12, prefix="i"
    )
    assert len(revenue_events_post(event_ids=ids).posted) == 12
    counts = (LedgerTransaction.objects.count(), StatementLine.objects.count())
    assert revenue_events_post(event_ids=ids).posted == []
    assert (LedgerTransaction.objects.count(), StatementLine.objects.count()) == counts


def _deadlock() -> OperationalError:
    error = OperationalError("deadlock detected")
    error.__cause__ = psycopg.errors.DeadlockDetected("deadlock detected")
    return error


def test_a_deadlock_victim_is_run_again():
    calls = []

    @retry_on_contention
    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise _deadlock()
        return "done"

    assert flaky() == "done"
    assert len(calls) == 3


def test_a_lasting_deadlock_is_a_conflict_after_bounded_attempts():
    calls = []

    @retry_on_contention
    def stuck():
        calls.append(1)
        raise _deadlock()

    with pytest.raises(Conflict, match="deadlock"):
        stuck()
    assert len(calls) == CONTENTION_ATTEMPTS


def test_other_database_errors_are_not_retried():
    calls = []

    @retry_on_contention
    def broken():
        calls.append(1)
        raise OperationalError("connection refused")

    with pytest.raises(OperationalError):
        broken()
    assert len(calls) == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_overlapping_multi_creator_batches_neither_deadlock_nor_double():
    _rates()
    creators = [creator_on_plan(currency=["USD", "EUR"][i % 2]) for i in range(6)]
    threads_n, batches_per_thread, rows_per_batch = 4, 5, 12
    barrier = threading.Barrier(threads_n)
    errors: list[BaseException] = []

    def work(t: int):
        try:
            barrier.wait()
            for b in range(batches_per_thread):
                order = creators if (t + b) % 2 else creators[::-1]  # opposite orders
                rows = [
                    EventInput(
                        stream="brand_deal",
                        creator_id=order[i % len(order)].pk,
                        occurred_on=MARCH + dt.timedelta(days=i),
                        gross="12.34",
                        currency=["USD", "EUR"][(i + t) % 2],
                        source_type="race",
                        source_id=f"{t}-{b}-{i}",
                    )
                    for i in range(rows_per_batch)
                ]
                revenue_events_ingest(rows=rows, today=TODAY)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(t,)) for t in range(threads_n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    expected = threads_n * batches_per_thread * rows_per_batch
    assert RevenueEvent.objects.filter(posted_at__isnull=False).count() == expected
    assert RevenueSplit.objects.count() == expected
    assert LedgerTransaction.objects.filter(source_type="revenue_event").count() == expected
    assert StatementLine.objects.count() == expected
    assert ledger_verify() == []


@pytest.mark.django_db
def test_pending_events_post_by_creator_partition_and_imports_wait_for_approval():
    from billing.tasks import billing_post_pending_events

    _rates()
    creators = [creator_on_plan(currency="USD") for _ in range(4)]
    ids = _unposted(creators, 16, prefix="p")
    waiting = _no_rate_event(
        creators[0],
        "in-an-import",
        import_batch=ImportBatch.objects.create(filename="w.csv", row_count=1),
    )
    odd = [c.pk for c in creators if c.pk % 2]
    assert billing_post_pending_events(1, 2) == 4 * len(odd)
    posted = RevenueEvent.objects.filter(posted_at__isnull=False)
    assert set(posted.values_list("creator_id", flat=True)) == set(odd)
    assert billing_post_pending_events(0, 2) == 16 - 4 * len(odd)
    assert billing_post_pending_events(0, 1) == 0  # twice: nothing more
    assert set(posted.values_list("pk", flat=True)) == set(ids)
    assert RevenueEvent.objects.get(pk=waiting.pk).posted_at is None
    assert ledger_verify() == []


@pytest.mark.django_db
def test_the_month_to_date_total_is_stored_and_read_not_rescanned(ingest):
    """Tiers are measured against the stored total (one row per creator, stream, month and
    plan currency), kept by the engine; ``verify_ledger`` recomputes it from the splits."""
    creator = creator_on_plan(tiers=[("0", "0.20"), ("1000", "0.10")], streams=["live_gifts"])
    first = ingest(creator, stream="live_gifts", gross="400.00", on=MARCH)
    ingest(creator, stream="live_gifts", gross="100.00", on=MARCH + dt.timedelta(days=1))
    total = MonthToDate.objects.get(creator=creator, stream="live_gifts", month=MARCH)
    assert (total.currency, total.gross_scaled) == ("USD", 500 * MonthToDate.SCALE)
    assert ledger_verify() == []
    # Raise the stored total past the tier: the next sale is split at the second tier's rate.
    MonthToDate.objects.filter(pk=total.pk).update(gross_scaled=1000 * MonthToDate.SCALE)
    third = ingest(creator, stream="live_gifts", gross="100.00", on=MARCH + dt.timedelta(days=2))
    assert RevenueSplit.objects.get(event=first).agency_minor == 8000
    assert RevenueSplit.objects.get(event=third).agency_minor == 1000
    assert any("month-to-date total differs" in p for p in ledger_verify())


@pytest.mark.django_db
def test_revenue_event_pages_keep_room_for_the_posted_update():
    """Marking events posted is a heap-only update only if their pages have room."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reloptions FROM pg_class WHERE oid = 'billing_revenueevent'::regclass"
        )
        (options,) = cursor.fetchone()
    assert "fillfactor=85" in (options or [])


@pytest.mark.django_db(transaction=True)
def test_a_shared_balance_is_moved_while_another_batch_holds_its_key_share_lock():
    """Another batch's new legs hold key-share locks on the agency-wide accounts (their
    foreign-key checks) until it commits. Locking those balances to move them must not wait
    for that (FOR UPDATE would, and two such batches deadlock each other)."""
    _rates()
    creators = [creator_on_plan(currency="USD") for _ in range(2)]
    revenue_events_post(event_ids=_unposted(creators[:1], 1, prefix="first"))
    revenue = Account.objects.get(
        kind=Account.Kind.AGENCY_REVENUE, currency="USD", creator=None, manager=None,
        sub_agency=None,
    )  # fmt: skip
    ids = _unposted(creators[1:], 1, prefix="second")
    params = connection.get_connection_params()
    with psycopg.connect(**params) as other:
        other.execute("SELECT id FROM billing_account WHERE id = %s FOR KEY SHARE", [revenue.pk])
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '3s'")
        try:
            result = revenue_events_post(event_ids=ids)
        finally:
            with connection.cursor() as cursor:
                cursor.execute("RESET lock_timeout")
        other.rollback()
    assert result.posted == ids
    assert Account.objects.get(pk=revenue.pk).balance_minor > 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    "table",
    [
        "billing_revenuesplit",
        "billing_ledgertransaction",
        "billing_ledgerleg",
        "billing_statementline",
        "billing_monthtodate",
    ],
)
def test_tables_a_batch_writes_have_no_index_another_index_already_covers(table):
    """Every row a batch inserts updates every index of its table: no plain index may be a
    leading part of another one (that one serves the same lookups). (The batch's UPDATE of
    revenue events touches no index: see the fillfactor test above.)"""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexrelid::regclass::text, indkey::int2[], indisunique FROM pg_index"
            " WHERE indrelid = %s::regclass AND indpred IS NULL AND indexprs IS NULL",
            [table],
        )
        indexes = cursor.fetchall()
    redundant = [
        name
        for name, keys, unique in indexes
        if not unique
        and any(
            other != name and len(other_keys) > len(keys) and other_keys[: len(keys)] == keys
            for other, other_keys, _ in indexes
        )
    ]
    assert redundant == []
