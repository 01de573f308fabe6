"""Revenue that is the agency's alone: ad-operation fees, rebates, retainers and services
billed with no creator to share them with.

A revenue event always belongs to a creator (its split pays them), so this money does not
go through the posting engine: it is one balanced ledger transaction per billed item
(receivable debited, agency revenue credited), exactly once per source, and a second one
when the cash comes in (cash debited, receivable credited). The stream is the first part of
the source id (``agency_service:campaigns.invoice_line:12``), which is how the profit and
loss report (``billing.reports``) attributes it.
"""

import datetime as dt

from django.db import transaction

from agency.errors import ApplicationError
from billing import ledger
from billing.models import Account, LedgerTransaction, Stream

SOURCE_TYPE = "agency_revenue"
CASH_SOURCE_TYPE = "agency_revenue_cash"


def _source_id(stream: str, source: str) -> str:
    return f"{stream}:{source}"


@transaction.atomic
def agency_revenue_post(
    *,
    stream: str,
    source: str,
    currency: str,
    amount_minor: int,
    occurred_on: dt.date,
    receivable: str = Account.Kind.BRAND_RECEIVABLE,
    memo: str = "",
) -> LedgerTransaction:
    """Book ``amount_minor`` of ``currency`` as the agency's revenue of ``stream``, billed
    to a client (``receivable``). Posting the same ``source`` again returns the first
    transaction and writes nothing."""
    if stream not in Stream.values:
        raise ApplicationError(f"Unknown stream {stream!r}.")
    if amount_minor <= 0:
        raise ApplicationError("Agency revenue must be positive.")
    return ledger.post(
        source_type=SOURCE_TYPE,
        source_id=_source_id(stream, source),
        effective_on=occurred_on,
        legs=[
            ledger.Leg(ledger.account_get(kind=receivable, currency=currency), -amount_minor),
            ledger.Leg(
                ledger.account_get(kind=Account.Kind.AGENCY_REVENUE, currency=currency),
                amount_minor,
            ),
        ],
        memo=memo or f"Agency revenue {stream} {source}",
    )


@transaction.atomic
def agency_revenue_cash_receive(
    *, stream: str, source: str, received_on: dt.date
) -> LedgerTransaction | None:
    """The client paid the item: its receivable is cleared into cash, once. None when the
    item was never booked."""
    booked = (
        LedgerTransaction.objects.filter(
            source_type=SOURCE_TYPE, source_id=_source_id(stream, source)
        )
        .prefetch_related("legs__account")
        .first()
    )
    if booked is None:
        return None
    receivable = next(leg for leg in booked.legs.all() if leg.amount_minor < 0)
    amount = -receivable.amount_minor
    return ledger.post(
        source_type=CASH_SOURCE_TYPE,
        source_id=booked.source_id,
        effective_on=received_on,
        legs=[
            ledger.Leg(
                ledger.account_get(kind=Account.Kind.CASH, currency=receivable.currency), -amount
            ),
            ledger.Leg(receivable.account, amount),
        ],
        memo=f"Cash received for {booked.source_id}",
    )


@transaction.atomic
def agency_revenue_reverse(*, stream: str, source: str, on: dt.date) -> LedgerTransaction | None:
    """Take back an item's revenue that was billed but not paid (its invoice voided): a
    reversal of the booking, once. None when nothing was booked."""
    booked = LedgerTransaction.objects.filter(
        source_type=SOURCE_TYPE, source_id=_source_id(stream, source)
    ).first()
    if booked is None:
        return None
    if LedgerTransaction.objects.filter(
        source_type=CASH_SOURCE_TYPE, source_id=booked.source_id
    ).exists():
        raise ApplicationError("The client paid this item; it cannot be taken back.")
    reversal = LedgerTransaction.objects.filter(reverses=booked).first()
    return reversal or ledger.reverse(original=booked, effective_on=on)
