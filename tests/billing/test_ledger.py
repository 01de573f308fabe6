"""The ledger's invariants hold in PostgreSQL, not only in billing.ledger."""

import datetime as dt

import psycopg
import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from agency.errors import Conflict
from billing import ledger
from billing.ledger import UnbalancedPosting
from billing.models import Account, LedgerLeg, LedgerTransaction
from tests.factories.creators import CreatorFactory

DAY = dt.date(2025, 3, 1)


def _accounts():
    creator = CreatorFactory(payout_currency="USD")
    payable = ledger.account_get(kind=Account.Kind.CREATOR_PAYABLE, currency="USD", creator=creator)
    cash = ledger.account_get(kind=Account.Kind.CASH, currency="USD")
    return payable, cash


def _post(payable, cash, amount=500, source_id="1"):
    return ledger.post(
        source_type="test",
        source_id=source_id,
        effective_on=DAY,
        legs=[ledger.Leg(payable, amount), ledger.Leg(cash, -amount)],
    )


@pytest.mark.django_db
def test_post_moves_balances_and_is_once_per_source():
    payable, cash = _accounts()
    txn = _post(payable, cash)
    again = _post(payable, cash)
    assert again.pk == txn.pk
    payable.refresh_from_db()
    cash.refresh_from_db()
    assert (payable.balance_minor, cash.balance_minor) == (500, -500)
    assert LedgerLeg.objects.filter(transaction=txn).count() == 2


@pytest.mark.django_db
def test_unbalanced_posting_is_refused_before_the_database():
    payable, cash = _accounts()
    with pytest.raises(UnbalancedPosting):
        ledger.post(
            source_type="t",
            source_id="x",
            effective_on=DAY,
            legs=[ledger.Leg(payable, 500), ledger.Leg(cash, -499)],
        )


@pytest.mark.django_db
def test_reverse_mirrors_and_only_once():
    payable, cash = _accounts()
    txn = _post(payable, cash)
    rev = ledger.reverse(original=txn, effective_on=DAY)
    assert rev.reverses_id == txn.pk
    assert sorted(rev.legs.values_list("amount_minor", flat=True)) == [-500, 500]
    payable.refresh_from_db()
    assert payable.balance_minor == 0
    with pytest.raises(Conflict):
        ledger.reverse(original=txn, effective_on=DAY)


@pytest.mark.django_db(transaction=True)
def test_raw_sql_cannot_commit_an_unbalanced_transaction():
    payable, cash = _accounts()
    with (
        pytest.raises(IntegrityError, match="does not balance"),
        transaction.atomic(),
        connection.cursor() as cur,
    ):
        cur.execute(
            "INSERT INTO billing_ledgertransaction (source_type, source_id, memo,"
            " effective_on, posted_at) VALUES ('raw', '1', '', %s, now()) RETURNING id",
            [DAY],
        )
        txn_id = cur.fetchone()[0]
        cur.execute(
            "INSERT INTO billing_ledgerleg (transaction_id, account_id, amount_minor,"
            " currency) VALUES (%s, %s, 100, 'USD'), (%s, %s, -99, 'USD')",
            [txn_id, payable.pk, txn_id, cash.pk],
        )
    assert not LedgerTransaction.objects.filter(source_type="raw").exists()


@pytest.mark.django_db(transaction=True)
def test_balanced_per_currency_is_checked_at_commit_not_per_row():
    """Legs may be inserted one by one: only the committed whole must balance."""
    payable, cash = _accounts()
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            "INSERT INTO billing_ledgertransaction (source_type, source_id, memo,"
            " effective_on, posted_at) VALUES ('raw', '2', '', %s, now()) RETURNING id",
            [DAY],
        )
        txn_id = cur.fetchone()[0]
        cur.execute(
            "INSERT INTO billing_ledgerleg (transaction_id, account_id, amount_minor, currency)"
            " VALUES (%s, %s, 100, 'USD')",
            [txn_id, payable.pk],
        )
        cur.execute(
            "INSERT INTO billing_ledgerleg (transaction_id, account_id, amount_minor, currency)"
            " VALUES (%s, %s, -100, 'USD')",
            [txn_id, cash.pk],
        )
    assert LedgerLeg.objects.filter(transaction_id=txn_id).count() == 2


@pytest.mark.django_db(transaction=True)
def test_raw_sql_cannot_add_a_leg_to_a_committed_transaction():
    """The balance is checked once per transaction, when the database transaction that
    opened it commits; a later one cannot add legs to it, even balanced ones."""
    payable, cash = _accounts()
    txn = _post(payable, cash)
    with (
        pytest.raises(DatabaseError, match="is committed"),
        transaction.atomic(),
        connection.cursor() as cur,
    ):
        cur.execute(
            "INSERT INTO billing_ledgerleg (transaction_id, account_id, amount_minor,"
            " currency) VALUES (%s, %s, 7, 'USD')",
            [txn.pk, payable.pk],
        )
    assert LedgerLeg.objects.filter(transaction=txn).count() == 2


@pytest.mark.django_db(transaction=True)
def test_raw_sql_cannot_name_another_database_transaction():
    _accounts()
    with (
        pytest.raises(IntegrityError, match="another database transaction"),
        transaction.atomic(),
        connection.cursor() as cur,
    ):
        cur.execute(
            "INSERT INTO billing_ledgertransaction (source_type, source_id, memo,"
            " effective_on, posted_at, posted_xact) VALUES ('raw', '4', '', %s, now(), 1)",
            [DAY],
        )
    assert not LedgerTransaction.objects.filter(source_type="raw").exists()


@pytest.mark.django_db(transaction=True)
def test_unbalanced_legs_in_a_savepoint_fail_the_commit():
    payable, _cash = _accounts()
    with (
        pytest.raises(IntegrityError, match="does not balance"),
        transaction.atomic(),
    ):
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute(
                "INSERT INTO billing_ledgertransaction (source_type, source_id, memo,"
                " effective_on, posted_at) VALUES ('raw', '5', '', %s, now()) RETURNING id",
                [DAY],
            )
            txn_id = cur.fetchone()[0]
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute(
                "INSERT INTO billing_ledgerleg (transaction_id, account_id, amount_minor,"
                " currency) VALUES (%s, %s, 100, 'USD')",
                [txn_id, payable.pk],
            )
    assert not LedgerTransaction.objects.filter(source_type="raw").exists()


@pytest.mark.django_db(transaction=True)
def test_leg_currency_must_match_its_account():
    payable, cash = _accounts()
    with (
        pytest.raises(IntegrityError, match="does not match"),
        transaction.atomic(),
        connection.cursor() as cur,
    ):
        cur.execute(
            "INSERT INTO billing_ledgertransaction (source_type, source_id, memo,"
            " effective_on, posted_at) VALUES ('raw', '3', '', %s, now()) RETURNING id",
            [DAY],
        )
        txn_id = cur.fetchone()[0]
        cur.execute(
            "INSERT INTO billing_ledgerleg (transaction_id, account_id, amount_minor,"
            " currency) VALUES (%s, %s, 100, 'EUR'), (%s, %s, -100, 'EUR')",
            [txn_id, payable.pk, txn_id, cash.pk],
        )


@pytest.mark.django_db
def test_zero_leg_is_rejected_by_check():
    payable, cash = _accounts()
    txn = _post(payable, cash)
    with pytest.raises(IntegrityError, match="ledger_leg_not_zero"), transaction.atomic():
        LedgerLeg.objects.create(transaction=txn, account=payable, amount_minor=0, currency="USD")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE billing_ledgerleg SET amount_minor = amount_minor * 2",
        "DELETE FROM billing_ledgerleg",
        "UPDATE billing_ledgertransaction SET memo = 'edited'",
        "DELETE FROM billing_ledgertransaction",
    ],
)
def test_posted_rows_cannot_be_edited_or_deleted(sql):
    payable, cash = _accounts()
    _post(payable, cash)
    with (
        pytest.raises(DatabaseError, match="Cannot update or delete"),
        transaction.atomic(),
        connection.cursor() as cur,
    ):
        cur.execute(sql)
    assert LedgerLeg.objects.count() == 2


@pytest.mark.django_db
def test_one_posting_per_source_and_one_reversal_in_the_database():
    payable, cash = _accounts()
    txn = _post(payable, cash)
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerTransaction.objects.create(source_type="test", source_id="1", effective_on=DAY)
    ledger.reverse(original=txn, effective_on=DAY)
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerTransaction.objects.create(
            source_type="other", source_id="9", effective_on=DAY, reverses=txn
        )


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("missing", ["account", "transaction"])
def test_raw_sql_cannot_add_a_leg_naming_a_missing_account_or_transaction(missing):
    """The legs' references are checked once per INSERT statement (not by a foreign-key
    probe per row): a leg naming an account or a transaction that does not exist is refused."""
    payable, cash = _accounts()
    with (
        pytest.raises(IntegrityError, match="does not exist"),
        transaction.atomic(),
        connection.cursor() as cur,
    ):
        cur.execute(
            "INSERT INTO billing_ledgertransaction (source_type, source_id, memo,"
            " effective_on, posted_at) VALUES ('raw', '4', '', %s, now()) RETURNING id",
            [DAY],
        )
        txn_id = cur.fetchone()[0]
        account_id = cash.pk + 10_000 if missing == "account" else cash.pk
        txn_leg = txn_id + 10_000 if missing == "transaction" else txn_id
        cur.execute(
            "INSERT INTO billing_ledgerleg (transaction_id, account_id, amount_minor,"
            " currency) VALUES (%s, %s, 100, 'USD'), (%s, %s, -100, 'USD')",
            [txn_id, payable.pk, txn_leg, account_id],
        )
    assert not LedgerTransaction.objects.filter(source_type="raw").exists()


@pytest.mark.django_db
def test_an_account_with_legs_cannot_be_deleted_even_by_raw_sql():
    payable, cash = _accounts()
    _post(payable, cash)
    unused = ledger.account_get(kind=Account.Kind.FX_CLEARING, currency="USD")
    with (
        pytest.raises(IntegrityError, match="cannot be deleted"),
        transaction.atomic(),
        connection.cursor() as cur,
    ):
        cur.execute("DELETE FROM billing_account WHERE id = %s", [cash.pk])
    with connection.cursor() as cur:
        cur.execute("DELETE FROM billing_account WHERE id = %s", [unused.pk])
    assert Account.objects.filter(pk=cash.pk).exists()
    assert not Account.objects.filter(pk=unused.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_an_account_cannot_be_deleted_while_legs_naming_it_are_uncommitted():
    """The legs' references are checked per statement, not by a foreign key, so the check
    locks the accounts it names as a foreign key would: a delete from another connection
    waits for the posting instead of leaving it a leg without its account."""
    payable, cash = _accounts()
    params = connection.get_connection_params()
    with transaction.atomic():
        _post(payable, cash)  # legs on both accounts, not yet committed
        with psycopg.connect(**params) as other:
            other.execute("SET lock_timeout = '300ms'")
            with pytest.raises(psycopg.errors.LockNotAvailable):
                other.execute("DELETE FROM billing_account WHERE id = %s", [payable.pk])
            other.rollback()
    assert LedgerLeg.objects.filter(account=payable).count() == 1


def _raw_transaction(cur, source_id: str) -> int:
    cur.execute(
        "INSERT INTO billing_ledgertransaction (source_type, source_id, memo,"
        " effective_on, posted_at) VALUES ('raw', %s, '', %s, now()) RETURNING id",
        [source_id, DAY],
    )
    return cur.fetchone()[0]


def _raw_legs(cur, txn_id: int, *legs) -> None:
    """``legs``: (account, amount) pairs, inserted with one statement."""
    cur.execute(
        "INSERT INTO billing_ledgerleg (transaction_id, account_id, amount_minor, currency)"
        " VALUES " + ", ".join(["(%s, %s, %s, 'USD')"] * len(legs)),
        [x for account, amount in legs for x in (txn_id, account.pk, amount)],
    )


@pytest.mark.django_db(transaction=True)
def test_a_transaction_unbalanced_by_a_later_statement_is_refused_at_commit():
    """The balance is checked per statement of legs; a transaction that balanced after the
    first statement and no longer does after the second is re-checked at COMMIT."""
    payable, cash = _accounts()
    with (
        pytest.raises(IntegrityError, match="does not balance in USD: sum 7"),
        transaction.atomic(),
        connection.cursor() as cur,
    ):
        txn_id = _raw_transaction(cur, "10")
        _raw_legs(cur, txn_id, (payable, 100), (cash, -100))
        _raw_legs(cur, txn_id, (payable, 7))
    assert not LedgerTransaction.objects.filter(source_type="raw").exists()


@pytest.mark.django_db(transaction=True)
def test_set_constraints_immediate_runs_the_pending_balance_checks():
    payable, cash = _accounts()
    with (
        pytest.raises(IntegrityError, match="does not balance"),
        transaction.atomic(),
        connection.cursor() as cur,
    ):
        txn_id = _raw_transaction(cur, "11")
        _raw_legs(cur, txn_id, (payable, 100))
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
    with transaction.atomic(), connection.cursor() as cur:
        txn_id = _raw_transaction(cur, "12")
        _raw_legs(cur, txn_id, (payable, 100))
        _raw_legs(cur, txn_id, (cash, -100))
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE; SET CONSTRAINTS ALL DEFERRED")
        cur.execute("SELECT count(*) FROM billing_balancerecheck")
        assert cur.fetchone()[0] == 0  # checked and dequeued
    assert LedgerLeg.objects.filter(transaction_id=txn_id).count() == 2


@pytest.mark.django_db(transaction=True)
def test_legs_unbalancing_after_an_early_check_are_checked_again_at_commit():
    """After ``SET CONSTRAINTS ALL IMMEDIATE`` (as a posting batch runs it), legs added to a
    transaction are still held to its balance at COMMIT."""
    payable, cash = _accounts()
    with (
        pytest.raises(IntegrityError, match="does not balance"),
        transaction.atomic(),
        connection.cursor() as cur,
    ):
        txn_id = _raw_transaction(cur, "13")
        _raw_legs(cur, txn_id, (payable, 100))
        _raw_legs(cur, txn_id, (cash, -100))
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE; SET CONSTRAINTS ALL DEFERRED")
        _raw_legs(cur, txn_id, (payable, 5))
    assert not LedgerTransaction.objects.filter(source_type="raw").exists()


@pytest.mark.django_db(transaction=True)
def test_unbalanced_legs_rolled_back_with_their_savepoint_leave_a_balanced_commit():
    payable, cash = _accounts()
    with transaction.atomic(), connection.cursor() as cur:
        txn_id = _raw_transaction(cur, "14")
        _raw_legs(cur, txn_id, (payable, 100), (cash, -100))
        with pytest.raises(RuntimeError), transaction.atomic():
            _raw_legs(cur, txn_id, (payable, 3))
            raise RuntimeError("rolled back with the savepoint")
    assert LedgerLeg.objects.filter(transaction_id=txn_id).count() == 2
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM billing_balancerecheck")
        assert cur.fetchone()[0] == 0


@pytest.mark.django_db(transaction=True)
def test_a_balancing_leg_rolled_back_with_its_savepoint_fails_the_commit():
    payable, cash = _accounts()
    with (
        pytest.raises(IntegrityError, match="does not balance"),
        transaction.atomic(),
        connection.cursor() as cur,
    ):
        txn_id = _raw_transaction(cur, "15")
        _raw_legs(cur, txn_id, (payable, 100))
        with pytest.raises(RuntimeError), transaction.atomic():
            _raw_legs(cur, txn_id, (cash, -100))
            raise RuntimeError("rolled back with the savepoint")
    assert not LedgerTransaction.objects.filter(source_type="raw").exists()


@pytest.mark.django_db(transaction=True)
def test_emptying_the_recheck_queue_does_not_skip_the_balance_check():
    payable, _cash = _accounts()
    with (
        pytest.raises(IntegrityError, match="does not balance"),
        transaction.atomic(),
        connection.cursor() as cur,
    ):
        txn_id = _raw_transaction(cur, "16")
        _raw_legs(cur, txn_id, (payable, 100))
        cur.execute("DELETE FROM billing_balancerecheck")
    assert not LedgerTransaction.objects.filter(source_type="raw").exists()


@pytest.mark.django_db(transaction=True)
def test_postings_leave_nothing_to_recheck():
    """``billing.ledger`` inserts a transaction's legs in one statement: checked then, so
    nothing waits for COMMIT."""
    payable, cash = _accounts()
    with transaction.atomic():
        _post(payable, cash)
        with connection.cursor() as cur:
            cur.execute("SELECT count(*) FROM billing_balancerecheck")
            assert cur.fetchone()[0] == 0
