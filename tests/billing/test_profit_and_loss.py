"""The agency's own revenue (no creator) reaches the ledger, and the profit and loss by stream
and month agrees with the ledger to the minor unit (admin page and CSV for finance)."""

import datetime as dt

import pytest
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from billing import reports
from billing.models import Account, LedgerLeg
from billing.services.agency_revenue import agency_revenue_post
from billing.verification import ledger_verify
from campaigns.services.invoices import (
    invoice_draft_create,
    invoice_issue,
    invoice_line_add,
    invoice_payment_record,
    invoice_void,
)
from tests.billing.helpers import balance, creator_on_plan
from tests.conftest import staff_login
from tests.factories.agency import StaffUserFactory
from tests.factories.billing import finance_user
from tests.factories.campaigns import BrandFactory

pytestmark = pytest.mark.django_db


def _retainer(amount_minor: int, key: str):
    """An invoice line billing a retainer with no creator: the agency's revenue alone."""
    invoice = invoice_draft_create(brand=BrandFactory(), currency="USD")
    invoice_line_add(
        invoice=invoice, description="Retainer", amount_minor=amount_minor, source_key=key
    )
    return invoice_issue(invoice=invoice)


def _agency_revenue_in_ledger() -> dict[str, int]:
    return dict(
        LedgerLeg.objects.filter(account__kind=Account.Kind.AGENCY_REVENUE)
        .values("currency")
        .annotate(s=Sum("amount_minor"))
        .values_list("currency", "s")
    )


def test_a_retainer_with_no_creator_posts_to_the_ledger_once_and_its_cash_clears_it():
    invoice = _retainer(150000, "retainer:1")
    invoice_issue(invoice=invoice)  # issuing again books nothing more
    assert balance(Account.Kind.AGENCY_REVENUE, "USD") == 150000
    assert balance(Account.Kind.BRAND_RECEIVABLE, "USD") == -150000
    invoice_payment_record(invoice=invoice, paid_on=timezone.localdate())
    assert balance(Account.Kind.BRAND_RECEIVABLE, "USD") == 0
    assert balance(Account.Kind.CASH, "USD") == -150000
    assert ledger_verify() == []


def test_voiding_an_unpaid_invoice_takes_the_revenue_back():
    invoice = _retainer(20000, "retainer:2")
    invoice_void(invoice=invoice)
    assert balance(Account.Kind.AGENCY_REVENUE, "USD") == 0
    assert ledger_verify() == []


def test_profit_and_loss_by_stream_and_month_matches_the_ledger(ingest):
    creator = creator_on_plan(rate="0.20", streams=["brand_deal", "affiliate"])
    sale = ingest(creator, gross="1000.00", on=dt.date(2025, 3, 10))  # agency 200.00
    ingest(creator, gross="100.00", kind="refund", refund_of=sale, on=dt.date(2025, 4, 2))
    ingest(creator, stream="affiliate", gross="333.33", on=dt.date(2025, 4, 5))  # 66.67 (rounded)
    agency_revenue_post(
        stream="agency_service", source="ad-fee:7", currency="EUR", amount_minor=12345,
        occurred_on=dt.date(2025, 4, 30),
    )  # fmt: skip
    _retainer(150000, "retainer:3")  # this month
    rows = reports.profit_and_loss(start=dt.date(2025, 1, 1), end=dt.date(2100, 1, 1))
    got = {(f"{r.month:%Y-%m}", r.stream, r.currency): r.amount_minor for r in rows}
    assert got[("2025-03", "brand_deal", "USD")] == 20000
    assert got[("2025-04", "brand_deal", "USD")] == -2000
    assert got[("2025-04", "agency_service", "EUR")] == 12345
    assert got[(f"{timezone.localdate():%Y-%m}", "agency_service", "USD")] == 150000
    totals: dict[str, int] = {}
    for r in rows:
        totals[r.currency] = totals.get(r.currency, 0) + r.amount_minor
    assert totals == _agency_revenue_in_ledger()  # to the minor unit
    assert ledger_verify() == []


def test_finance_sees_the_profit_and_loss_in_the_admin_and_exports_it(client):
    agency_revenue_post(
        stream="agency_service", source="ad-fee:8", currency="USD", amount_minor=123456,
        occurred_on=dt.date(2025, 4, 30),
    )  # fmt: skip
    staff_login(client, finance_user("fin"))
    url = reverse("admin:billing_profit_and_loss") + "?start=2025-01&end=2025-06"
    page = client.get(url).content.decode()
    assert "agency_service" in page and "1,234.56" in page
    csv = client.get(url + "&format=csv").content.decode()
    assert "2025-04,agency_service,USD,1234.56" in csv


def test_the_profit_and_loss_is_finances(client):
    user = StaffUserFactory()
    client.force_login(user)
    assert client.get(reverse("admin:billing_profit_and_loss")).status_code in (302, 403)
