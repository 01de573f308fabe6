"""Advances paid to creators and recoupable expenses the agency paid for them (maker-checker).

Both are money the creator owes the agency, kept on the creator's advances account. One staff
member records an advance or an expense; another member of finance approves it, and only
then does the cash leave (the ledger posting) and does month close count it: expenses are
deducted in full and advances recouped up to their cap (``billing.services.statements``
reads approved rows only). An unapproved row moves no money and can be approved once.
"""

import datetime as dt
from decimal import Decimal

import structlog
from django.db import transaction
from django.utils import timezone

from agency.errors import ApplicationError
from agency.roles import FINANCE, has_role
from agency.states import lock
from billing import ledger
from billing.models import Account, Advance, RecoupableExpense
from creators.models import Creator

log = structlog.get_logger(__name__)


def _check_currency(creator: Creator, currency: str | None) -> str:
    if currency is not None and currency != creator.payout_currency:
        raise ApplicationError(
            f"{creator} is paid in {creator.payout_currency}; record it in that currency.",
            extra={"fields": {"currency": [f"Must be {creator.payout_currency}."]}},
        )
    return creator.payout_currency


@transaction.atomic
def advance_record(
    *,
    creator: Creator,
    amount_minor: int,
    recoup_cap_rate: Decimal | str,
    issued_on: dt.date,
    recorded_by=None,
    currency: str | None = None,
) -> Advance:
    """Propose an advance in the creator's payout currency; nothing is paid until a finance
    member other than ``recorded_by`` approves it (:func:`advance_approve`)."""
    if amount_minor <= 0:
        raise ApplicationError("An advance must be positive.")
    return Advance.objects.create(
        creator=creator,
        currency=_check_currency(creator, currency),
        amount_minor=amount_minor,
        recoup_cap_rate=Decimal(str(recoup_cap_rate)),
        issued_on=issued_on,
        recorded_by=recorded_by,
    )


@transaction.atomic
def expense_record(
    *,
    creator: Creator,
    amount_minor: int,
    description: str,
    incurred_on: dt.date,
    recorded_by=None,
    currency: str | None = None,
) -> RecoupableExpense:
    """Propose a cost the agency paid for the creator; once approved it is deducted at the
    next period close."""
    if amount_minor <= 0:
        raise ApplicationError("An expense must be positive.")
    return RecoupableExpense.objects.create(
        creator=creator,
        currency=_check_currency(creator, currency),
        amount_minor=amount_minor,
        description=description,
        incurred_on=incurred_on,
        recorded_by=recorded_by,
    )


def _approve(model, pk: int, approved_by, *, source_type: str, on, memo) -> Advance:
    row = lock(model(pk=pk), related=("creator",))
    if row.is_approved:
        return row  # approved already: approving twice pays once
    if not has_role(approved_by, FINANCE):
        raise ApplicationError("Only a member of the finance group approves this.")
    if row.recorded_by_id is not None and row.recorded_by_id == approved_by.pk:
        raise ApplicationError("Whoever recorded it cannot approve it (four eyes).")
    row.approved_by = approved_by
    row.approved_at = timezone.now()
    row.save(update_fields=["approved_by", "approved_at"])
    ccy = row.currency
    ledger.post(
        source_type=source_type,
        source_id=row.pk,
        effective_on=on(row),
        legs=[
            ledger.Leg(
                ledger.account_get(kind=Account.Kind.ADVANCES, currency=ccy, creator=row.creator),
                -row.amount_minor,
            ),
            ledger.Leg(ledger.account_get(kind=Account.Kind.CASH, currency=ccy), row.amount_minor),
        ],
        memo=memo(row)[:255],
    )
    log.info(f"{source_type}_approved", pk=row.pk, approved_by=approved_by.pk)
    return row


@transaction.atomic
def advance_approve(*, advance: Advance, approved_by) -> Advance:
    """Finance approves an advance someone else recorded: the cash is paid out of the
    agency's cash to the creator's advances account, recouped from later earnings."""
    return _approve(
        Advance,
        advance.pk,
        approved_by,
        source_type="advance",
        on=lambda a: a.issued_on,
        memo=lambda a: f"Advance to creator {a.creator_id}",
    )


@transaction.atomic
def expense_approve(*, expense: RecoupableExpense, approved_by) -> RecoupableExpense:
    """Finance approves an expense someone else recorded; the next close deducts it."""
    return _approve(
        RecoupableExpense,
        expense.pk,
        approved_by,
        source_type="expense",
        on=lambda e: e.incurred_on,
        memo=lambda e: f"Expense for creator {e.creator_id}: {e.description}",
    )
