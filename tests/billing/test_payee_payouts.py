"""Talent managers and sub-agencies are paid like creators: the same payout batches, the
minimum, finance's four eyes, exactly once, never above the balance, nothing still held;
their monthly statements come from their payable accounts (admin, and the sub-agency's API)."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from agency.errors import ApplicationError, Conflict
from billing import selectors
from billing.models import Account, Payout
from billing.payees import Payee
from billing.services import payouts as svc
from billing.verification import ledger_verify
from tests.billing.helpers import balance, creator_on_plan
from tests.billing.test_payouts import _payable
from tests.conftest import staff_login
from tests.factories.billing import finance_user

pytestmark = pytest.mark.django_db

ON = dt.date(2025, 3, 10)


def _three_payees(ingest, sub_agency=None, gross="10000.00", payable=True):
    """A creator whose agency commission (20 %) is shared half with the manager and a
    quarter with the sub-agency: on 10,000.00, manager 1,000.00 and sub-agency 500.00."""
    creator = creator_on_plan(
        rate="0.20",
        manager_share="0.50",
        sub_agency_share="0.25",
        streams=["brand_deal"],
        sub_agency=sub_agency,
    )
    event = ingest(creator, gross=gross, on=ON)
    if payable:
        _payable(event)
    return creator


def test_one_batch_pays_the_creator_the_manager_and_the_sub_agency_once(ingest):
    creator = _three_payees(ingest)
    manager, guild = creator.talent_manager, creator.sub_agency
    assert balance(Account.Kind.MANAGER_PAYABLE, "USD", manager=manager) == 100000
    assert balance(Account.Kind.SUB_AGENCY_PAYABLE, "USD", sub_agency=guild) == 50000

    maker, checker = finance_user("a"), finance_user("b")
    batch = svc.payout_batch_prepare(currency="USD", prepared_by=maker)
    paid = {str(Payee.of(p)): p.amount_minor for p in batch.payouts.all()}
    assert paid == {
        f"creator {creator}": 800000,
        f"talent manager {manager}": 100000,
        f"sub-agency {guild}": 50000,
    }
    assert svc.payout_batch_prepare(currency="USD", prepared_by=maker) is None  # reserved
    with pytest.raises(ApplicationError):
        svc.payout_batch_approve(batch=batch, approved_by=maker)
    svc.payout_batch_approve(batch=batch, approved_by=checker)
    for payout in batch.payouts.all():
        svc.payout_send(payout_id=payout.pk)
        svc.payout_mark_paid(payout_id=payout.pk, actor=checker)
    assert balance(Account.Kind.MANAGER_PAYABLE, "USD", manager=manager) == 0
    assert balance(Account.Kind.SUB_AGENCY_PAYABLE, "USD", sub_agency=guild) == 0
    assert ledger_verify() == []


def test_held_cuts_and_amounts_below_the_minimum_are_not_paid(ingest):
    held = _three_payees(ingest, payable=False)  # cash not received yet
    small = _three_payees(ingest, gross="600.00")  # manager 60.00, sub-agency 30.00 (< 50)
    batch = svc.payout_batch_prepare(currency="USD", prepared_by=finance_user("a"))
    payees = {Payee.of(p).key for p in batch.payouts.all()}
    assert f"manager:{small.talent_manager.pk}" in payees
    assert f"sub_agency:{small.sub_agency.pk}" not in payees  # below the minimum
    assert f"manager:{held.talent_manager.pk}" not in payees  # still held
    assert f"sub_agency:{held.sub_agency.pk}" not in payees


def test_a_payout_never_exceeds_the_balance(ingest):
    creator = _three_payees(ingest)
    batch = svc.payout_batch_create(currency="USD", prepared_by=finance_user("a"))
    payee = Payee(manager=creator.talent_manager)
    with pytest.raises(Conflict):
        svc.payout_create(batch=batch, payee=payee, amount_minor=100001)
    payout = svc.payout_create(batch=batch, payee=payee, amount_minor=60000)
    assert svc.payout_create(batch=batch, payee=payee) == payout  # once per batch
    assert Payout.objects.filter(manager=creator.talent_manager).count() == 1


def test_the_sub_agency_statement_matches_its_payable_and_is_scoped(
    ingest, sub_agency_client, other_sub_agency_client
):
    creator = _three_payees(ingest, sub_agency=sub_agency_client.partner)
    batch = svc.payout_batch_prepare(currency="USD", prepared_by=finance_user("a"))
    assert batch.payouts.filter(sub_agency=creator.sub_agency).exists()
    account = Account.objects.get(
        kind=Account.Kind.SUB_AGENCY_PAYABLE, sub_agency=creator.sub_agency
    )
    month = timezone.localdate().replace(day=1)
    statement = selectors.payee_statement(account=account, period=month)
    assert [line.amount_minor for line in statement.lines] == [50000, -50000]
    assert statement.closing_minor == account.balance_minor == 0

    url = f"/api/v1/sub-agency-statements/?period={month:%Y-%m}"
    body = sub_agency_client.get(url).json()
    assert [s["currency"] for s in body] == ["USD"]
    assert [line["amount"]["amount"] for line in body[0]["lines"]] == ["500.00", "-500.00"]
    assert other_sub_agency_client.get(url).json() == []
    bad = sub_agency_client.get("/api/v1/sub-agency-statements/?period=2025-13")
    assert bad.status_code == 400 and "period" in bad.json()["error"]["fields"]


def test_finance_reads_a_managers_statement_in_the_admin(client, ingest):
    creator = _three_payees(ingest)
    account = Account.objects.get(kind=Account.Kind.MANAGER_PAYABLE, manager=creator.talent_manager)
    staff_login(client, finance_user("a"))
    url = reverse("admin:billing_account_statement", args=[account.pk])
    page = client.get(url).content.decode()
    assert "1,000.00" in page and "Closing balance" in page
    csv = client.get(url + f"?period={timezone.localdate():%Y-%m}&format=csv")
    assert csv["Content-Type"] == "text/csv" and "1000.00" in csv.content.decode()
    creator_account = Account.objects.get(kind=Account.Kind.CREATOR_PAYABLE, creator=creator)
    assert (
        client.get(
            reverse("admin:billing_account_statement", args=[creator_account.pk])
        ).status_code
        == 404
    )
