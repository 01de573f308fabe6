"""Query counts of the payout write paths, pinned (a change that adds queries per payout
shows up here)."""

import pytest
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing.services import payouts as svc
from tests.billing.helpers import creator_on_plan
from tests.billing.test_payouts import _payable
from tests.factories.billing import finance_user

pytestmark = pytest.mark.django_db


def _batch(ingest, creators: int):
    for _ in range(creators):
        _payable(ingest(creator_on_plan(streams=["brand_deal"]), gross="1000.00"))
    return svc.payout_batch_prepare(currency="USD", prepared_by=finance_user("maker"))


def _count(fn) -> int:
    """Queries of ``fn`` with the content-type cache warm (audit rows name their model), as
    in a running process, so the count does not depend on which tests ran before."""
    ContentType.objects.get_for_models(*apps.get_models())
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


@pytest.mark.parametrize("n", [1, 3])
def test_approving_a_batch_costs_a_fixed_number_plus_four_per_payout(ingest, n):
    batch = _batch(ingest, n)
    checker = finance_user("checker")
    assert _count(lambda: svc.payout_batch_approve(batch=batch, approved_by=checker)) == (
        APPROVE_BASE + APPROVE_PER_PAYOUT * n
    )


@pytest.mark.parametrize("n", [1, 3])
def test_rejecting_a_batch_costs_a_fixed_number_plus_a_few_per_payout(ingest, n):
    batch = _batch(ingest, n)
    checker = finance_user("checker")
    assert _count(lambda: svc.payout_batch_reject(batch=batch, rejected_by=checker)) == (
        REJECT_BASE + REJECT_PER_PAYOUT * n
    )


def test_sending_a_payout_is_a_lock_a_save_and_an_audit_row(ingest):
    batch = _batch(ingest, 1)
    svc.payout_batch_approve(batch=batch, approved_by=finance_user("checker"))
    payout = batch.payouts.get()
    assert _count(lambda: svc.payout_send(payout_id=payout.pk)) == SEND
    assert _count(lambda: svc.payout_send(payout_id=payout.pk)) == SEND_AGAIN


APPROVE_BASE, APPROVE_PER_PAYOUT = 9, 4
REJECT_BASE, REJECT_PER_PAYOUT = 9, 23
SEND, SEND_AGAIN = 7, 5  # savepoints included
