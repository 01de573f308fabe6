"""Statements: lines, closing, late refunds, advances, expenses, multi-currency, FX."""

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db import connection as conn

from agency.errors import Conflict
from billing.fx import MissingExchangeRate, convert_minor, rate_for
from billing.models import Account, RevenueEvent, RevenueSplit, Statement, StatementLine
from billing.services.events import EventInput, RowErrors, revenue_events_ingest
from billing.services.statements import statement_close
from billing.verification import ledger_verify
from tests.billing.conftest import TODAY
from tests.billing.helpers import balance, creator_on_plan
from tests.factories.billing import (
    CommissionPlanFactory,
    ExchangeRateFactory,
    advance_approved,
    expense_approved,
)

pytestmark = pytest.mark.django_db
MARCH, APRIL = dt.date(2025, 3, 1), dt.date(2025, 4, 1)


def test_tier_crossed_mid_event_through_the_service(ingest):
    """30 % up to 10,000 USD of the month's brand deals, 20 % above."""
    creator = creator_on_plan(rate="0.30", tiers=[("10000", "0.20")], streams=["brand_deal"])
    ingest(creator, gross="9000.00", on=dt.date(2025, 3, 3))
    second = ingest(creator, gross="3000.00", on=dt.date(2025, 3, 20))
    split = RevenueSplit.objects.get(event=second)
    # 1,000 at 30 % = 300 + 2,000 at 20 % = 400 -> 700.00 commission; 2,300.00 to the creator
    assert (split.agency_minor, split.creator_minor) == (70000, 230000)
    assert [p["rate"] for p in split.rates["portions"]] == ["0.3", "0.2"]
    # a new month starts at the first tier again
    april = ingest(creator, gross="1000.00", on=dt.date(2025, 4, 2))
    assert RevenueSplit.objects.get(event=april).agency_minor == 30000


def test_close_month_fixes_balances_and_is_idempotent(ingest):
    creator = creator_on_plan(rate="0.20", streams=["brand_deal"])
    ingest(creator, gross="1000.00", on=dt.date(2025, 3, 10))  # creator 800.00
    ingest(creator, gross="500.00", on=dt.date(2025, 3, 12))  # creator 400.00
    statement = statement_close(creator=creator, period=MARCH)
    assert (statement.opening_minor, statement.closing_minor) == (0, 120000)
    again = statement_close(creator=creator, period=MARCH)
    assert again.pk == statement.pk and again.closed_at == statement.closed_at
    april = statement_close(creator=creator, period=APRIL)
    assert (april.opening_minor, april.closing_minor) == (120000, 120000)


def test_refund_after_close_is_clawed_back_in_the_next_open_period(ingest):
    creator = creator_on_plan(rate="0.20", manager_share="0.25", streams=["brand_deal"])
    sale = ingest(creator, gross="1000.00", on=dt.date(2025, 3, 10))
    march = statement_close(creator=creator, period=MARCH)
    # A 25 % refund dated in March arrives after March closed.
    refund = ingest(creator, gross="250.00", kind="refund", refund_of=sale, on=dt.date(2025, 3, 20))
    split = RevenueSplit.objects.get(event=refund)
    # Reverses at the rates charged: 20 % commission (manager 25 % of it) on 250.00:
    # agency -37.50, manager -12.50, creator -200.00.
    assert (split.agency_minor, split.manager_minor, split.creator_minor) == (-3750, -1250, -20000)
    line = StatementLine.objects.get(event=refund)
    assert line.kind == StatementLine.Kind.CLAWBACK
    assert line.statement.period == APRIL
    march.refresh_from_db()
    assert march.closing_minor == 80000 and march.lines.count() == 1
    april = statement_close(creator=creator, period=APRIL)
    assert april.closing_minor == 60000
    assert balance(Account.Kind.CREATOR_PAYABLE, "USD", creator=creator) == 60000


def test_partial_refunds_never_exceed_the_original(ingest):
    creator = creator_on_plan(streams=["affiliate"])
    sale = ingest(creator, stream="affiliate", gross="100.00")
    ingest(creator, stream="affiliate", gross="60.00", kind="refund", refund_of=sale)
    with pytest.raises(RowErrors) as exc:
        ingest(creator, stream="affiliate", gross="40.01", kind="refund", refund_of=sale)
    assert "exceed" in str(exc.value.extra["rows"]["0"]["gross"])
    last = ingest(creator, stream="affiliate", gross="40.00", kind="chargeback", refund_of=sale)
    assert last.kind == "chargeback"
    assert balance(Account.Kind.CREATOR_PAYABLE, "USD", creator=creator) == 0


def test_closed_statement_is_immutable_in_the_database(ingest):
    creator = creator_on_plan(streams=["brand_deal"])
    event = ingest(creator, gross="10.00")
    statement = statement_close(creator=creator, period=MARCH)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
        cur.execute("UPDATE billing_statement SET closing_minor = 1 WHERE id = %s", [statement.pk])
    with pytest.raises(IntegrityError, match="is closed"), transaction.atomic():
        StatementLine.objects.create(
            statement=statement,
            kind="earning",
            event=event,
            description="planted",
            occurred_on=MARCH,
            original_currency="USD",
            net_minor=1,
        )
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
        cur.execute("DELETE FROM billing_statementline")


def test_months_close_in_order(ingest):
    creator = creator_on_plan(streams=["brand_deal"])
    ingest(creator, gross="10.00", on=dt.date(2025, 3, 5))
    ingest(creator, gross="10.00", on=dt.date(2025, 4, 5))
    with pytest.raises(Conflict):
        statement_close(creator=creator, period=APRIL)


def test_advance_recouped_over_two_months_within_the_cap(ingest):
    creator = creator_on_plan(rate="0.20", streams=["brand_deal"])
    advance_approved(
        creator=creator, amount_minor=100000, recoup_cap_rate="0.50", issued_on=dt.date(2025, 2, 1)
    )
    ingest(creator, gross="1000.00", on=dt.date(2025, 3, 10))  # earns 800.00
    march = statement_close(creator=creator, period=MARCH)
    recoup = march.lines.get(kind=StatementLine.Kind.RECOUPMENT)
    assert recoup.net_minor == -40000  # 50 % of 800.00; 600.00 still outstanding
    assert march.closing_minor == 40000
    ingest(creator, gross="2000.00", on=dt.date(2025, 4, 10))  # earns 1,600.00
    april = statement_close(creator=creator, period=APRIL)
    # cap is 800.00, only 600.00 is left to recoup
    assert april.lines.get(kind=StatementLine.Kind.RECOUPMENT).net_minor == -60000
    assert april.closing_minor == 40000 + 160000 - 60000
    assert balance(Account.Kind.ADVANCES, "USD", creator=creator) == 0


def test_recoupable_expense_is_deducted_at_close(ingest):
    creator = creator_on_plan(streams=["brand_deal"])
    ingest(creator, gross="100.00")  # creator 80.00
    expense_approved(
        creator=creator, amount_minor=2500, description="Studio", incurred_on=dt.date(2025, 3, 2)
    )
    march = statement_close(creator=creator, period=MARCH)
    assert march.lines.get(kind=StatementLine.Kind.EXPENSE).net_minor == -2500
    assert march.closing_minor == 5500
    assert balance(Account.Kind.CREATOR_PAYABLE, "USD", creator=creator) == 5500


def test_multi_currency_month_converts_each_line_once(ingest):
    creator = creator_on_plan(rate="0.20", streams=["brand_deal", "live_gifts"])
    ExchangeRateFactory(base="EUR", quote="USD", valid_on=dt.date(2025, 3, 7), rate="1.08")
    ExchangeRateFactory(base="USD", quote="JPY", valid_on=dt.date(2025, 3, 9), rate="150")
    eur = ingest(creator, gross="100.00", currency="EUR", on=dt.date(2025, 3, 8))
    jpy = ingest(
        creator, stream="live_gifts", gross="10001", currency="JPY", on=dt.date(2025, 3, 9)
    )
    # EUR: creator 80.00 EUR at 1.08 (rate of 7 March, latest on or before 8 March) = 86.40
    eur_line = StatementLine.objects.get(event=eur)
    assert (eur_line.original_net_minor, eur_line.fx_rate, eur_line.net_minor) == (
        8000,
        Decimal("1.08"),
        8640,
    )
    # JPY: 10,001 yen, 20 % -> 2,000.2: agency 2,000, creator 8,001 yen (largest remainder);
    # only USD/JPY is stored, so the inverse 1/150 = 0.0066666667 applies:
    # 8,001 * 0.0066666667 = 53.340000... USD -> 5,334 cents (rounded once, half-even).
    jpy_line = StatementLine.objects.get(event=jpy)
    assert jpy_line.original_net_minor == 8001
    assert jpy_line.fx_rate == Decimal("0.0066666667")
    assert jpy_line.net_minor == 5334
    march = statement_close(creator=creator, period=MARCH)
    assert march.currency == "USD" and march.closing_minor == 8640 + 5334
    assert balance(Account.Kind.CREATOR_PAYABLE, "USD", creator=creator) == 13974
    # the FX clearing accounts hold the other side in each currency
    assert balance(Account.Kind.FX_CLEARING, "EUR") == 8000
    assert balance(Account.Kind.FX_CLEARING, "JPY") == 8001
    assert balance(Account.Kind.FX_CLEARING, "USD") == -13974


def test_missing_fx_rate_is_a_clear_error_and_saves_nothing():
    creator = creator_on_plan(streams=["brand_deal"])
    ExchangeRateFactory(base="GBP", quote="USD", valid_on=dt.date(2025, 2, 1), rate="1.25")
    row = EventInput(
        stream="brand_deal",
        creator_id=creator.pk,
        occurred_on=dt.date(2025, 3, 10),  # the only rate is 37 days older: too old
        gross="100.00",
        currency="GBP",
        source_type="t",
        source_id="gbp-1",
    )
    with pytest.raises(RowErrors) as exc:
        revenue_events_ingest(rows=[row], today=TODAY)
    assert "No GBP/USD exchange rate" in exc.value.extra["rows"]["0"]["currency"][0]
    assert not RevenueEvent.objects.exists()
    with pytest.raises(MissingExchangeRate):
        rate_for(base="GBP", quote="USD", on=dt.date(2025, 3, 10))


def test_fx_conversion_rounds_half_even_between_exponents():
    # 1 cent of USD at 150 JPY = 1.5 yen -> 2 (half to even); 3 cents = 4.5 -> 4
    assert convert_minor(1, base="USD", quote="JPY", rate=Decimal("150")) == 2
    assert convert_minor(3, base="USD", quote="JPY", rate=Decimal("150")) == 4
    # 1 KWD fils at 3.25 USD = 0.325 cents -> 0
    assert convert_minor(1000, base="KWD", quote="USD", rate=Decimal("3.25")) == 325


def test_statement_lines_follow_the_statement_currency(ingest):
    creator = creator_on_plan(currency="EUR", streams=["creator_fund"])
    ingest(creator, stream="creator_fund", gross="12.34")
    assert Statement.objects.get(creator=creator).currency == "EUR"


@pytest.mark.django_db(transaction=True)
def test_closing_twice_at_once_closes_once(ingest):
    creator = creator_on_plan(streams=["brand_deal"])
    advance_approved(
        creator=creator, amount_minor=10000, recoup_cap_rate="0.5", issued_on=dt.date(2025, 2, 1)
    )
    ingest(creator, gross="100.00")
    barrier = threading.Barrier(2)
    results = []

    def close():
        try:
            barrier.wait()
            results.append(statement_close(creator=creator, period=MARCH).closing_minor)
        finally:
            conn.close()

    threads = [threading.Thread(target=close) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # 80.00 earned, 40.00 recouped exactly once
    assert results == [4000, 4000]
    assert StatementLine.objects.filter(kind="recoupment").count() == 1


def test_flat_plan_in_another_currency_needs_no_plan_rate(ingest):
    """A creator paid in USD on a EUR-priced flat plan: only the payout conversion applies."""
    creator = creator_on_plan(streams=["creator_fund"])
    CommissionPlanFactory(contract=creator.contracts.get(), currency="EUR", stream="brand_deal")
    event = ingest(creator, gross="100.00")
    split = RevenueSplit.objects.get(event=event)
    assert split.rates["gross_in_plan_currency"] is None
    assert split.creator_minor == 8000


@pytest.mark.django_db(transaction=True)
def test_posting_while_the_month_closes_lands_in_an_open_month(ingest):
    creator = creator_on_plan(streams=["brand_deal"])
    advance_approved(
        creator=creator, amount_minor=1000, recoup_cap_rate="0.5", issued_on=dt.date(2025, 2, 1)
    )
    ingest(creator, gross="100.00", on=dt.date(2025, 3, 3))
    barrier = threading.Barrier(2)
    errors = []

    def run(fn):
        try:
            barrier.wait()
            fn()
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            conn.close()

    threads = [
        threading.Thread(
            target=run, args=(lambda: statement_close(creator=creator, period=MARCH),)
        ),
        threading.Thread(
            target=run,
            args=(
                lambda: ingest(creator, gross="50.00", on=dt.date(2025, 3, 20), source_id="late"),
            ),
        ),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    late = StatementLine.objects.get(event__source_id="late")
    march = Statement.objects.get(creator=creator, period=MARCH)
    assert march.status == "closed"
    assert late.statement == march or late.statement.period == APRIL
    assert ledger_verify() == []
