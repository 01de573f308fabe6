"""Closing a month for many creators at once: set-based, same money as one at a time."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing.models import Account, Statement, StatementLine
from billing.services.statements import (
    statement_close,
    statements_close_due,
    statements_close_month,
)
from billing.verification import ledger_verify
from tests.billing.helpers import balance, creator_on_plan
from tests.factories.billing import advance_approved, expense_approved

pytestmark = pytest.mark.django_db
MARCH = dt.date(2025, 3, 1)


def _month(ingest, count: int, prefix: str) -> list:
    """``count`` creators with March earnings; every other one has an advance (cap 25 %)
    and an expense."""
    creators = []
    for i in range(count):
        creator = creator_on_plan(rate="0.20", streams=["brand_deal"])
        ingest(creator, gross="1000.00", on=dt.date(2025, 3, 10), source_id=f"{prefix}-{i}")
        if i % 2:
            advance_approved(
                creator=creator, amount_minor=30000, recoup_cap_rate="0.25", issued_on=MARCH
            )
            expense_approved(
                creator=creator, amount_minor=5000, description="Edit", incurred_on=MARCH
            )
        creators.append(creator)
    return creators


def _queries_to_close(ingest, count: int) -> int:
    creators = _month(ingest, count, f"c{count}")
    with CaptureQueriesContext(connection) as ctx:
        assert statements_close_month(period=MARCH) == count
    assert not Statement.objects.filter(creator__in=creators, status="open").exists()
    return len(ctx.captured_queries)


def test_closing_a_month_takes_the_same_queries_for_3_or_30_creators(ingest):
    few = _queries_to_close(ingest, 3)
    Statement.objects.filter(status="open").delete()  # nothing left to close but the next set
    assert _queries_to_close(ingest, 30) == few
    assert ledger_verify() == []


def test_a_month_closed_together_keeps_each_creators_money(ingest):
    plain, with_advance = _month(ingest, 2, "m")
    assert statements_close_due(today=dt.date(2025, 4, 2)) == 2
    # 1000.00 at 20 %: 800.00 earned. Advance 300.00, cap 25 % of 800 = 200; expense 50.
    owed = Statement.objects.get(creator=with_advance, period=MARCH)
    assert sorted(owed.lines.values_list("kind", "net_minor")) == [
        (StatementLine.Kind.EARNING, 80000),
        (StatementLine.Kind.EXPENSE, -5000),
        (StatementLine.Kind.RECOUPMENT, -20000),
    ]
    assert (owed.opening_minor, owed.closing_minor) == (0, 55000)
    assert balance(Account.Kind.CREATOR_PAYABLE, "USD", creator=with_advance) == 55000
    # owed to the agency: advance 300 + expense 50, less 50 deducted and 200 recouped
    assert balance(Account.Kind.ADVANCES, "USD", creator=with_advance) == -(30000 + 5000 - 25000)
    clean = Statement.objects.get(creator=plain, period=MARCH)
    assert (clean.closing_minor, clean.lines.count()) == (80000, 1)
    assert not Account.objects.filter(kind=Account.Kind.ADVANCES, creator=plain).exists()
    assert statements_close_due(today=dt.date(2025, 4, 2)) == 0  # twice: nothing more
    assert ledger_verify() == []


APRIL = dt.date(2025, 4, 1)


def test_chunks_skip_creators_with_an_earlier_open_month_and_carry_openings(ingest):
    """Two creators per chunk: a creator whose February is still open keeps March and April
    open (not counted); the others' April opens at their March closing."""
    creators = [creator_on_plan(rate="0.20", streams=["brand_deal"]) for _ in range(5)]
    late = creators[2]
    ingest(late, gross="100.00", on=dt.date(2025, 2, 10))
    for i, creator in enumerate(creators):
        ingest(creator, gross=f"{100 * (i + 1)}.00", on=dt.date(2025, 3, 10))
        ingest(creator, gross="50.00", on=dt.date(2025, 4, 10))
    assert statements_close_month(period=MARCH, chunk=2) == 4
    assert statements_close_month(period=APRIL, chunk=2) == 4
    assert statements_close_month(period=APRIL, chunk=2) == 0  # nothing more

    assert set(Statement.objects.filter(creator=late).values_list("period", "status")) == {
        (dt.date(2025, 2, 1), "open"),
        (MARCH, "open"),
        (APRIL, "open"),
    }
    for i, creator in enumerate(creators):
        if creator == late:
            continue
        march = Statement.objects.get(creator=creator, period=MARCH)
        april = Statement.objects.get(creator=creator, period=APRIL)
        assert (march.opening_minor, march.closing_minor) == (0, 8000 * (i + 1))
        assert (april.opening_minor, april.closing_minor) == (
            march.closing_minor,
            march.closing_minor + 4000,
        )
    assert ledger_verify() == []


def test_a_creator_without_a_statement_for_the_month_gets_one_closed(ingest):
    """statement_close on a month with no line: the statement is created, locked and closed
    at the previous month's closing."""
    creator = creator_on_plan(rate="0.20", streams=["brand_deal"])
    ingest(creator, gross="100.00", on=dt.date(2025, 3, 10))
    assert statements_close_month(period=MARCH) == 1
    april = statement_close(creator=creator, period=APRIL)
    assert (april.status, april.opening_minor, april.closing_minor) == ("closed", 8000, 8000)
    assert april.lines.count() == 0
    assert statement_close(creator=creator, period=APRIL) == april  # closed: unchanged
    assert ledger_verify() == []
