"""Event ingestion under concurrency and the hold-policy data."""

import datetime as dt
import threading

import pytest
from django.db import DatabaseError, connection, transaction

from agency.errors import Conflict
from billing.models import HoldPolicy, RevenueEvent
from billing.services.events import EventInput, revenue_events_ingest
from tests.billing.conftest import TODAY
from tests.billing.helpers import creator_on_plan


@pytest.mark.django_db(transaction=True)
def test_the_same_source_posted_twice_at_once_creates_one_event():
    creator = creator_on_plan(streams=["affiliate"])
    row = {
        "stream": "affiliate",
        "creator_id": creator.pk,
        "occurred_on": dt.date(2025, 3, 1),
        "gross": "10.00",
        "currency": "USD",
        "source_type": "shop",
        "source_id": "order-1",
    }
    barrier = threading.Barrier(2)
    outcomes = []

    def post():
        try:
            barrier.wait()
            created, _ = revenue_events_ingest(rows=[EventInput(**row)], today=TODAY)
            outcomes.append("created" if created else "skipped")
        except Conflict:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert RevenueEvent.objects.count() == 1
    assert sorted(outcomes) in (["conflict", "created"], ["created", "skipped"])


@pytest.mark.django_db
def test_hold_periods_are_data(ingest):
    HoldPolicy.objects.update_or_create(stream="live_gifts", defaults={"hold_days": 3})
    creator = creator_on_plan(streams=["live_gifts"])
    event = ingest(creator, stream="live_gifts", gross="10.00", on=dt.date(2025, 3, 1))
    assert event.locks_on == dt.date(2025, 3, 4)
    assert HoldPolicy.objects.count() == 6


@pytest.mark.django_db
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE billing_revenueevent SET gross_minor = gross_minor + 1",
        "UPDATE billing_revenueevent SET currency = 'EUR'",
        "UPDATE billing_revenueevent SET occurred_on = occurred_on + 1",
        "UPDATE billing_revenueevent SET posted_at = NULL",
        "DELETE FROM billing_revenueevent",
    ],
)
def test_a_posted_events_facts_cannot_change(ingest, sql):
    event = ingest(creator_on_plan(streams=["brand_deal"]), gross="10.00")
    with (
        pytest.raises(DatabaseError, match="Cannot"),
        transaction.atomic(),
        connection.cursor() as cur,
    ):
        cur.execute(sql)
    RevenueEvent.objects.filter(pk=event.pk).update(status="locked")  # status may move
    event.refresh_from_db()
    assert (event.gross_minor, event.status) == (1000, "locked")
