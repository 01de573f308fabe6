"""The batch posting engine against the one-event-at-a-time reference (property test).

For random event streams over several creators, streams, currencies, tier plans, partial
refunds (before and after a month closed) and out-of-order arrival within a month, the
product's posting paths (API-style ingestion and approved CSV imports) must leave exactly
the splits, ledger legs, statement lines, statements and balances that posting each event
on its own with ``tests.billing.reference_posting`` leaves. Both runs happen on the same
creators, plans and rates, each inside a savepoint that is rolled back afterwards.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from agency.errors import ApplicationError
from billing.models import (
    Account,
    ImportBatch,
    LedgerLeg,
    MonthToDate,
    RevenueEvent,
    RevenueSplit,
    Statement,
    StatementLine,
)
from billing.services.events import (
    EventInput,
    import_batch_approve,
    revenue_events_import,
    revenue_events_ingest,
)
from billing.services.posting import PostingFailed
from billing.services.statements import statement_close
from billing.verification import ledger_verify
from tests.billing.conftest import TODAY
from tests.billing.helpers import creator_on_plan
from tests.billing.reference_posting import reference_event_post
from tests.factories.agency import StaffUserFactory
from tests.factories.billing import ExchangeRateFactory

CURRENCIES = ["USD", "EUR", "JPY"]
STREAMS = ["live_gifts", "brand_deal"]
MONTHS = [dt.date(2025, 3, 1), dt.date(2025, 4, 1)]


class Rollback(Exception):
    """Raised to undo one run; carries the snapshot out of the savepoint."""

    def __init__(self, snapshot):
        self.snapshot = snapshot


sale = st.tuples(
    st.integers(0, 2),  # creator
    st.sampled_from(STREAMS),
    st.sampled_from(CURRENCIES),
    st.integers(0, 1),  # month
    st.integers(1, 28),  # day
    st.integers(1, 400_000),  # gross (minor units)
    st.integers(0, 30),  # fee, percent of gross
)
refund = st.tuples(st.integers(0, 10_000), st.integers(1, 100))  # which earlier sale, percent
step = st.one_of(
    st.tuples(
        st.just("ingest"),
        st.booleans(),  # through a CSV import (posted in date order) instead of the API path
        st.lists(sale, min_size=1, max_size=8),
        st.lists(refund, max_size=3),
    ),
    st.tuples(st.just("close"), st.integers(0, 2)),
)


def _amount(minor: int, currency: str) -> str:
    return str(Decimal(minor).scaleb(0 if currency == "JPY" else -2))


def _rows(n, creators, sales, refunds, history):
    """EventInputs for one step: its sales, then refunds of sales posted in earlier steps."""
    rows = []
    for i, (c, stream, ccy, month, day, gross, fee_pct) in enumerate(sales):
        rows.append(
            EventInput(
                stream=stream,
                creator_id=creators[c].pk,
                occurred_on=MONTHS[month].replace(day=day),
                gross=_amount(gross, ccy),
                platform_fee=_amount(gross * fee_pct // 100, ccy),
                currency=ccy,
                source_type="prop",
                source_id=f"s{n}-{i}",
            )
        )
    refunded: dict[str, int] = {}
    for j, (which, pct) in enumerate(refunds):
        if not history:
            break
        original = history[which % len(history)]
        left = -original["gross"] - refunded.get(original["source_id"], 0)
        amount = min(left, max(1, original["gross"] * pct // 100))
        if amount <= 0:
            continue
        refunded[original["source_id"]] = refunded.get(original["source_id"], 0) + amount
        rows.append(
            EventInput(
                stream=original["stream"],
                creator_id=original["creator_id"],
                occurred_on=dt.date(2025, 4, 28),
                gross=_amount(amount, original["currency"]),
                currency=original["currency"],
                source_type="prop",
                source_id=f"r{n}-{j}",
                kind="refund",
                refund_of_source_id=original["source_id"],
            )
        )
    return rows


def _history():
    """Posted sales with what is left to refund (negative: minor units left)."""
    out = []
    for e in RevenueEvent.objects.filter(kind="sale", posted_at__isnull=False).order_by("pk"):
        done = sum(r.gross_minor for r in e.refunds.all())
        out.append(
            {
                "source_id": e.source_id,
                "stream": e.stream,
                "creator_id": e.creator_id,
                "currency": e.currency,
                "gross": -(e.gross_minor + done),
            }
        )
    return out


def _account_key(account: Account) -> tuple:
    return (
        account.kind,
        account.currency,
        account.creator_id,
        account.manager_id,
        account.sub_agency_id,
    )


def _snapshot() -> dict:
    by_event = {e.pk: e.source_id for e in RevenueEvent.objects.all()}
    split_source = {s.pk: by_event[s.event_id] for s in RevenueSplit.objects.all()}
    splits = {}
    for s in RevenueSplit.objects.all():
        rates = dict(s.rates)
        if "reverses_split" in rates:
            rates["reverses_split"] = split_source[rates["reverses_split"]]
        splits[by_event[s.event_id]] = (
            s.plan_id,
            s.currency,
            s.gross_minor,
            s.fee_minor,
            s.agency_minor,
            s.manager_minor,
            s.sub_agency_minor,
            s.creator_minor,
            s.manager_id,
            s.sub_agency_id,
            rates,
        )
    legs: dict[tuple, list] = {}
    for leg in LedgerLeg.objects.select_related("transaction", "account"):
        txn = leg.transaction
        source = txn.source_id
        if txn.source_type == "revenue_event":
            source = by_event[int(txn.source_id)]
        key = (txn.source_type, source, txn.effective_on, txn.memo)
        legs.setdefault(key, []).append((_account_key(leg.account), leg.amount_minor, leg.currency))
    legs = {k: sorted(v) for k, v in legs.items()}
    lines = sorted(
        (
            line.statement.creator_id,
            line.statement.period,
            line.kind,
            by_event.get(line.event_id),
            line.description,
            line.occurred_on,
            line.original_currency,
            line.gross_minor,
            line.fee_minor,
            line.agency_minor,
            line.manager_minor,
            line.sub_agency_minor,
            line.original_net_minor,
            line.fx_rate,
            line.net_minor,
        )
        for line in StatementLine.objects.select_related("statement")
    )
    statements = sorted(
        (s.creator_id, s.period, s.status, s.currency, s.opening_minor, s.closing_minor)
        for s in Statement.objects.all()
    )
    events = sorted(
        (e.source_id, e.status, e.locks_on, e.gross_minor, e.platform_fee_minor, bool(e.posted_at))
        for e in RevenueEvent.objects.all()
    )
    balances = sorted((_account_key(a), a.balance_minor) for a in Account.objects.all())
    month_to_date = sorted(
        MonthToDate.objects.values_list("creator_id", "stream", "month", "currency", "gross_scaled")
    )
    return {
        "month_to_date": month_to_date,
        "splits": splits,
        "legs": legs,
        "lines": lines,
        "statements": statements,
        "events": events,
        "balances": balances,
    }


def _step(n, spec, creators, approver, *, reference: bool) -> None:
    if spec[0] == "close":
        statement_close(creator=creators[spec[1]], period=MONTHS[0])
        return
    _, via_import, sales, refunds = spec
    rows = _rows(n, creators, sales, refunds, _history())
    if via_import:
        batch, _, _ = revenue_events_import(rows=rows, filename=f"f{n}.csv")
        if reference:
            for event in batch.events.order_by("occurred_on", "pk"):
                reference_event_post(event=event)
            ImportBatch.objects.filter(pk=batch.pk).update(status="approved", approved_by=approver)
        else:
            import_batch_approve(batch=batch, approved_by=approver)
    elif reference:
        created, _ = revenue_events_ingest(rows=rows, post=False, today=TODAY)
        for event in created:
            reference_event_post(event=event)
    else:
        revenue_events_ingest(rows=rows, today=TODAY)


def _run(scenario, creators, approver, *, reference: bool) -> dict:
    """Play the scenario; a step that fails is undone whole, and its error code recorded
    (a posting failure reports the code of the event that failed)."""
    failures = []
    try:
        with transaction.atomic():
            for n, spec in enumerate(scenario):
                try:
                    with transaction.atomic():
                        _step(n, spec, creators, approver, reference=reference)
                except ApplicationError as exc:
                    events = exc.extra.get("events") if isinstance(exc, PostingFailed) else None
                    failures.append((n, events[0]["code"] if events else exc.code))
            assert ledger_verify() == []
            raise Rollback({**_snapshot(), "failures": failures})
    except Rollback as done:
        return done.snapshot


@pytest.mark.django_db
def test_the_batch_engine_posts_what_one_event_at_a_time_posts():
    tiers = [("500", "0.15"), ("2000", "0.05")]
    creators = [
        creator_on_plan(currency="USD", rate="0.30", manager_share="0.2", tiers=tiers),
        creator_on_plan(currency="EUR", rate="0.25", sub_agency_share="0.1", basis="net"),
        creator_on_plan(
            currency="JPY", rate="0.2", manager_share="0.1", sub_agency_share="0.3", tiers=tiers
        ),
    ]
    for day in range(0, 100, 3):
        on = dt.date(2025, 2, 26) + dt.timedelta(days=day)
        ExchangeRateFactory(base="EUR", quote="USD", valid_on=on, rate=Decimal("1.0812"))
        ExchangeRateFactory(base="USD", quote="JPY", valid_on=on, rate=Decimal("151.37"))
        ExchangeRateFactory(base="EUR", quote="JPY", valid_on=on, rate=Decimal("163.6543"))
    approver = StaffUserFactory()

    @settings(
        max_examples=20,
        phases=[Phase.explicit, Phase.reuse, Phase.generate],  # shrinking a DB run is slow
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(st.lists(step, min_size=1, max_size=5))
    def check(scenario):
        expected = _run(scenario, creators, approver, reference=True)
        actual = _run(scenario, creators, approver, reference=False)
        assert actual == expected

    check()
