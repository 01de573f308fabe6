import datetime as dt

import pytest

from billing.services.events import EventInput, revenue_events_ingest

TODAY = dt.date(2025, 6, 30)


@pytest.fixture
def ingest():
    """Ingest and post one event (amounts as decimal strings), returning it."""

    def make(
        creator,
        *,
        stream="brand_deal",
        gross="1000.00",
        fee="0",
        currency=None,
        on=dt.date(2025, 3, 10),
        source_id=None,
        kind="sale",
        refund_of=None,
        source_type="test",
        today=TODAY,
    ):
        make.n += 1
        row = EventInput(
            stream=stream,
            creator_id=creator.pk,
            occurred_on=on,
            gross=gross,
            platform_fee=fee,
            currency=currency or creator.payout_currency,
            source_type=source_type,
            source_id=source_id or f"ev-{make.n}",
            kind=kind,
            refund_of_source_id=refund_of.source_id if refund_of else None,
        )
        created, _ = revenue_events_ingest(rows=[row], today=today)
        return created[0]

    make.n = 0
    return make
