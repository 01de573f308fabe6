"""Billing jobs, called as plain functions."""

import datetime as dt
import threading

import pytest
from django.db import connection, transaction

from agency.locks import try_advisory_lock
from billing import tasks
from billing.models import Payout, PayoutBatch, RevenueEvent, Statement
from billing.services.events import revenue_event_cash_receive
from billing.services.payouts import payout_batch_approve, payout_send
from tests.billing.helpers import creator_on_plan
from tests.factories.billing import finance_user


@pytest.mark.django_db
def test_lock_close_prepare_send_chain(ingest):
    creator = creator_on_plan(streams=["creator_fund"])
    event = ingest(creator, stream="creator_fund", gross="500.00", on=dt.date(2025, 3, 5))
    assert tasks.billing_lock_due_events(today="2025-04-03") == 0  # 30-day hold not over
    assert tasks.billing_lock_due_events(today="2025-04-04") == 1
    assert tasks.billing_lock_due_events(today="2025-04-04") == 0  # twice: no-op
    revenue_event_cash_receive(
        event=RevenueEvent.objects.get(pk=event.pk), received_on=dt.date(2025, 4, 5)
    )

    assert tasks.billing_close_due_statements(today="2025-04-02") == 1
    assert tasks.billing_close_due_statements(today="2025-04-02") == 0
    assert Statement.objects.get(creator=creator).status == "closed"

    batch_ids = tasks.billing_prepare_payout_batches()
    assert len(batch_ids) == 1
    assert tasks.billing_prepare_payout_batches() == []  # the money is reserved already
    payout = Payout.objects.get(batch_id=batch_ids[0])
    assert payout.amount_minor == 40000

    payout_batch_approve(
        batch=PayoutBatch.objects.get(pk=batch_ids[0]), approved_by=finance_user("f")
    )
    assert tasks.billing_send_approved_batches() == 1
    assert payout_send(payout_id=payout.pk).status == "sent"  # by id, twice: still sent once
    assert tasks.billing_send_approved_batches() == 0


@pytest.mark.django_db(transaction=True)
def test_a_periodic_job_running_twice_at_once_runs_once():
    holding, release = threading.Event(), threading.Event()

    def hold_lock():
        with transaction.atomic():
            assert try_advisory_lock("billing", "close_due_statements")
            holding.set()
            release.wait(5)
        connection.close()

    thread = threading.Thread(target=hold_lock)
    thread.start()
    holding.wait(5)
    try:
        assert tasks.billing_close_due_statements(today="2025-04-02") == 0
    finally:
        release.set()
        thread.join()
