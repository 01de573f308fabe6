"""Payouts: minimum, holds, maker-checker by finance, state machine, concurrency."""

import datetime as dt
import threading

import pytest
from django.db import DatabaseError, connection, transaction

from agency.errors import ApplicationError, Conflict
from billing.models import Account, Payout, RevenueEvent, StatementLine
from billing.services import payouts as svc
from billing.services.events import revenue_event_cash_receive, revenue_events_lock_due
from tests.billing.helpers import balance, creator_on_plan
from tests.factories.agency import StaffUserFactory
from tests.factories.billing import finance_user


def _payable(event: RevenueEvent) -> RevenueEvent:
    revenue_events_lock_due(today=event.locks_on)
    return revenue_event_cash_receive(event=event, received_on=event.locks_on)


@pytest.mark.django_db
def test_hold_period_then_cash_make_an_event_payable(ingest):
    creator = creator_on_plan(streams=["affiliate"])
    event = ingest(creator, stream="affiliate", gross="100.00", on=dt.date(2025, 3, 1))
    assert event.status == "pending" and event.locks_on == dt.date(2025, 4, 15)  # 45 days
    assert revenue_events_lock_due(today=dt.date(2025, 4, 14)) == 0
    assert revenue_events_lock_due(today=dt.date(2025, 4, 15)) == 1
    event.refresh_from_db()
    assert event.status == "locked"
    event = revenue_event_cash_receive(event=event, received_on=dt.date(2025, 4, 20))
    assert event.status == "payable"
    assert balance(Account.Kind.CASH, "USD") == -10000
    assert balance(Account.Kind.PLATFORM_RECEIVABLE, "USD") == 0


@pytest.mark.django_db
def test_batch_pays_only_what_is_available_above_the_minimum(ingest):
    rich = creator_on_plan(streams=["brand_deal"])
    _payable(ingest(rich, gross="1000.00"))  # 800.00 payable
    ingest(rich, gross="500.00", on=dt.date(2025, 3, 20))  # 400.00 still in its hold period
    poor = creator_on_plan(streams=["brand_deal"])
    _payable(ingest(poor, gross="60.00"))  # 48.00: below the 50.00 minimum
    maker = finance_user("maker")
    batch = svc.payout_batch_prepare(currency="USD", prepared_by=maker)
    payouts = list(batch.payouts.all())
    assert [(p.creator_id, p.amount_minor) for p in payouts] == [(rich.pk, 80000)]
    assert balance(Account.Kind.CREATOR_PAYABLE, "USD", creator=rich) == 40000
    assert balance(Account.Kind.PAYOUTS_IN_TRANSIT, "USD") == 80000
    assert StatementLine.objects.get(kind="payout").net_minor == -80000


@pytest.mark.django_db
def test_maker_checker_and_the_full_happy_path(ingest):
    creator = creator_on_plan(streams=["brand_deal"])
    event = _payable(ingest(creator, gross="1000.00"))
    maker, checker = finance_user("maker"), finance_user("checker")
    batch = svc.payout_batch_prepare(currency="USD", prepared_by=maker)
    with pytest.raises(ApplicationError, match="someone other"):
        svc.payout_batch_approve(batch=batch, approved_by=maker)
    with pytest.raises(ApplicationError, match="finance"):
        svc.payout_batch_approve(batch=batch, approved_by=StaffUserFactory())
    svc.payout_batch_approve(batch=batch, approved_by=checker)
    payout = batch.payouts.get()
    assert payout.status == "approved"
    svc.payout_send(payout_id=payout.pk)
    svc.payout_send(payout_id=payout.pk)  # twice: sent once
    paid = svc.payout_mark_paid(payout_id=payout.pk)
    assert svc.payout_mark_paid(payout_id=payout.pk).status == paid.status == "paid"
    event.refresh_from_db()
    assert event.status == "paid"
    assert balance(Account.Kind.PAYOUTS_IN_TRANSIT, "USD") == 0
    assert balance(Account.Kind.CREATOR_PAYABLE, "USD", creator=creator) == 0


@pytest.mark.django_db
def test_failed_payout_is_reversed_back_to_the_payable(ingest):
    creator = creator_on_plan(streams=["brand_deal"])
    event = _payable(ingest(creator, gross="1000.00"))
    batch = svc.payout_batch_prepare(currency="USD", prepared_by=finance_user("a"))
    svc.payout_batch_approve(batch=batch, approved_by=finance_user("b"))
    payout = batch.payouts.get()
    with pytest.raises(Conflict):
        svc.payout_reverse(payout_id=payout.pk)  # approved -> reversed is not a transition
    svc.payout_send(payout_id=payout.pk)
    svc.payout_mark_failed(payout_id=payout.pk)
    svc.payout_reverse(payout_id=payout.pk)
    assert svc.payout_reverse(payout_id=payout.pk).status == "reversed"
    assert balance(Account.Kind.CREATOR_PAYABLE, "USD", creator=creator) == 80000
    event.refresh_from_db()
    assert event.status == "payable" and event.payout_id is None
    assert StatementLine.objects.get(kind="payout_reversal").net_minor == 80000


@pytest.mark.django_db
def test_database_refuses_illegal_payout_transitions(ingest):
    creator = creator_on_plan(streams=["brand_deal"])
    _payable(ingest(creator, gross="1000.00"))
    payout = svc.payout_batch_prepare(currency="USD").payouts.get()
    with (
        pytest.raises(DatabaseError, match="Invalid transition"),
        transaction.atomic(),
        connection.cursor() as cur,
    ):
        cur.execute("UPDATE billing_payout SET status = 'paid' WHERE id = %s", [payout.pk])


@pytest.mark.django_db
def test_negative_balance_carries_forward_and_blocks_payouts(ingest):
    creator = creator_on_plan(streams=["brand_deal"])
    sale = _payable(ingest(creator, gross="1000.00"))
    batch = svc.payout_batch_prepare(currency="USD", prepared_by=finance_user("m"))
    assert batch.payouts.get().amount_minor == 80000
    ingest(creator, gross="500.00", kind="refund", refund_of=sale, on=dt.date(2025, 3, 25))
    assert balance(Account.Kind.CREATOR_PAYABLE, "USD", creator=creator) == -40000
    assert svc.payout_batch_prepare(currency="USD") is None
    with pytest.raises(Conflict):
        svc.payout_create(
            batch=svc.payout_batch_create(currency="USD"), creator=creator, amount_minor=5000
        )


@pytest.mark.django_db(transaction=True)
def test_concurrent_payouts_never_exceed_the_balance(ingest):
    """100.00 available; two threads each try to pay 60.00: exactly one succeeds."""
    creator = creator_on_plan(rate="0", streams=["brand_deal"])
    _payable(ingest(creator, gross="100.00"))
    batches = [svc.payout_batch_create(currency="USD") for _ in range(2)]
    barrier = threading.Barrier(2)
    results: list[str] = []

    def attempt(batch):
        try:
            barrier.wait()
            svc.payout_create(batch=batch, creator=creator, amount_minor=6000)
            results.append("ok")
        except Conflict:
            results.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(b,)) for b in batches]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["conflict", "ok"]
    assert Payout.objects.count() == 1
    assert balance(Account.Kind.CREATOR_PAYABLE, "USD", creator=creator) == 4000


@pytest.mark.django_db
def test_payout_state_changes_are_recorded_in_history(ingest):
    creator = creator_on_plan(streams=["brand_deal"])
    _payable(ingest(creator, gross="1000.00"))
    batch = svc.payout_batch_prepare(currency="USD", prepared_by=finance_user("p"))
    svc.payout_batch_approve(batch=batch, approved_by=finance_user("q"))
    payout = batch.payouts.get()
    svc.payout_send(payout_id=payout.pk)
    states = list(payout.history.order_by("pgh_id").values_list("status", flat=True))
    assert states == ["draft", "approved", "sent"]
