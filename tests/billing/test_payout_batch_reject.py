"""Rejecting a payout batch: finance, not its preparer; the reserved money is payable again."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from agency.errors import ApplicationError, Conflict
from agency.models import StateChange
from agency.states import transition
from billing.models import Account, Payout, PayoutBatch, RevenueEvent, StatementLine
from billing.services import payouts as svc
from tests.billing.helpers import balance, creator_on_plan
from tests.billing.test_payouts import _payable
from tests.conftest import staff_login
from tests.factories.agency import StaffUserFactory
from tests.factories.billing import finance_user

pytestmark = pytest.mark.django_db


def _batch(ingest):
    creator = creator_on_plan(streams=["brand_deal"])
    event = _payable(ingest(creator, gross="1000.00"))  # 800.00 payable
    maker = finance_user("maker")
    return creator, event, maker, svc.payout_batch_prepare(currency="USD", prepared_by=maker)


def test_rejecting_releases_the_reserve_so_the_creator_is_payable_again(ingest):
    creator, event, maker, batch = _batch(ingest)
    assert balance(Account.Kind.CREATOR_PAYABLE, "USD", creator=creator) == 0
    checker = finance_user("checker")
    svc.payout_batch_reject(batch=batch, rejected_by=checker, note="wrong week")
    batch.refresh_from_db()
    payout = batch.payouts.get()
    assert (batch.status, payout.status) == ("rejected", "reversed")
    assert balance(Account.Kind.CREATOR_PAYABLE, "USD", creator=creator) == 80000
    assert balance(Account.Kind.PAYOUTS_IN_TRANSIT, "USD") == 0
    event.refresh_from_db()
    assert event.status == RevenueEvent.Status.PAYABLE and event.payout_id is None
    assert StatementLine.objects.get(kind="payout_reversal").net_minor == 80000
    audit = StateChange.objects.filter(object_id=batch.pk, to_state="rejected").get()
    assert (audit.from_state, audit.actor, audit.note) == ("draft", checker, "wrong week")
    # twice: nothing more; and the next batch pays the released money
    svc.payout_batch_reject(batch=batch, rejected_by=checker)
    assert StatementLine.objects.filter(kind="payout_reversal").count() == 1
    again = svc.payout_batch_prepare(currency="USD", prepared_by=maker)
    assert again.payouts.get().amount_minor == 80000


def test_only_finance_other_than_the_preparer_rejects_and_only_a_draft(ingest):
    _, _, maker, batch = _batch(ingest)
    with pytest.raises(ApplicationError, match="rejected by someone other"):
        svc.payout_batch_reject(batch=batch, rejected_by=maker)
    with pytest.raises(ApplicationError, match="finance"):
        svc.payout_batch_reject(batch=batch, rejected_by=StaffUserFactory())
    svc.payout_batch_approve(batch=batch, approved_by=finance_user("checker"))
    with pytest.raises(Conflict):
        svc.payout_batch_reject(batch=batch, rejected_by=finance_user("other"))
    assert PayoutBatch.objects.get(pk=batch.pk).status == "approved"


def test_the_database_allows_draft_to_rejected_only(ingest):
    _, _, _, batch = _batch(ingest)
    svc.payout_batch_approve(batch=batch, approved_by=finance_user("checker"))
    with (
        pytest.raises(DatabaseError, match="Invalid transition"),
        transaction.atomic(),
        connection.cursor() as cur,
    ):
        cur.execute("UPDATE billing_payoutbatch SET status = 'rejected' WHERE id = %s", [batch.pk])


def test_finance_rejects_from_the_batch_page_next_to_approve(client, ingest):
    _, _, _, batch = _batch(ingest)
    page_url = reverse("admin:billing_payoutbatch_change", args=[batch.pk])
    reject = reverse("admin:billing_payoutbatch_object_action", args=[batch.pk, "reject"])
    staff_login(client, finance_user("checker"))
    page = client.get(page_url).content.decode()
    assert "Approve batch" in page and f'href="{reject}"' in page and "Reject batch" in page
    assert client.get(reject).status_code == 200  # a confirmation page first
    assert PayoutBatch.objects.get(pk=batch.pk).status == "draft"
    done = client.post(reject, follow=True)
    assert "Batches rejected: 1." in done.content.decode()
    assert PayoutBatch.objects.get(pk=batch.pk).status == "rejected"
    assert Payout.objects.get(batch=batch).status == "reversed"


def test_transition_refuses_an_undeclared_move_and_audits_a_legal_one(ingest):
    _payable(ingest(creator_on_plan(streams=["brand_deal"]), gross="1000.00"))
    batch = svc.payout_batch_prepare(currency="USD", prepared_by=finance_user("m"))
    payout = batch.payouts.get()
    with pytest.raises(Conflict, match="from draft to sent"):
        transition(payout, "sent")
    actor = finance_user("c")
    moved = transition(payout, "approved", actor=actor, note="ok")
    assert moved.moved and moved.from_state == "draft" and moved.obj.status == "approved"
    again = transition(payout, "approved", idempotent=True)
    assert not again.moved
    row = StateChange.objects.get(object_id=payout.pk, to_state="approved")
    assert (row.actor, row.note, row.from_state) == (actor, "ok", "draft")
