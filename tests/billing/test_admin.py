"""Admin wiring: read-only ledger, exports, approval actions calling the services."""

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse

from billing.models import PayoutBatch, Statement
from billing.services.payouts import payout_batch_prepare
from billing.services.statements import statement_close
from tests.billing.helpers import creator_on_plan
from tests.billing.test_payouts import _payable
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
    assert rows[1] == ["opening balance", "0.00 USD"]
    assert rows[3][4] == "1000.00" and rows[3][-1] == "800.00"
    assert rows[-1] == ["closing balance", "800.00 USD"]
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
    for user in (maker, checker):
        user.is_superuser = True
        user.save()
    batch = payout_batch_prepare(currency="USD", prepared_by=maker)
    url = reverse("admin:billing_payoutbatch_changelist")
    client.force_login(maker)
    client.post(url, {"action": "approve", "_selected_action": [batch.pk]})
    assert PayoutBatch.objects.get(pk=batch.pk).status == "draft"
    client.force_login(checker)
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
