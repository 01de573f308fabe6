"""The only code that writes ledger rows: ``post`` and ``reverse``.

Every posting locks the balance rows of the accounts it touches (``FOR NO KEY UPDATE``,
ordered by primary key, so concurrent postings never deadlock), inserts the transaction and
its legs and moves each balance by the sum of its legs, all in one database transaction.
PostgreSQL checks that the legs balance per currency (per statement of legs, and at COMMIT
for a transaction that did not balance yet) and rejects any later UPDATE or DELETE of a
transaction or leg.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from agency.errors import ApplicationError, Conflict
from billing import bulk
from billing.bulk import rows_copy
from billing.models import Account, LedgerLeg, LedgerTransaction


@dataclass(frozen=True)
class Leg:
    """``amount_minor`` in the account's currency: positive credit, negative debit."""

    account: Account
    amount_minor: int


class UnbalancedPosting(ApplicationError):
    code = "unbalanced_posting"


def _pk(value) -> int | None:
    return getattr(value, "pk", value)


def account_get(
    *,
    kind: str,
    currency: str,
    creator=None,
    manager=None,
    sub_agency=None,
    creator_id: int | None = None,
    manager_id: int | None = None,
    sub_agency_id: int | None = None,
) -> Account:
    """The account for a party (object or id), kind and currency, created on first use."""
    lookup = {
        "kind": kind,
        "currency": currency,
        "creator_id": _pk(creator) or creator_id,
        "manager_id": _pk(manager) or manager_id,
        "sub_agency_id": _pk(sub_agency) or sub_agency_id,
    }
    account = Account.objects.filter(**lookup).first()
    if account is not None:
        return account
    try:
        with transaction.atomic():
            return Account.objects.create(**lookup)
    except IntegrityError:  # created concurrently
        return Account.objects.get(**lookup)


def accounts_lock(accounts: Iterable[Account]) -> dict[int, Account]:
    """Lock balance rows in primary-key order (the one lock order) and return them fresh.

    ``FOR NO KEY UPDATE``, the lock an UPDATE of the balance takes anyway: two balance
    movers on one account queue, but the key-share locks that the foreign-key checks of
    other transactions' new legs hold on the same account do not block it (``FOR UPDATE``
    would wait for them, and two batches each holding one would deadlock)."""
    ids = sorted({a.pk for a in accounts})
    locked = Account.objects.select_for_update(no_key=True).filter(pk__in=ids).order_by("pk")
    return {a.pk: a for a in locked}


def _merge(legs: Iterable[Leg]) -> dict[int, tuple[Account, int]]:
    merged: dict[int, tuple[Account, int]] = {}
    for leg in legs:
        account, amount = merged.get(leg.account.pk, (leg.account, 0))
        merged[leg.account.pk] = (account, amount + leg.amount_minor)
    return {pk: v for pk, v in merged.items() if v[1] != 0}


def legs_check(amounts: dict, currency_of) -> None:
    """Refuse a posting whose merged, non-zero legs (``{account: amount}``) are empty or do
    not sum to zero per currency; ``currency_of(account)`` names each account's currency."""
    if not amounts:
        raise UnbalancedPosting("A posting needs at least one non-zero leg.")
    totals: dict[str, int] = defaultdict(int)
    for account, amount in amounts.items():
        totals[currency_of(account)] += amount
    unbalanced = {ccy: total for ccy, total in totals.items() if total != 0}
    if unbalanced:
        raise UnbalancedPosting(
            f"Legs do not balance: {unbalanced}.", extra={"unbalanced": unbalanced}
        )


@transaction.atomic
def post(
    *,
    source_type: str,
    source_id: str | int,
    effective_on: dt.date,
    legs: Iterable[Leg],
    memo: str = "",
    reverses: LedgerTransaction | None = None,
) -> LedgerTransaction:
    """Post one balanced transaction. Legs on the same account are merged; zero legs dropped.

    Exactly once per source: posting a source that is already posted returns the existing
    transaction and writes nothing (the unique constraint backs this under concurrency).
    """
    source_id = str(source_id)
    existing = LedgerTransaction.objects.filter(
        source_type=source_type, source_id=source_id
    ).first()
    if existing is not None:
        return existing
    merged = _merge(legs)
    legs_check(
        {pk: amount for pk, (_, amount) in merged.items()}, lambda pk: merged[pk][0].currency
    )

    accounts_lock(account for account, _ in merged.values())
    try:
        with transaction.atomic():
            txn = LedgerTransaction.objects.create(
                source_type=source_type,
                source_id=source_id,
                effective_on=effective_on,
                memo=memo[:255],
                reverses=reverses,
            )
    except IntegrityError as exc:
        if reverses is not None:
            raise Conflict(f"Transaction {reverses.pk} has been reversed already.") from exc
        raise Conflict(f"{source_type}:{source_id} was posted concurrently.") from exc
    LedgerLeg.objects.bulk_create(
        LedgerLeg(transaction=txn, account=account, amount_minor=amount, currency=account.currency)
        for account, amount in sorted(merged.values(), key=lambda v: v[0].pk)
    )
    _balances_move({pk: amount for pk, (_, amount) in merged.items()})
    return txn


def _balances_move(deltas: dict[int, int]) -> None:
    """Move every touched balance in one statement (the rows are locked already)."""
    ids = sorted(deltas)
    bulk.execute(
        "UPDATE billing_account AS a SET balance_minor = a.balance_minor + v.delta "
        "FROM unnest(%s::bigint[], %s::bigint[]) AS v(id, delta)"
        " WHERE a.id = v.id AND a.id = ANY(%s::bigint[])",  # by index, not a table scan
        [ids, [deltas[pk] for pk in ids], ids],
    )


@dataclass(frozen=True)
class Posting:
    """One transaction of a batch: ``amounts`` maps account id -> minor units (merged,
    non-zero, balanced per currency: see ``legs_check``)."""

    source_type: str
    source_id: str
    effective_on: dt.date
    amounts: dict[int, int]
    currencies: dict[int, str]
    memo: str = ""


def transactions_insert(postings: list[Posting]) -> tuple[list[int], dict[int, int]]:
    """Insert the transactions and legs of a batch: ids drawn from the sequence in one query,
    then one COPY per table, whatever the batch size. Returns the transaction ids (in order)
    and the balance delta per account, which the caller applies with ``balances_apply`` as
    its last write, so the busiest balance rows are locked only for the end of its database
    transaction. PostgreSQL checks every transaction's balance as the legs are copied."""
    if not postings:
        return [], {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence('billing_ledgertransaction', 'id'))"
            " FROM generate_series(1, %s)",
            [len(postings)],
        )
        ids = sorted(row[0] for row in cursor.fetchall())
    now = timezone.now()
    try:
        with transaction.atomic():
            rows_copy(
                LedgerTransaction,
                ["id", "source_type", "source_id", "effective_on", "memo", "posted_at"],
                (
                    (pk, p.source_type, p.source_id, p.effective_on, p.memo[:255], now)
                    for pk, p in zip(ids, postings, strict=True)
                ),
            )
    except IntegrityError as exc:
        raise Conflict("Some of these sources were posted concurrently; retry.") from exc
    deltas: dict[int, int] = defaultdict(int)
    legs = []
    for txn_id, posting in zip(ids, postings, strict=True):
        for account_id in sorted(posting.amounts):
            amount = posting.amounts[account_id]
            legs.append((txn_id, account_id, amount, posting.currencies[account_id]))
            deltas[account_id] += amount
    rows_copy(LedgerLeg, ["transaction_id", "account_id", "amount_minor", "currency"], legs)
    return ids, {pk: d for pk, d in deltas.items() if d}


def balances_apply(deltas: dict[int, int]) -> None:
    """Lock the balance rows in primary-key order (the one lock order), then move them all
    with one ``UPDATE ... FROM (VALUES ...)``. An agency-wide account gets one delta per
    batch, however many events touched it. Every constraint of this schema that is deferrable
    is initially deferred, so deferring them all again after the early check restores them."""
    if not deltas:
        return
    with connection.cursor() as cursor:
        # Run the checks deferred so far (the foreign keys of the rows written, any balance
        # still pending) now, before the balance rows are locked, and defer again
        # what comes later: the locks are then held for the UPDATE and COMMIT only.
        # NO KEY UPDATE (see ``accounts_lock``): the foreign-key checks of another batch's
        # legs hold key-share locks on these rows until it commits; they must not block us.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE; SET CONSTRAINTS ALL DEFERRED")
    bulk.execute(
        "SELECT id FROM billing_account WHERE id = ANY(%s::bigint[]) ORDER BY id FOR NO KEY UPDATE",
        [sorted(deltas)],
    )
    _balances_move(deltas)


AGENCY_KINDS = (
    Account.Kind.AGENCY_REVENUE,
    Account.Kind.BRAND_RECEIVABLE,
    Account.Kind.PLATFORM_RECEIVABLE,
    Account.Kind.CASH,
    Account.Kind.FX_CLEARING,
    Account.Kind.PAYOUTS_IN_TRANSIT,
)

# (kind, currency, creator id, manager id, sub-agency id): an account's natural key.
AccountKey = tuple[str, str, int | None, int | None, int | None]


def accounts_resolve(keys: Iterable[AccountKey]) -> dict[AccountKey, int]:
    """Account ids for natural keys: one SELECT, and for keys seen for the first time one
    ``INSERT ... ON CONFLICT DO NOTHING RETURNING`` (plus a re-read of any created
    concurrently)."""
    keys = set(keys)
    if not keys:
        return {}

    def read() -> dict[AccountKey, int]:
        party = Q(kind__in=AGENCY_KINDS, creator=None, manager=None, sub_agency=None)
        party |= Q(creator_id__in={k[2] for k in keys if k[2]})
        party |= Q(manager_id__in={k[3] for k in keys if k[3]})
        party |= Q(sub_agency_id__in={k[4] for k in keys if k[4]})
        rows = Account.objects.filter(party).values_list(
            "kind", "currency", "creator_id", "manager_id", "sub_agency_id", "pk"
        )
        return {row[:5]: row[5] for row in rows if row[:5] in keys}

    found = read()
    missing = sorted(keys - found.keys(), key=str)
    if missing:
        values = ", ".join(
            ["(%s, %s, %s::bigint, %s::bigint, %s::bigint, 0, now())"] * len(missing)
        )
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO billing_account "
                "(kind, currency, creator_id, manager_id, sub_agency_id, balance_minor, created_at)"
                f" VALUES {values} ON CONFLICT DO NOTHING "
                "RETURNING kind, currency, creator_id, manager_id, sub_agency_id, id",
                [x for key in missing for x in key],
            )
            found.update({row[:5]: row[5] for row in cursor.fetchall()})
        if len(found) < len(keys):  # created by a concurrent batch meanwhile
            found = read()
    return found


@transaction.atomic
def reverse(
    *, original: LedgerTransaction, effective_on: dt.date, memo: str = ""
) -> LedgerTransaction:
    """Post the mirror image of ``original``, linked to it. A transaction is reversed once."""
    if LedgerTransaction.objects.filter(reverses=original).exists():
        raise Conflict(f"Transaction {original.pk} has been reversed already.")
    legs = [
        Leg(account=leg.account, amount_minor=-leg.amount_minor)
        for leg in original.legs.select_related("account")
    ]
    return post(
        source_type="reversal",
        source_id=original.pk,
        effective_on=effective_on,
        legs=legs,
        memo=memo or f"Reversal of #{original.pk}",
        reverses=original,
    )
