"""The posting engine: the one path that posts revenue events, in batches.

Posting an event splits it (``billing.splits``), stores the split with the rates it used,
posts one balanced ledger transaction and adds the creator's statement line. The creator's
share is converted to the payout currency once, at the rate of the event's date
(``billing.fx``), through the FX clearing account.

A batch is any set of events; each creator's events are posted in the order given (callers
pass arrival order, or date order for an approved import), so the tier a sale falls in is
the same as when the events are posted one by one. Per batch, with a fixed number of
queries whatever its size:

1. lock the unposted events (primary-key order), then every creator's ``statement_close``
   advisory lock (key order): no month of these creators closes meanwhile, and two batches
   that share a creator queue instead of interleaving;
2. read once: the plans in force (``PlanBook``), the exchange rates (``fx.RateBook``), the
   latest closed month per creator, the month-to-date gross per creator x stream x month x
   plan currency (the stored ``MonthToDate`` rows; a running total inside the batch, added
   back with one upsert), the splits of the refunded originals and what was refunded of
   them before;
3. compute every split, leg and line in Python (the split engine is pure);
4. write with one statement per table: statements (missing ones, INSERT ... ON CONFLICT),
   then COPY of splits, ledger transactions (ids drawn from the sequence first), ledger legs
   and statement lines; mark the events posted with one UPDATE;
5. lock the touched balance rows in primary-key order and move them with one
   ``UPDATE ... FROM (VALUES ...)``, last, so the agency-wide rows (revenue, receivables, FX
   clearing) are held only while the batch commits, with one delta each per batch.

One bad event (no plan, no exchange rate, nothing to post) fails its creator: none of that
creator's events of the batch is posted, and the result names the event and the reason.
Other creators' events are posted.

Lock order, everywhere: event rows, creators' close locks, statement rows, balance rows.
"""

import contextvars
import datetime as dt
import gc
import queue
import threading
from collections import defaultdict
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from typing import NamedTuple

import structlog
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max, Sum
from django.utils import timezone

from agency.db import retry_on_contention
from agency.errors import ApplicationError, Conflict
from agency.months import month_start, next_month
from billing import bulk, fx, ledger
from billing.bulk import rows_copy
from billing.display import event_line_text
from billing.models import (
    Account,
    MonthToDate,
    RevenueEvent,
    RevenueSplit,
    Statement,
    StatementLine,
    Stream,
)
from billing.services.plans import PlanBook, plan_terms
from billing.services.statements import creators_close_lock, statements_ensure
from billing.splits import Legs, PlanTerms, split_event, split_refund

RECEIVABLE_BY_STREAM = {
    Stream.BRAND_DEAL: Account.Kind.BRAND_RECEIVABLE,
    Stream.AGENCY_SERVICE: Account.Kind.BRAND_RECEIVABLE,
}

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class PostingFailure:
    """An event that could not be posted; none of its creator's events of the batch were."""

    event_id: int
    source: str
    code: str
    message: str


@dataclass
class PostingResult:
    posted: list[int] = field(default_factory=list)  # event ids posted by this call
    failures: list[PostingFailure] = field(default_factory=list)

    def raise_for_failures(self) -> None:
        """For all-or-nothing callers: any failure becomes one error naming every event."""
        if self.failures:
            first = self.failures[0]
            raise PostingFailed(
                f"Event {first.source} could not be posted: {first.message}",
                extra={
                    "events": [
                        {
                            "event_id": f.event_id,
                            "source": f.source,
                            "code": f.code,
                            "message": f.message,
                        }
                        for f in self.failures
                    ]
                },
            )


class PostingFailed(ApplicationError):
    code = "posting_failed"


class _Creator(NamedTuple):
    """What posting needs of a creator (read with the events, no model instance)."""

    pk: int
    payout_currency: str
    talent_manager_id: int | None
    sub_agency_id: int | None


class _Event(NamedTuple):
    """What posting needs of a revenue event (a row, no model instance)."""

    pk: int
    creator_id: int
    stream: str
    kind: str
    occurred_on: dt.date
    gross_minor: int
    platform_fee_minor: int
    currency: str
    refund_of_id: int | None
    source_type: str
    source_id: str
    description: str
    creator: _Creator


EVENTS_LOCK_SQL = """
SELECT e.id, e.creator_id, e.stream, e.kind, e.occurred_on, e.gross_minor,
       e.platform_fee_minor, e.currency, e.refund_of_id, e.source_type, e.source_id,
       e.description, c.payout_currency, c.talent_manager_id, c.sub_agency_id
  FROM billing_revenueevent e
 CROSS JOIN LATERAL (  -- one index probe per event: "OFFSET 0" keeps the planner from
                       -- hashing every creator instead (a table scan per batch)
       SELECT payout_currency, talent_manager_id, sub_agency_id
         FROM creators_creator WHERE id = e.creator_id OFFSET 0) AS c
 WHERE e.id = ANY(%s::bigint[]) AND e.posted_at IS NULL
 ORDER BY e.id
   FOR UPDATE OF e
"""


def _events_lock(ids: list[int]) -> list[_Event]:
    """Lock the unposted events among ``ids`` (primary-key order) and read them with their
    creators as rows."""
    creators: dict[int, _Creator] = {}
    events = []
    for row in bulk.execute(EVENTS_LOCK_SQL, [ids]):
        creator = creators.get(row[1])
        if creator is None:
            creator = creators[row[1]] = _Creator(row[1], *row[12:])
        events.append(_Event(*row[:12], creator))
    return events


@dataclass
class _Planned:
    """One event's computed posting, before anything is written."""

    event: _Event
    split: "_Split"
    legs: dict[ledger.AccountKey, int]  # merged, non-zero
    accounts: list[ledger.AccountKey]  # every account named, a zero leg's too (opened)
    line: tuple  # the statement line's values from ``event_id`` on (``LINE_FIELDS``)
    month_delta: tuple | None = None  # (creator, stream, month, plan currency), scaled amount
    statement_period: dt.date | None = None


class _Batch:
    """What a batch reads once, and the running totals it carries from event to event."""

    def __init__(self, events: list[_Event]):
        self.creators = {e.creator_id: e.creator for e in events}
        days = [e.occurred_on for e in events]
        first, last = min(days), max(days)
        currencies = {e.currency for e in events} | {
            c.payout_currency for c in self.creators.values()
        }
        sales = [e for e in events if e.refund_of_id is None]
        self.plans = PlanBook(
            creator_ids=set(self.creators), streams={e.stream for e in sales}, last=last
        )
        self.rates = fx.RateBook(
            currencies=currencies | self.plans.currencies, first=first, last=last
        )
        # x MonthToDate.SCALE: exact integers (a delta that is not is refused below)
        self.month_to_date: dict[tuple, int] = defaultdict(int)
        self._terms: dict[tuple, PlanTerms] = {}
        if sales:
            self._month_to_date_read(
                month_start(min(e.occurred_on for e in sales)),
                next_month(max(e.occurred_on for e in sales)),
            )
        refunded_ids = {e.refund_of_id for e in events if e.refund_of_id}
        self.originals = {
            s.event_id: s for s in RevenueSplit.objects.filter(event_id__in=refunded_ids)
        }
        self.refunded: dict[int, int] = defaultdict(int)  # positive minor units
        for row in (
            RevenueSplit.objects.filter(event__refund_of_id__in=refunded_ids)
            .values("event__refund_of_id")
            .annotate(total=Sum("gross_minor"))
        ):
            self.refunded[row["event__refund_of_id"]] = -row["total"]

    def _month_to_date_read(self, first: dt.date, last: dt.date) -> None:
        """The stored totals of the batch's creators for the months it touches."""
        rows = MonthToDate.objects.filter(
            creator_id__in=list(self.creators), month__gte=first, month__lt=last
        ).values_list("creator_id", "stream", "month", "currency", "gross_scaled")
        for creator_id, stream, month, currency, scaled in rows:
            self.month_to_date[(creator_id, stream, month, currency)] = int(scaled)

    def plan(self, event: _Event) -> _Planned:
        """Split one event and build its legs and statement line (nothing is written)."""
        # Long on purpose: the engine's per-event step in one pass (split, FX, legs, line),
        # in the same order as the one-at-a-time reference the property test compares it to.
        creator = event.creator
        sale = event.refund_of_id is None
        month_delta = None
        if sale:
            split, month_delta = self._split_sale(event)
        else:
            split = self._split_refund(event)
        ccy, payout_ccy = event.currency, creator.payout_currency
        rate = self.rates.rate_for(base=ccy, quote=payout_ccy, on=event.occurred_on)
        creator_net = fx.convert_minor(split.creator_minor, base=ccy, quote=payout_ccy, rate=rate)
        # Legs as (account key, amount); the keys are distinct (one kind or currency each),
        # so nothing merges. An account is opened even where its leg is zero.
        net = split.gross_minor - split.fee_minor
        receivable = RECEIVABLE_BY_STREAM.get(event.stream, _PLATFORM_RECEIVABLE)
        legs = [
            ((receivable, ccy, None, None, None), -net),
            ((_AGENCY_REVENUE, ccy, None, None, None), split.agency_minor),
        ]
        if split.manager_minor:
            legs.append(
                ((_MANAGER_PAYABLE, ccy, None, split.manager_id, None), split.manager_minor)
            )
        if split.sub_agency_minor:
            legs.append(
                (
                    (_SUB_AGENCY_PAYABLE, ccy, None, None, split.sub_agency_id),
                    split.sub_agency_minor,
                )
            )
        payable = (_CREATOR_PAYABLE, payout_ccy, creator.pk, None, None)
        if ccy == payout_ccy:
            legs.append((payable, split.creator_minor))
        else:
            legs += [
                ((_FX_CLEARING, ccy, None, None, None), split.creator_minor),
                ((_FX_CLEARING, payout_ccy, None, None, None), -creator_net),
                (payable, creator_net),
            ]
        # (were two keys the same, a leg would be lost and the check below would refuse)
        merged = {account: amount for account, amount in legs if amount}
        ledger.legs_check(merged, _currency_of)
        is_sale = event.kind == _SALE
        line = (
            event.pk,
            _EARNING if is_sale else _CLAWBACK,
            event.description or _line_text(event.stream, event.occurred_on),
            event.occurred_on,
            ccy,
            split.gross_minor,
            split.fee_minor,
            split.agency_minor,
            split.manager_minor,
            split.sub_agency_minor,
            split.creator_minor,
            rate,
            creator_net,
        )
        return _Planned(
            event=event,
            split=split,
            legs=merged,
            accounts=[k for k, _ in legs],
            line=line,
            month_delta=month_delta if is_sale else None,
        )

    def _split_sale(self, event: _Event) -> tuple["_Split", tuple | None]:
        """The split, and what it adds to the stored month-to-date total (key, amount x
        ``MonthToDate.SCALE``), if it is measured in the plan's currency."""
        creator = event.creator
        plan = self.plans.plan_for(creator_id=creator.pk, stream=event.stream, on=event.occurred_on)
        terms_key = (plan.pk, creator.talent_manager_id is None, creator.sub_agency_id is None)
        terms = self._terms.get(terms_key)
        if terms is None:
            terms = self._terms[terms_key] = plan_terms(plan=plan, creator=creator)
        try:
            to_plan = self.rates.rate_for(
                base=event.currency, quote=terms.currency, on=event.occurred_on
            )
        except fx.MissingExchangeRate:
            if terms.tiers:
                raise  # tiers need the event measured in the plan's currency
            to_plan = None  # a flat rate needs no conversion
        total_key = (creator.pk, event.stream, month_start(event.occurred_on), terms.currency)
        scaled = self.month_to_date[total_key]
        result = split_event(
            gross_minor=event.gross_minor,
            fee_minor=event.platform_fee_minor,
            currency=event.currency,
            terms=terms,
            # a flat plan does not depend on the month so far (no tiers to cross)
            month_to_date=Fraction(scaled, MonthToDate.SCALE)
            if terms.tiers or scaled < 0
            else _ZERO,
            to_plan_rate=to_plan or _ONE,
        )
        rates = bulk.JsonText(result.snapshot_json(terms, to_plan_rate=to_plan))
        delta = None
        if to_plan is not None:
            num, den = result.gross_in_plan
            added, rest = divmod(num * MonthToDate.SCALE, den)
            if rest:
                raise ValueError("A month-to-date amount is not a decimal fraction.")
            self.month_to_date[total_key] += added
            delta = (total_key, added)
        split = self._split_row(
            event, plan, result.legs, rates, creator.talent_manager_id, creator.sub_agency_id
        )
        return split, delta

    def _split_refund(self, event: _Event) -> "_Split":
        original = self.originals.get(event.refund_of_id)
        if original is None:
            raise Conflict("The original event is not posted yet.")
        amount = -event.gross_minor
        legs = split_refund(
            original=Legs(
                original.fee_minor,
                original.agency_minor,
                original.manager_minor,
                original.sub_agency_minor,
                original.creator_minor,
            ),
            refunded_before=self.refunded[event.refund_of_id],
            amount=amount,
        )
        self.refunded[event.refund_of_id] += amount
        rates = {**original.rates, "reverses_split": original.pk}
        return self._split_row(
            event, original.plan_id, legs, rates, original.manager_id, original.sub_agency_id
        )

    @staticmethod
    def _split_row(event, plan, legs: Legs, rates, manager_id, sub_agency_id) -> "_Split":
        return _Split(
            event_id=event.pk,
            plan_id=getattr(plan, "pk", plan),
            currency=event.currency,
            gross_minor=event.gross_minor,
            fee_minor=legs.fee,
            agency_minor=legs.agency,
            manager_minor=legs.manager,
            sub_agency_minor=legs.sub_agency,
            creator_minor=legs.creator,
            manager_id=manager_id,
            sub_agency_id=sub_agency_id,
            rates=rates,
        )


class _Split(NamedTuple):
    """A ``RevenueSplit`` row to write; its fields are the COPY columns (plain values: no model
    instance per event)."""

    event_id: int
    plan_id: int | None
    currency: str
    gross_minor: int
    fee_minor: int
    agency_minor: int
    manager_minor: int
    sub_agency_minor: int
    creator_minor: int
    manager_id: int | None
    sub_agency_id: int | None
    rates: dict | bulk.JsonText


KIND_LABELS = dict(RevenueEvent.Kind.choices)
_ZERO = Fraction(0)
_ONE = Decimal(1)
_SALE = RevenueEvent.Kind.SALE.value
_EARNING = StatementLine.Kind.EARNING.value
_CLAWBACK = StatementLine.Kind.CLAWBACK.value
_PLATFORM_RECEIVABLE = Account.Kind.PLATFORM_RECEIVABLE.value
_AGENCY_REVENUE = Account.Kind.AGENCY_REVENUE.value
_MANAGER_PAYABLE = Account.Kind.MANAGER_PAYABLE.value
_SUB_AGENCY_PAYABLE = Account.Kind.SUB_AGENCY_PAYABLE.value
_CREATOR_PAYABLE = Account.Kind.CREATOR_PAYABLE.value
_FX_CLEARING = Account.Kind.FX_CLEARING.value


def _currency_of(key: ledger.AccountKey) -> str:
    return key[1]


@lru_cache(maxsize=4096)
def _line_text(stream: str, occurred_on: dt.date) -> str:
    """A line's text when its event has no description (``event_line_text``)."""
    return event_line_text(description="", stream=stream, occurred_on=occurred_on)


def _statements_lock(planned: list[_Planned], creators: dict) -> dict[tuple[int, dt.date], int]:
    """The open statement (id) of every line, created when missing, locked in primary-key
    order.

    A line lands in its month unless that month (or a later one) is closed for the creator;
    then in the month after the latest closed one (a late refund is clawed back there)."""
    latest_closed = dict(
        Statement.objects.filter(creator_id__in=creators, status=Statement.Status.CLOSED)
        .values("creator_id")
        .annotate(latest=Max("period"))
        .values_list("creator_id", "latest")
    )
    for p in planned:
        period = month_start(p.event.occurred_on)
        closed = latest_closed.get(p.event.creator_id)
        if closed is not None and period <= closed:
            period = next_month(closed)
        p.statement_period = period
    wanted = {(p.event.creator_id, p.statement_period) for p in planned}
    statements_ensure((c, period, creators[c].payout_currency) for c, period in wanted)
    rows = (
        Statement.objects.select_for_update()
        .filter(creator_id__in={c for c, _ in wanted}, period__in={p for _, p in wanted})
        .order_by("pk")
        .values_list("pk", "creator_id", "period", "status")
    )
    statements = {}
    for pk, creator_id, period, status in rows:
        if (creator_id, period) in wanted:
            if status != Statement.Status.OPEN:
                raise Conflict("The creator's statements are being closed; retry.")
            statements[(creator_id, period)] = pk
    return statements


SPLIT_FIELDS = [*_Split._fields, "created_at"]
LINE_AMOUNTS = [
    "gross_minor", "fee_minor", "agency_minor", "manager_minor", "sub_agency_minor",
    "original_net_minor", "fx_rate", "net_minor",
]  # fmt: skip
LINE_FIELDS = [
    "statement_id", "transaction_id", "event_id", "kind", "description", "occurred_on",
    "original_currency", *LINE_AMOUNTS, "created_at",
]  # fmt: skip


def _write(planned: list[_Planned], creators: dict) -> None:
    statements = _statements_lock(planned, creators)
    now = timezone.now()
    rows_copy(
        RevenueSplit,
        SPLIT_FIELDS,
        ((*p.split, now) for p in planned),
    )
    accounts = ledger.accounts_resolve(k for p in planned for k in p.accounts)
    postings = [
        ledger.Posting(
            source_type="revenue_event",
            source_id=str(p.event.pk),
            effective_on=p.event.occurred_on,
            amounts={accounts[k]: amount for k, amount in p.legs.items()},
            currencies={accounts[k]: k[1] for k in p.legs},
            memo=(
                f"{KIND_LABELS.get(p.event.kind, p.event.kind)} {p.event.stream} "
                f"{p.event.source_type}:{p.event.source_id}"
            ),
        )
        for p in planned
    ]
    txns, deltas = ledger.transactions_insert(postings)
    rows_copy(
        StatementLine,
        LINE_FIELDS,
        (
            (statements[(p.event.creator_id, p.statement_period)], txn_id, *p.line, now)
            for p, txn_id in zip(planned, txns, strict=True)
        ),
    )
    ids = [p.event.pk for p in planned]
    bulk.execute(  # "= ANY": the events are found by index, not by joining the whole table
        "UPDATE billing_revenueevent AS e SET posted_at = %s, platform_fee_minor = v.fee "
        "FROM unnest(%s::bigint[], %s::bigint[]) AS v(id, fee)"
        " WHERE e.id = v.id AND e.id = ANY(%s::bigint[])",
        [now, ids, [p.split.fee_minor for p in planned], ids],
    )
    _month_to_date_add(planned)
    ledger.balances_apply(deltas)


def _month_to_date_add(planned: list[_Planned]) -> None:
    """Add the batch's sales to the stored month-to-date totals: one upsert."""
    totals: dict[tuple, int] = defaultdict(int)
    for p in planned:
        if p.month_delta is not None:
            totals[p.month_delta[0]] += p.month_delta[1]
    if not totals:
        return
    rows = sorted(totals.items())
    bulk.execute(
        "INSERT INTO billing_monthtodate (creator_id, stream, month, currency, gross_scaled)"
        " SELECT * FROM unnest(%s::bigint[], %s::text[], %s::date[], %s::text[],"
        " %s::numeric[]) ON CONFLICT (creator_id, stream, month, currency) DO UPDATE"
        " SET gross_scaled = billing_monthtodate.gross_scaled + EXCLUDED.gross_scaled",
        [[key[i] for key, _ in rows] for i in range(4)] + [[a for _, a in rows]],
    )


_gc_pause_lock = threading.Lock()
_gc_pause = {"batches": 0, "was_enabled": False}  # batches posting now, on any thread


@contextmanager
def _gc_paused():
    """Python's cyclic garbage collector off while a batch is posted. A batch allocates
    hundreds of thousands of short-lived objects (rows, splits, legs), freed by reference
    counting; the collections they trigger would scan every long-lived object of the process
    again and again (measured: a quarter of a batch's Python time). Back on afterwards, so
    any cycle a batch leaves is collected then. The collector is one per process: batches
    posted at once on several threads share one pause (a count under a lock), from the first
    one's start to the last one's end."""
    with _gc_pause_lock:
        if _gc_pause["batches"] == 0:
            _gc_pause["was_enabled"] = gc.isenabled()
            gc.disable()
        _gc_pause["batches"] += 1
    try:
        yield
    finally:
        with _gc_pause_lock:
            _gc_pause["batches"] -= 1
            if _gc_pause["batches"] == 0 and _gc_pause["was_enabled"]:
                gc.enable()


@_gc_paused()
@retry_on_contention
@transaction.atomic
def revenue_events_post(*, event_ids: Sequence[int]) -> PostingResult:
    """Post a batch of events (ids, in posting order per creator). Events posted already are
    skipped, so posting twice changes nothing. Returns what was posted and what failed."""
    order = {pk: i for i, pk in enumerate(dict.fromkeys(event_ids))}
    events = _events_lock(list(order))
    if not events:
        return PostingResult()
    events.sort(key=lambda e: order[e.pk])
    creators_close_lock({e.creator_id for e in events})
    batch = _Batch(events)
    planned: list[_Planned] = []
    failed: dict[int, PostingFailure] = {}
    for event in events:
        if event.creator_id in failed:
            continue
        try:
            planned.append(batch.plan(event))
        except (ApplicationError, ValueError) as exc:
            failed[event.creator_id] = PostingFailure(
                event_id=event.pk,
                source=f"{event.source_type}:{event.source_id}",
                code=getattr(exc, "code", "invalid"),
                message=getattr(exc, "message", str(exc)),
            )
    planned = [p for p in planned if p.event.creator_id not in failed]
    if planned:
        _write(planned, batch.creators)
    log.info("revenue_events_posted", posted=len(planned), failed=len(failed))
    return PostingResult(posted=[p.event.pk for p in planned], failures=list(failed.values()))


CREATORS_PER_BATCH = 100


def revenue_events_post_pending(
    *,
    partition: int = 0,
    partitions: int = 1,
    creators_per_batch: int = CREATORS_PER_BATCH,
    connections: int | None = None,
) -> PostingResult:
    """Post every unposted event that is not waiting for an import's approval, for the
    creators with ``creator_id % partitions == partition``: batches of whole creators (each
    creator's events in date order), one database transaction each, reading creators page
    by page so memory stays flat. Workers given different partitions never share a creator.

    ``connections`` (default ``BILLING_POSTING_CONNECTIONS``) batches are posted at once,
    each on its own thread and database connection, so one batch's Python work overlaps
    another's wait on PostgreSQL; batches never share a creator, so they do not conflict.
    Called inside an open transaction, or with one connection, the batches are posted one
    after the other on the caller's connection. Results are merged in batch order.
    """
    if connections is None:
        connections = settings.BILLING_POSTING_CONNECTIONS
    batches = _pending_batches(partition, partitions, creators_per_batch)
    if connections > 1 and not connection.in_atomic_block:
        return _batches_post_at_once(batches, connections)
    total = PostingResult()
    for ids in batches:
        _result_add(total, revenue_events_post(event_ids=ids))
    return total


PENDING_PAGE_SQL = """
SELECT creator_id, id FROM billing_revenueevent
 WHERE creator_id = ANY(ARRAY(
       SELECT DISTINCT creator_id FROM billing_revenueevent
        WHERE creator_id > %(after)s AND creator_id %% %(partitions)s = %(partition)s
          AND posted_at IS NULL AND import_batch_id IS NULL
        ORDER BY creator_id LIMIT %(creators)s))
   AND posted_at IS NULL AND import_batch_id IS NULL
 ORDER BY creator_id, occurred_on, id
"""


def _pending_page(
    *, after: int, partition: int, partitions: int, creators: int
) -> tuple[int, list[int]]:
    """The next ``creators`` creators after ``after`` in the partition that have events to
    post, with those events (ids, each creator's in date order): one statement. Returns the
    last creator id and the event ids (none: nothing left)."""
    rows = bulk.execute(
        PENDING_PAGE_SQL,
        {"after": after, "partition": partition, "partitions": partitions, "creators": creators},
    )
    return (rows[-1][0] if rows else after), [event_id for _, event_id in rows]


def _pending_batches(partition: int, partitions: int, creators: int) -> Iterator[list[int]]:
    """The event ids of each page of pending creators (``_pending_page``), read on the
    caller's connection when the next page is wanted."""
    after = 0
    while True:
        after, ids = _pending_page(
            after=after, partition=partition, partitions=partitions, creators=creators
        )
        if not ids:
            return
        yield ids


def _result_add(total: PostingResult, result: PostingResult) -> None:
    total.posted += result.posted
    total.failures += result.failures


def _batches_post_at_once(batches: Iterator[list[int]], connections: int) -> PostingResult:
    """Post ``batches`` on ``connections`` threads, each with its own database connection
    (closed when the thread ends). The next page is read while the threads post, and a page
    is handed over only when a thread is free: at most ``connections`` batches in flight.
    A batch that raises stops the handing out; the batches in flight finish (each is its own
    transaction), then the first error, in batch order, goes to the caller."""
    jobs: queue.SimpleQueue[tuple[list[int], Future] | None] = queue.SimpleQueue()

    def work() -> None:
        try:
            while (job := jobs.get()) is not None:
                ids, future = job
                if future.set_running_or_notify_cancel():
                    try:
                        future.set_result(revenue_events_post(event_ids=ids))
                    except BaseException as exc:
                        future.set_exception(exc)
        finally:
            connection.close()  # this thread's own connection

    threads = [  # each with a copy of the caller's context: its log fields (structlog)
        threading.Thread(target=contextvars.copy_context().run, args=(work,), name=f"posting-{i}")
        for i in range(connections)
    ]
    for thread in threads:
        thread.start()
    total = PostingResult()
    in_flight: list[Future] = []  # batch order, from the oldest not yet merged
    try:
        for ids in batches:
            while len(running := [f for f in in_flight if not f.done()]) >= connections:
                wait(running, return_when=FIRST_COMPLETED)
            while in_flight and in_flight[0].done() and in_flight[0].exception() is None:
                _result_add(total, in_flight.pop(0).result())
            if any(f.done() and f.exception() is not None for f in in_flight):
                break
            future: Future = Future()
            in_flight.append(future)
            jobs.put((ids, future))
    finally:
        for _ in threads:
            jobs.put(None)  # after every batch handed over: each one is posted
        for thread in threads:
            thread.join()
    for future in in_flight:
        _result_add(total, future.result())  # the first error, in batch order, is raised
    return total
