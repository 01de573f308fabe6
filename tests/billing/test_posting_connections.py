"""Pending events posted on several database connections at once: the same books as one
after the other, failures reported per creator, errors raised once every batch handed over
is done, and the sequential path inside a caller's transaction."""

import datetime as dt
import gc
import threading
import time
from decimal import Decimal

import pytest
import structlog
from django.db import connection, transaction

from billing.models import (
    Account,
    LedgerLeg,
    MonthToDate,
    RevenueEvent,
    RevenueSplit,
    StatementLine,
)
from billing.services import posting
from billing.services.events import EventInput, revenue_events_ingest
from billing.services.posting import revenue_events_post_pending
from billing.verification import ledger_verify
from tests.billing.conftest import TODAY
from tests.billing.helpers import creator_on_plan
from tests.factories.billing import ExchangeRateFactory

MARCH = dt.date(2025, 3, 1)
CREATORS = 7
STREAMS = ["live_gifts", "brand_deal", "affiliate"]


def _rates():
    for day in range(0, 40, 3):
        on = MARCH + dt.timedelta(days=day)
        ExchangeRateFactory(base="EUR", quote="USD", valid_on=on, rate=Decimal("1.08"))


def _world(tag: str) -> list:
    """Creators on various plans, with sales posted already, and refunds of some of them and
    more sales left to post. The same amounts and dates whatever ``tag``."""
    creators = [
        creator_on_plan(
            currency=["USD", "EUR"][i % 2],
            tiers=[("100", "0.15"), ("1000", "0.1")] if i % 3 == 0 else None,
            manager_share="0.1" if i % 2 else "0",
            sub_agency_share="0.2" if i % 3 == 1 else "0",
        )
        for i in range(CREATORS)
    ]

    def sale(i: int, name: str) -> EventInput:
        return EventInput(
            stream=STREAMS[i % 3],
            creator_id=creators[i % CREATORS].pk,
            occurred_on=MARCH + dt.timedelta(days=i % 28),
            gross=f"{10 + i % 97}.{i % 100:02d}",
            platform_fee="1.00",
            currency=["USD", "EUR"][i % 2],
            source_type="pending",
            source_id=f"{tag}-{name}-{i}",
        )

    posted, _ = revenue_events_ingest(rows=[sale(i, "posted") for i in range(21)], today=TODAY)
    refunds = [
        EventInput(
            stream=e.stream,
            creator_id=e.creator_id,
            occurred_on=dt.date(2025, 3, 30),
            gross="2.50",
            currency=e.currency,
            source_type="pending",
            source_id=f"{tag}-refund-{i}",
            kind="refund",
            refund_of_source_id=e.source_id,
        )
        for i, e in enumerate(posted[::3])
    ]
    rows = [*refunds, *(sale(i, "later") for i in range(90))]
    revenue_events_ingest(rows=rows, post=False, today=TODAY)
    return creators


def _books(creators: list, tag: str) -> dict:
    """Everything posting wrote for these creators, with ids replaced by the creator's
    place in the list (and the world's tag taken off the sources)."""
    place = {c.pk: i for i, c in enumerate(creators)}
    managers = {c.talent_manager_id: i for i, c in enumerate(creators)}
    subs = {c.sub_agency_id: i for i, c in enumerate(creators)}

    def source(value: str) -> str:
        return value.removeprefix(f"{tag}-")

    def party(account: Account) -> tuple:
        return (
            account.kind,
            account.currency,
            place.get(account.creator_id),
            managers.get(account.manager_id),
            subs.get(account.sub_agency_id),
        )

    def rates(used: dict) -> dict:  # the ids they name: the plan, a refunded split
        used = {**used, "terms": {**used["terms"], "plan_id": None}}
        if "reverses_split" in used:
            used["reverses_split"] = source(
                RevenueSplit.objects.get(pk=used["reverses_split"]).event.source_id
            )
        return used

    events = RevenueEvent.objects.filter(creator__in=creators)
    splits = {
        source(s.event.source_id): (
            place[s.event.creator_id],
            s.plan.stream,
            s.currency,
            s.gross_minor,
            s.fee_minor,
            s.agency_minor,
            s.manager_minor,
            s.sub_agency_minor,
            s.creator_minor,
            rates(s.rates),
        )
        for s in RevenueSplit.objects.filter(event__in=events).select_related("event", "plan")
    }
    by_event = {str(e.pk): source(e.source_id) for e in events}
    legs = sorted(
        (by_event[leg.transaction.source_id], party(leg.account), leg.amount_minor, leg.currency)
        for leg in LedgerLeg.objects.filter(
            transaction__source_type="revenue_event", transaction__source_id__in=list(by_event)
        ).select_related("transaction", "account")
    )
    lines = sorted(
        (
            source(line.event.source_id),
            line.statement.period,
            line.kind,
            line.gross_minor,
            line.agency_minor,
            line.net_minor,
            line.fx_rate,
        )
        for line in StatementLine.objects.filter(event__in=events).select_related(
            "event", "statement"
        )
    )
    parties = Account.objects.filter(creator__in=creators) | Account.objects.filter(
        manager_id__in=list(managers)
    )
    parties |= Account.objects.filter(sub_agency_id__in=list(subs))
    balances = sorted((party(a), a.balance_minor) for a in parties)
    totals = sorted(
        (place[t.creator_id], t.stream, t.month, t.currency, t.gross_scaled)
        for t in MonthToDate.objects.filter(creator__in=creators)
    )
    return {"splits": splits, "legs": legs, "lines": lines, "balances": balances, "mtd": totals}


def _agency_balances() -> dict:
    return {
        (a.kind, a.currency): a.balance_minor
        for a in Account.objects.filter(creator=None, manager=None, sub_agency=None)
    }


def _backends() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_two_connections_post_what_one_posts():
    _rates()
    one = _world("one")
    result_one = revenue_events_post_pending(creators_per_batch=2, connections=1)
    agency_after_one = _agency_balances()
    two = _world("two")
    pending_two = set(
        RevenueEvent.objects.filter(posted_at=None, creator__in=two).values_list("pk", flat=True)
    )
    backends = _backends()
    threads = threading.active_count()

    result_two = revenue_events_post_pending(creators_per_batch=2, connections=2)

    assert set(result_two.posted) == pending_two and not result_two.failures
    assert len(result_two.posted) == len(result_one.posted) == 90 + 7
    # In batch order: creator by creator, as one connection reports them.
    created = dict(RevenueEvent.objects.filter(creator__in=two).values_list("pk", "creator_id"))
    assert [created[pk] for pk in result_two.posted] == sorted(
        created[pk] for pk in result_two.posted
    )
    assert _books(two, "two") == _books(one, "one")
    agency_after_two = _agency_balances()
    assert {k: agency_after_two[k] - agency_after_one.get(k, 0) for k in agency_after_two} == {
        k: agency_after_one.get(k, 0) for k in agency_after_two
    }
    assert ledger_verify() == []
    assert threading.active_count() == threads  # the posting threads are gone
    assert _backends() == backends  # and their connections closed
    assert gc.isenabled()


@pytest.mark.django_db(transaction=True)
def test_a_failing_creator_is_reported_and_the_others_post_on_two_connections():
    _rates()
    creators = _world("w")
    bad = creators[3]
    gbp = RevenueEvent.objects.create(  # no GBP rate is stored: it cannot be posted
        stream="brand_deal",
        creator=bad,
        occurred_on=MARCH,
        gross_minor=1000,
        currency="GBP",
        source_type="pending",
        source_id="no-rate",
        locks_on=MARCH,
    )

    result = revenue_events_post_pending(creators_per_batch=2, connections=2)

    assert [f.event_id for f in result.failures] == [gbp.pk]
    left = RevenueEvent.objects.filter(posted_at=None)
    assert set(left.values_list("creator_id", flat=True)) == {bad.pk}
    assert set(result.posted) == set(
        RevenueEvent.objects.filter(posted_at__isnull=False)
        .exclude(source_id__startswith="w-posted-")
        .values_list("pk", flat=True)
    )
    assert ledger_verify() == []


@pytest.mark.django_db(transaction=True)
def test_an_error_in_a_batch_is_raised_once_the_batches_in_flight_are_done(monkeypatch):
    _rates()
    creators = _world("w")
    post = posting.revenue_events_post
    calls = []

    def second_batch_breaks(*, event_ids):
        calls.append(event_ids)
        if len(calls) == 2:
            raise RuntimeError("broken batch")
        return post(event_ids=event_ids)

    monkeypatch.setattr(posting, "revenue_events_post", second_batch_breaks)
    threads = threading.active_count()

    with pytest.raises(RuntimeError, match="broken batch"):
        revenue_events_post_pending(creators_per_batch=1, connections=2)

    assert threading.active_count() == threads
    assert gc.isenabled()
    # Every batch handed over was posted whole, but the broken one; none after the error.
    assert 2 <= len(calls) < CREATORS
    pending = RevenueEvent.objects.filter(posted_at=None)
    for ids in calls:
        posted = not pending.filter(pk__in=ids).exists()
        assert posted == (ids is not calls[1])
    untouched = creators[len(calls) :]  # read after the error, or not read
    assert pending.filter(creator__in=untouched).count() == (
        RevenueEvent.objects.filter(creator__in=untouched)
        .exclude(source_id__startswith="w-posted-")
        .count()
    )
    assert ledger_verify() == []


@pytest.mark.django_db(transaction=True)
def test_at_most_one_batch_per_connection_is_in_flight(monkeypatch):
    _rates()
    _world("w")
    post, pages = posting.revenue_events_post, posting._pending_batches
    lock = threading.Lock()
    now = {"read": 0, "posting": 0, "done": 0}
    most = {"posting": 0, "read ahead": 0}

    def counted_pages(*args):
        for ids in pages(*args):
            with lock:
                now["read"] += 1
                most["read ahead"] = max(most["read ahead"], now["read"] - now["done"])
            yield ids

    def slow_post(*, event_ids):
        assert structlog.contextvars.get_contextvars() == {"run": "pending"}  # log fields
        with lock:
            now["posting"] += 1
            most["posting"] = max(most["posting"], now["posting"])
        time.sleep(0.05)
        try:
            return post(event_ids=event_ids)
        finally:
            with lock:
                now["posting"] -= 1
                now["done"] += 1

    monkeypatch.setattr(posting, "_pending_batches", counted_pages)
    monkeypatch.setattr(posting, "revenue_events_post", slow_post)
    with structlog.contextvars.bound_contextvars(run="pending"):
        result = revenue_events_post_pending(creators_per_batch=1, connections=2)
    assert len(result.posted) == 90 + 7
    assert now["done"] == CREATORS
    assert most["posting"] == 2  # two batches posting at once, never more
    assert most["read ahead"] <= 3  # and at most the next page read meanwhile


@pytest.mark.django_db
def test_inside_a_transaction_the_batches_post_one_after_the_other_on_its_connection(
    monkeypatch,
):
    def no_threads(*args, **kwargs):
        raise AssertionError("posted on other connections inside a transaction")

    monkeypatch.setattr(posting, "_batches_post_at_once", no_threads)
    _rates()
    creators = _world("w")
    with transaction.atomic():
        result = revenue_events_post_pending(creators_per_batch=2, connections=2)
    assert len(result.posted) == 90 + 7 and not result.failures
    assert not RevenueEvent.objects.filter(creator__in=creators, posted_at=None).exists()
    assert ledger_verify() == []


def test_batches_on_several_threads_share_one_pause_of_the_garbage_collector():
    assert gc.isenabled()
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    seen = {}

    def first():
        with posting._gc_paused():
            first_in.set()
            second_in.wait(5)
        first_out.set()

    def second():
        first_in.wait(5)
        with posting._gc_paused():
            second_in.set()
            first_out.wait(5)
            seen["while the second runs"] = gc.isenabled()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert seen == {"while the second runs": False}
    assert gc.isenabled()
    gc.disable()
    try:
        with posting._gc_paused():
            pass
        assert not gc.isenabled()  # left as the caller had it
    finally:
        gc.enable()
