"""Admin wiring: read-only ledger, exports, approval actions calling the services."""

import csv
import datetime as dt
import io

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from agency import roles
from agency.errors import ApplicationError
from billing.models import CommissionPlan, Payout, PayoutBatch, Statement
from billing.services.payouts import (
    payout_batch_approve,
    payout_batch_prepare,
    payout_mark_failed,
    payout_reverse,
    payout_send,
)
from billing.services.plans import commission_plan_propose
from billing.services.statements import statement_close
from tests.billing.helpers import creator_on_plan
from tests.billing.test_payouts import _payable
from tests.conftest import staff_login
from tests.factories.agency import StaffUserFactory
from tests.factories.billing import finance_user

pytestmark = pytest.mark.django_db


def test_ledger_admin_is_read_only(admin_client, ingest):
    ingest(creator_on_plan(), gross="10.00")
    assert (
        admin_client.get(reverse("admin:billing_ledgertransaction_changelist")).status_code == 200
    )
    assert admin_client.get(reverse("admin:billing_ledgertransaction_add")).status_code == 403
    assert admin_client.get("/admin/billing/ledgerleg/").status_code == 404  # not registered
    assert admin_client.get(reverse("admin:billing_account_add")).status_code == 403


def test_statement_exports(admin_client, ingest):
    creator = creator_on_plan()
    ingest(creator, gross="1000.00")
    statement = statement_close(creator=creator, period=dt.date(2025, 3, 1))
    url = reverse("admin:billing_statement_changelist")
    response = admin_client.post(url, {"action": "export_csv", "_selected_action": [statement.pk]})
    assert response["Content-Type"] == "text/csv"
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[1] == ["opening balance", "USD 0.00"]
    assert rows[3][4] == "1000.00" and rows[3][-1] == "800.00"
    assert rows[-1] == ["closing balance", "USD 800.00"]
    pdf = admin_client.post(url, {"action": "export_pdf", "_selected_action": [statement.pk]})
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert (
        admin_client.get(reverse("admin:billing_statement_change", args=[statement.pk])).status_code
        == 200
    )
    assert Statement.objects.count() == 1


def test_batch_approve_action_needs_a_second_finance_user(client, ingest):
    _payable(ingest(creator_on_plan(), gross="1000.00"))
    maker, checker = finance_user("maker"), finance_user("checker")
    batch = payout_batch_prepare(currency="USD", prepared_by=maker)
    url = reverse("admin:billing_payoutbatch_changelist")
    staff_login(client, maker)
    client.post(url, {"action": "approve", "_selected_action": [batch.pk]})
    assert PayoutBatch.objects.get(pk=batch.pk).status == "draft"
    staff_login(client, checker)
    client.post(url, {"action": "approve", "_selected_action": [batch.pk]})
    assert PayoutBatch.objects.get(pk=batch.pk).status == "approved"


@pytest.mark.parametrize(
    "model",
    [
        "account",
        "ledgertransaction",
        "revenueevent",
        "importbatch",
        "holdpolicy",
        "exchangerate",
        "commissionplan",
        "statement",
        "payoutbatch",
        "payout",
        "advance",
        "recoupableexpense",
    ],
)
def test_every_billing_changelist_renders(admin_client, ingest, model):
    creator = creator_on_plan()
    _payable(ingest(creator, gross="100.00"))
    payout_batch_prepare(currency="USD", prepared_by=finance_user("m"))
    response = admin_client.get(reverse(f"admin:billing_{model}_changelist"))
    assert response.status_code == 200


def _action(client, model: str, action: str, pks: list[int]):
    url = reverse(f"admin:billing_{model}_changelist")
    return client.post(url, {"action": action, "_selected_action": pks, "index": 0}, follow=True)


def _sent_payout(ingest):
    """A sent payout of a batch ``maker`` prepared and ``checker`` approved (finance both)."""
    _payable(ingest(creator_on_plan(), gross="1000.00"))
    maker, checker = finance_user("maker"), finance_user("checker")
    batch = payout_batch_prepare(currency="USD", prepared_by=maker)
    payout_batch_approve(batch=batch, approved_by=checker)
    payout = batch.payouts.get()
    payout_send(payout_id=payout.pk)
    return payout, maker, checker


def test_payouts_are_settled_by_finance_and_never_by_their_batch_preparer(client, ingest):
    payout, maker, checker = _sent_payout(ingest)

    staff_login(client, maker)
    page = _action(client, "payout", "mark_paid", [payout.pk]).content.decode()
    assert "The preparer of a payout batch cannot settle its payouts." in page
    assert Payout.objects.get(pk=payout.pk).status == "sent"

    superuser = StaffUserFactory(username="root", is_superuser=True)  # no finance role
    staff_login(client, superuser)
    listing = client.get(reverse("admin:billing_payout_changelist")).content.decode()
    assert 'value="mark_paid"' not in listing and 'value="approve"' not in listing
    _action(client, "payout", "mark_paid", [payout.pk])
    assert Payout.objects.get(pk=payout.pk).status == "sent"

    staff_login(client, checker)
    page = _action(client, "payout", "mark_paid", [payout.pk]).content.decode()
    assert "Payouts paid: 1." in page
    assert Payout.objects.get(pk=payout.pk).status == "paid"


def test_the_settle_service_checks_the_person_too(ingest):
    payout, maker, checker = _sent_payout(ingest)
    with pytest.raises(ApplicationError, match="finance"):
        payout_mark_failed(payout_id=payout.pk, actor=StaffUserFactory(username="clerk"))
    with pytest.raises(ApplicationError, match="preparer"):
        payout_mark_failed(payout_id=payout.pk, actor=maker)
    assert payout_mark_failed(payout_id=payout.pk, actor=checker).status == "failed"
    with pytest.raises(ApplicationError, match="preparer"):
        payout_reverse(payout_id=payout.pk, actor=maker)
    assert payout_reverse(payout_id=payout.pk, actor=checker).status == "reversed"


def test_a_plan_is_approved_by_finance_but_never_by_its_maker(client):
    contract = creator_on_plan().contracts.get()
    maker, checker = finance_user("plan.maker"), finance_user("plan.checker")
    plan = commission_plan_propose(
        contract=contract,
        stream="live_gifts",
        effective_from=contract.starts_on + dt.timedelta(days=31),
        agency_rate="0.25",
        created_by=maker,
    )
    staff_login(client, maker)
    page = _action(client, "commissionplan", "approve", [plan.pk]).content.decode()
    assert "approved by someone other than its maker" in page
    assert CommissionPlan.objects.get(pk=plan.pk).status == "pending"

    proposer = StaffUserFactory(username="agency.admin")
    proposer.groups.add(Group.objects.get(name=roles.AGENCY_ADMIN))
    staff_login(client, proposer)  # may propose plans, not approve them
    listing = client.get(reverse("admin:billing_commissionplan_changelist")).content.decode()
    assert 'value="approve"' not in listing

    staff_login(client, checker)
    page = _action(client, "commissionplan", "approve", [plan.pk]).content.decode()
    assert "Plans approved: 1." in page
    assert CommissionPlan.objects.get(pk=plan.pk).status == "approved"


def test_finance_lands_on_its_work_not_on_no_permission(client):
    staff_login(client, finance_user("finance.ben"))
    page = client.get(reverse("admin:index")).content.decode()
    assert "have permission to view or edit anything" not in page
    for section in ("Payout batches", "Statements", "Commission plans", "Exchange rates"):
        assert section in page
    assert client.get(reverse("admin:billing_payoutbatch_changelist")).status_code == 200
    assert client.get(reverse("admin:billing_ledgertransaction_changelist")).status_code == 200
