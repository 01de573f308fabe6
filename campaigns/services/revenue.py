"""The one door from campaigns into billing: campaign money becomes revenue events.

Every event is ingested through ``billing.services.events.revenue_events_ingest`` in the
staff namespace (no partner) with a source type per kind of campaign money and the campaign
row's id as the external id. Billing's unique (partner, source type, source id) makes a
second booking of the same money a no-op, so every booking here is safe to run twice.
"""

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet, Sum

from agency.money import to_major
from billing.models import RevenueEvent
from billing.services.events import EventInput, revenue_events_ingest
from campaigns.selectors import revenue_events_for

SOURCE_DEAL_SHARE = "campaigns.deal_share"
SOURCE_LIVE_GIFTS = "campaigns.live_gifts"
SOURCE_LIVE_COMMERCE = "campaigns.live_commerce"
SOURCE_AFFILIATE = "campaigns.affiliate_order"
SOURCE_INVOICE_LINE = "campaigns.invoice_line"
SOURCE_AD_REBATE = "campaigns.ad_rebate"
SOURCE_LIVE_REPORT = "campaigns.live_report"


@dataclass(frozen=True)
class Booking:
    stream: str
    creator_id: int
    occurred_on: dt.date
    gross_minor: int
    currency: str
    source_type: str
    source_id: str
    account_id: int | None = None
    kind: str = RevenueEvent.Kind.SALE
    refund_of_source_id: str | None = None
    description: str = ""  # the creator's statement line; empty: the stream and the date


def _decimal(amount_minor: int, currency: str) -> str:
    return str(to_major(amount_minor, currency))


def revenue_book(*, bookings: list[Booking], today: dt.date) -> list[RevenueEvent]:
    """Ingest and post the bookings (all or nothing); return every event they name, the new
    ones and those booked by an earlier run alike."""
    bookings = [b for b in bookings if b.gross_minor > 0]
    if not bookings:
        return []
    rows = [
        EventInput(
            stream=b.stream,
            creator_id=b.creator_id,
            occurred_on=b.occurred_on,
            gross=_decimal(b.gross_minor, b.currency),
            currency=b.currency,
            source_type=b.source_type,
            source_id=b.source_id,
            account_id=b.account_id,
            kind=b.kind,
            refund_of_source_id=b.refund_of_source_id,
            description=b.description[:200],
        )
        for b in bookings
    ]
    revenue_events_ingest(rows=rows, today=today)
    return revenue_events_for(keys=[(b.source_type, b.source_id) for b in bookings])


def clawback_due(*, booked_minor: int, remaining_minor: int, refunds: QuerySet) -> int:
    """What one more refund claws back of a commission already booked: the booked
    commission, less the commission on what is left after every refund so far, less what
    earlier refunds clawed back (``refunds``: their rows, with ``clawback_minor``).

    Computed from the cumulative refund, not per refund, so any sequence of partial refunds
    claws back exactly the booked commission in total once everything is refunded. May be
    zero or negative (nothing to claw back)."""
    earlier = refunds.aggregate(c=Sum("clawback_minor"))["c"] or 0
    return booked_minor - remaining_minor - earlier


def clawback_book(
    *,
    stream: str,
    creator_id: int,
    currency: str,
    source_type: str,
    parent_id: int,
    refund_id: int,
    amount_minor: int,
    on: dt.date,
    today: dt.date,
) -> list[RevenueEvent]:
    """The clawback as a billing refund event linked to the parent's booked event
    (source ``<parent>:refund:<refund>``); nothing when ``amount_minor`` is not positive."""
    return revenue_book(
        bookings=[
            Booking(
                stream=stream,
                kind=RevenueEvent.Kind.REFUND,
                creator_id=creator_id,
                occurred_on=on,
                gross_minor=amount_minor,
                currency=currency,
                source_type=source_type,
                source_id=f"{parent_id}:refund:{refund_id}",
                refund_of_source_id=str(parent_id),
            )
        ],
        today=today,
    )
