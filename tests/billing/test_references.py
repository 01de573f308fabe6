"""References of the rows a posting writes (splits, statement lines, a reversal's original)
are checked once per INSERT statement instead of by foreign keys: raw SQL cannot name a
parent that does not exist, and a parent they name cannot be deleted (billing/README.md,
"Posting engine")."""

import psycopg
import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError

from billing.models import (
    CommissionPlan,
    LedgerTransaction,
    RevenueEvent,
    RevenueSplit,
    Statement,
    StatementLine,
)
from tests.billing.helpers import creator_on_plan
from tests.factories.billing import CommissionPlanFactory

MISSING = 10**9


def _clone(table: str, pk: int, **changes) -> int:
    """Insert a copy of row ``pk`` of ``table`` with ``changes``, by raw SQL; its new id."""
    with connection.cursor() as cur:
        cols = [
            c.name
            for c in connection.introspection.get_table_description(cur, table)
            if c.name != "id"
        ]
        select = ", ".join("%s" if c in changes else c for c in cols)
        cur.execute(
            f"INSERT INTO {table} ({', '.join(cols)}) SELECT {select} FROM {table}"
            " WHERE id = %s RETURNING id",
            [*(changes[c] for c in cols if c in changes), pk],
        )
        return cur.fetchone()[0]


def _delete(table: str, pk: int) -> None:
    with connection.cursor() as cur:
        cur.execute(f"DELETE FROM {table} WHERE id = %s", [pk])


@pytest.fixture
def posted(ingest):
    """A posted event (with its split, ledger transaction, statement line and open statement)
    and an unposted copy of it."""
    event = ingest(creator_on_plan())
    unposted = RevenueEvent.objects.get(
        pk=_clone("billing_revenueevent", event.pk, source_id="unposted", posted_at=None)
    )
    return event, unposted


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("column", "what"), [("event_id", "names event"), ("plan_id", "names commission plan")]
)
def test_raw_sql_cannot_insert_a_split_naming_a_missing_parent(posted, column, what):
    event, unposted = posted
    changes = {"event_id": unposted.pk, column: MISSING}
    with (
        pytest.raises(IntegrityError, match=f"{what} {MISSING}, which does not exist"),
        transaction.atomic(),
    ):
        _clone("billing_revenuesplit", event.split.pk, **changes)
    _clone("billing_revenuesplit", event.split.pk, event_id=unposted.pk)  # the same, valid


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("column", "what"),
    [
        ("statement_id", "names statement"),
        ("transaction_id", "names ledger transaction"),
        ("event_id", "names event"),
    ],
)
def test_raw_sql_cannot_insert_a_statement_line_naming_a_missing_parent(posted, column, what):
    event, _unposted = posted
    line = StatementLine.objects.get(event=event)
    with (
        pytest.raises(IntegrityError, match=f"{what} {MISSING}, which does not exist"),
        transaction.atomic(),
    ):
        _clone("billing_statementline", line.pk, **{column: MISSING})
    _clone("billing_statementline", line.pk)  # the same, valid


@pytest.mark.django_db
def test_raw_sql_cannot_reverse_a_missing_ledger_transaction():
    with (
        pytest.raises(IntegrityError, match=f"reverses transaction {MISSING}, which does not"),
        transaction.atomic(),
        connection.cursor() as cur,
    ):
        cur.execute(
            "INSERT INTO billing_ledgertransaction (source_type, source_id, memo,"
            " effective_on, posted_at, reverses_id) VALUES ('raw', '1', '', now(), now(), %s)",
            [MISSING],
        )
    assert not LedgerTransaction.objects.filter(source_type="raw").exists()


@pytest.mark.django_db
def test_an_unposted_event_named_by_a_split_or_line_cannot_be_deleted_even_by_raw_sql(posted):
    event, unposted = posted
    line = StatementLine.objects.get(event=event)
    named_by_line = RevenueEvent.objects.get(
        pk=_clone("billing_revenueevent", event.pk, source_id="by-line", posted_at=None)
    )
    free = _clone("billing_revenueevent", event.pk, source_id="free", posted_at=None)
    _clone("billing_revenuesplit", event.split.pk, event_id=unposted.pk)
    _clone("billing_statementline", line.pk, event_id=named_by_line.pk)
    for named in (unposted, named_by_line):
        with (
            pytest.raises(IntegrityError, match="is referenced and cannot be deleted"),
            transaction.atomic(),
        ):
            _delete("billing_revenueevent", named.pk)
        with pytest.raises(ProtectedError), transaction.atomic():
            named.delete()  # the ORM's on_delete=PROTECT is unchanged
    _delete("billing_revenueevent", free)  # an event nothing names goes
    assert not RevenueEvent.objects.filter(pk=free).exists()


@pytest.mark.django_db
def test_an_open_statement_with_lines_cannot_be_deleted_even_by_raw_sql(posted):
    event, _unposted = posted
    statement = StatementLine.objects.get(event=event).statement
    assert statement.status == Statement.Status.OPEN
    with (
        pytest.raises(IntegrityError, match="is referenced and cannot be deleted"),
        transaction.atomic(),
    ):
        _delete("billing_statement", statement.pk)
    with pytest.raises(ProtectedError), transaction.atomic():
        statement.delete()
    empty = _clone("billing_statement", statement.pk, period=statement.period.replace(year=2030))
    _delete("billing_statement", empty)
    assert Statement.objects.filter(pk=statement.pk).exists()


@pytest.mark.django_db
def test_a_plan_named_by_a_split_cannot_be_deleted_even_by_raw_sql(posted):
    """Approved plans are frozen anyway; a plan in another state that a split names is
    kept too."""
    event, unposted = posted
    plan = CommissionPlanFactory(
        contract=event.split.plan.contract,
        status=CommissionPlan.Status.PENDING,
        approved_by=None,
    )
    free = CommissionPlanFactory(
        contract=plan.contract, status=CommissionPlan.Status.PENDING, approved_by=None
    )
    _clone("billing_revenuesplit", event.split.pk, event_id=unposted.pk, plan_id=plan.pk)
    with (
        pytest.raises(IntegrityError, match="is referenced and cannot be deleted"),
        transaction.atomic(),
    ):
        _delete("billing_commissionplan", plan.pk)
    _delete("billing_commissionplan", free.pk)
    assert CommissionPlan.objects.filter(pk=plan.pk).exists()
    assert not CommissionPlan.objects.filter(pk=free.pk).exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("parent", ["event", "statement", "plan"])
def test_a_parent_cannot_be_deleted_while_rows_naming_it_are_uncommitted(ingest, parent):
    """The check locks the parents it names that could still be deleted as a foreign key
    would (FOR KEY SHARE): a delete from another connection waits for the inserting
    transaction instead of slipping between the check and its COMMIT."""
    event = ingest(creator_on_plan())
    split = RevenueSplit.objects.get(event=event)
    line = StatementLine.objects.get(event=event)
    unposted = _clone("billing_revenueevent", event.pk, source_id="unposted", posted_at=None)
    empty = _clone("billing_statement", line.statement_id, period="2030-01-01")
    plan = CommissionPlanFactory(
        contract=split.plan.contract, status=CommissionPlan.Status.PENDING, approved_by=None
    )
    table, pk = {
        "event": ("billing_revenueevent", unposted),
        "statement": ("billing_statement", empty),
        "plan": ("billing_commissionplan", plan.pk),
    }[parent]
    params = connection.get_connection_params()
    with transaction.atomic():
        if parent == "statement":
            _clone("billing_statementline", line.pk, statement_id=empty)
        else:
            _clone("billing_revenuesplit", split.pk, event_id=unposted, plan_id=plan.pk)
        with psycopg.connect(**params) as other:
            other.execute("SET lock_timeout = '300ms'")
            with pytest.raises(psycopg.errors.LockNotAvailable):
                other.execute(f"DELETE FROM {table} WHERE id = %s", [pk])
            other.rollback()
    with (
        pytest.raises(IntegrityError, match="is referenced and cannot be deleted"),
        transaction.atomic(),
    ):
        _delete(table, pk)
