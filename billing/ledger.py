"""The only code that writes ledger rows: ``post`` and ``reverse``.

Every posting locks the balance rows of the accounts it touches (``select_for_update``,
ordered by primary key, so concurrent postings never deadlock), inserts the transaction and
its legs and moves each balance by the sum of its legs, all in one database transaction.
PostgreSQL checks at COMMIT that the legs balance per currency and rejects any later
UPDATE or DELETE of a transaction or leg.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction

from agency.errors import ApplicationError, Conflict
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
    """Lock balance rows in primary-key order (the one lock order) and return them fresh."""
    ids = sorted({a.pk for a in accounts})
    locked = Account.objects.select_for_update().filter(pk__in=ids).order_by("pk")
    return {a.pk: a for a in locked}


def _merge(legs: Iterable[Leg]) -> dict[int, tuple[Account, int]]:
    merged: dict[int, tuple[Account, int]] = {}
    for leg in legs:
        account, amount = merged.get(leg.account.pk, (leg.account, 0))
        merged[leg.account.pk] = (account, amount + leg.amount_minor)
    return {pk: v for pk, v in merged.items() if v[1] != 0}


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
    if not merged:
        raise UnbalancedPosting("A posting needs at least one non-zero leg.")
    totals: dict[str, int] = defaultdict(int)
    for account, amount in merged.values():
        totals[account.currency] += amount
    unbalanced = {ccy: total for ccy, total in totals.items() if total != 0}
    if unbalanced:
        raise UnbalancedPosting(
            f"Legs do not balance: {unbalanced}.", extra={"unbalanced": unbalanced}
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
    values = ", ".join(["(%s::bigint, %s::bigint)"] * len(deltas))
    params = [x for pk, delta in sorted(deltas.items()) for x in (pk, delta)]
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE billing_account AS a SET balance_minor = a.balance_minor + v.delta "
            f"FROM (VALUES {values}) AS v(id, delta) WHERE a.id = v.id",
            params,
        )


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
