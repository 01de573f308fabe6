"""The one door from campaigns into billing: campaign money becomes revenue events.

Every event is ingested through ``billing.services.events.revenue_events_ingest`` in the
staff namespace (no partner) with a source type per kind of campaign money and the campaign
row's id as the external id. Billing's unique (partner, source type, source id) makes a
second booking of the same money a no-op, so every booking here is safe to run twice.
"""

import datetime as dt
from dataclasses import dataclass

from agency.money import to_major
from billing.models import RevenueEvent
from billing.services.events import EventInput, revenue_events_ingest

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


def revenue_events_for(*, keys: list[tuple[str, str]]) -> list[RevenueEvent]:
    """The staff-namespace events of these (source type, source id) pairs, in that order."""
    found = {
        (e.source_type, e.source_id): e
        for e in RevenueEvent.objects.filter(
            partner__isnull=True, source_id__in=[k[1] for k in keys]
        )
    }
    return [found[k] for k in keys if k in found]
