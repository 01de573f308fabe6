"""Advances paid to creators and recoupable expenses the agency paid for them.

Both are money the creator owes the agency, kept on the creator's advances account; at each
period close expenses are deducted in full and advances recouped up to their cap
(``billing.services.statements``).
"""

import datetime as dt
from decimal import Decimal

from django.db import transaction

from agency.errors import ApplicationError
from billing import ledger
from billing.models import Account, Advance, RecoupableExpense
from creators.models import Creator


def _pay_out_of_cash(*, creator: Creator, amount_minor: int, source_type: str, source_id, on, memo):
    ccy = creator.payout_currency
    ledger.post(
        source_type=source_type,
        source_id=source_id,
        effective_on=on,
        legs=[
            ledger.Leg(
                ledger.account_get(kind=Account.Kind.ADVANCES, currency=ccy, creator=creator),
                -amount_minor,
            ),
            ledger.Leg(ledger.account_get(kind=Account.Kind.CASH, currency=ccy), amount_minor),
        ],
        memo=memo,
    )


@transaction.atomic
def advance_issue(
    *, creator: Creator, amount_minor: int, recoup_cap_rate: Decimal | str, issued_on: dt.date
) -> Advance:
    """Pay an advance in the creator's payout currency."""
    if amount_minor <= 0:
        raise ApplicationError("An advance must be positive.")
    advance = Advance.objects.create(
        creator=creator,
        currency=creator.payout_currency,
        amount_minor=amount_minor,
        recoup_cap_rate=Decimal(str(recoup_cap_rate)),
        issued_on=issued_on,
    )
    _pay_out_of_cash(
        creator=creator,
        amount_minor=amount_minor,
        source_type="advance",
        source_id=advance.pk,
        on=issued_on,
        memo=f"Advance to creator {creator.pk}",
    )
    return advance


@transaction.atomic
def expense_record(
    *, creator: Creator, amount_minor: int, description: str, incurred_on: dt.date
) -> RecoupableExpense:
    """A cost the agency paid for the creator, deducted at the next period close."""
    if amount_minor <= 0:
        raise ApplicationError("An expense must be positive.")
    expense = RecoupableExpense.objects.create(
        creator=creator,
        currency=creator.payout_currency,
        amount_minor=amount_minor,
        description=description,
        incurred_on=incurred_on,
    )
    _pay_out_of_cash(
        creator=creator,
        amount_minor=amount_minor,
        source_type="expense",
        source_id=expense.pk,
        on=incurred_on,
        memo=f"Expense for creator {creator.pk}: {description}"[:255],
    )
    return expense
