import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from agency.errors import ApplicationError, Conflict
from agency.models import WebhookDelivery
from agency.webhooks import webhook_endpoint_create
from billing.models import RevenueEvent
from billing.services.events import revenue_events_lock_due
from campaigns.models import Invoice, InvoiceSeries, ServiceAgreement, ServiceUnit
from campaigns.services.invoices import (
    invoice_draft_create,
    invoice_issue,
    invoice_line_add,
    invoice_payment_record,
    invoice_void,
)
from campaigns.services.operations import (
    ad_rebate_book,
    ad_spend_record,
    client_month_invoice_draft,
)
from campaigns.tasks import campaigns_close_last_month, campaigns_flag_overdue_invoices
from tests.factories.campaigns import (
    AdAccountFactory,
    BrandFactory,
    LiveSessionFactory,
    ServiceAgreementFactory,
)
from tests.factories.creators import PlatformAccountFactory

pytestmark = pytest.mark.django_db
OCT = dt.date(2026, 10, 1)


def _draft(brand=None, amount=100_00, key=None):
    invoice = invoice_draft_create(brand=brand or BrandFactory(), currency="USD")
    invoice_line_add(
        invoice=invoice,
        description="Item",
        amount_minor=amount,
        source_key=key or f"t:{invoice.pk}",
    )
    return invoice


def test_issue_numbers_in_sequence_and_sets_the_due_date_from_net_terms():
    brand = BrandFactory(default_net_days=45)
    first = invoice_issue(invoice=_draft(brand), on=dt.date(2026, 10, 31))
    second = invoice_issue(invoice=_draft(brand), on=dt.date(2026, 11, 1))
    assert (first.number, second.number) == (1, 2)
    assert first.display_number == "INV-000001"
    assert first.due_on == dt.date(2026, 12, 15)
    assert invoice_issue(invoice=first).number == 1  # issuing again changes nothing
    assert InvoiceSeries.objects.get(code="INV").next_number == 3


def test_an_empty_draft_is_not_issued_and_takes_no_number():
    invoice = invoice_draft_create(brand=BrandFactory(), currency="USD")
    with pytest.raises(ApplicationError):
        invoice_issue(invoice=invoice)
    assert InvoiceSeries.objects.get(code="INV").next_number == 1


def test_a_void_invoice_keeps_its_number_and_its_items_can_be_billed_again():
    invoice = invoice_issue(invoice=_draft(key="ad:1:2026-10"))
    invoice = invoice_void(invoice=invoice)
    assert (invoice.status, invoice.number) == ("void", 1)
    again = invoice_issue(invoice=_draft(key="ad:1:2026-10"))
    assert again.number == 2


def test_an_item_is_billed_once():
    _draft(key="retainer:9:2026-10")
    with pytest.raises(Conflict):
        _draft(key="retainer:9:2026-10")


def test_the_database_refuses_duplicate_numbers():
    a, b = _draft(), _draft()
    invoice_issue(invoice=a)
    with pytest.raises(IntegrityError), transaction.atomic():
        Invoice.objects.filter(pk=b.pk).update(status="issued", number=1, issued_on=OCT, due_on=OCT)


@pytest.mark.django_db(transaction=True)
def test_concurrent_issues_get_consecutive_numbers_without_gaps_or_duplicates():
    brand = BrandFactory()
    drafts = [_draft(brand) for _ in range(8)]
    barrier = threading.Barrier(len(drafts))
    errors: list[Exception] = []

    def issue(invoice):
        try:
            barrier.wait()
            invoice_issue(invoice=invoice)
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=issue, args=(d,)) for d in drafts]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    numbers = sorted(Invoice.objects.values_list("number", flat=True))
    assert numbers == list(range(1, 9))
    assert InvoiceSeries.objects.get(code="INV").next_number == 9


def test_overdue_invoices_are_flagged_by_the_daily_task():
    due = invoice_issue(invoice=_draft(), on=dt.date(2026, 9, 1))  # due 2026-10-01
    current = invoice_issue(invoice=_draft(), on=dt.date(2026, 10, 1))  # due 2026-10-31
    paid = invoice_issue(invoice=_draft(), on=dt.date(2026, 9, 1))
    invoice_payment_record(invoice=paid, paid_on=dt.date(2026, 9, 20))
    assert campaigns_flag_overdue_invoices("2026-10-02") == 1
    assert campaigns_flag_overdue_invoices("2026-10-02") == 0  # running twice is harmless
    flags = dict(Invoice.objects.values_list("pk", "is_overdue"))
    assert flags == {due.pk: True, current.pk: False, paid.pk: False}


def test_client_month_invoice_bills_ad_fees_retainers_units_and_operated_lives(creators_on_plan):
    brand = BrandFactory()
    creator = creators_on_plan[0]
    ads = AdAccountFactory(brand=brand, fee_rate=Decimal("0.12"), creator=creator)
    ad_spend_record(ad_account=ads, spent_on=dt.date(2026, 10, 3), amount_minor=1_234_56)
    ad_spend_record(ad_account=ads, spent_on=dt.date(2026, 10, 4), amount_minor=1_000_00)
    ad_spend_record(ad_account=ads, spent_on=dt.date(2026, 11, 1), amount_minor=9_999_00)
    ServiceAgreementFactory(client=brand, price_minor=3_000_00)
    per_unit = ServiceAgreementFactory(
        client=brand,
        kind=ServiceAgreement.Kind.CONTENT_PRODUCTION,
        billing=ServiceAgreement.Billing.PER_UNIT,
        price_minor=250_00,
    )
    ServiceUnit.objects.create(agreement=per_unit, performed_on=dt.date(2026, 10, 9), quantity=3)
    account = PlatformAccountFactory(creator=creator)
    start = dt.datetime(2026, 10, 20, 19, tzinfo=dt.UTC)
    LiveSessionFactory(
        account=account,
        started_at=start,
        ended_at=start + dt.timedelta(hours=3),
        operated_by_agency=True,
        client=brand,
        operation_fee_minor=3_500_00,
    )
    invoice = client_month_invoice_draft(brand=brand, month=OCT, currency="USD")
    amounts = sorted(invoice.lines.values_list("amount_minor", flat=True))
    # 12 % of 2,234.56 = 268.1472 -> 268.15; retainer 3,000; 3 x 250; operation 3,500.
    assert amounts == [268_15, 750_00, 3_000_00, 3_500_00]
    assert client_month_invoice_draft(brand=brand, month=OCT, currency="USD") is None

    invoice_issue(invoice=invoice, on=dt.date(2026, 11, 2))
    # lines naming a creator (ads and the live operation) booked agency_service earnings
    earnings = RevenueEvent.objects.filter(source_type="campaigns.invoice_line")
    assert sorted(earnings.values_list("gross_minor", flat=True)) == [268_15, 3_500_00]
    assert set(earnings.values_list("stream", flat=True)) == {"agency_service"}

    revenue_events_lock_due(today=dt.date(2027, 1, 1))
    assert set(earnings.values_list("status", flat=True)) == {"locked"}  # waits for cash
    invoice_payment_record(invoice=invoice, paid_on=dt.date(2026, 11, 20))
    assert set(earnings.values_list("status", flat=True)) == {"payable"}  # pay when paid
    invoice_payment_record(invoice=invoice, paid_on=dt.date(2026, 11, 21))  # twice: no-op
    assert Invoice.objects.get(pk=invoice.pk).paid_on == dt.date(2026, 11, 20)


def test_an_invoice_with_earnings_cannot_be_voided(creators_on_plan):
    brand = BrandFactory()
    ServiceAgreementFactory(client=brand, creator=creators_on_plan[0])
    invoice = client_month_invoice_draft(brand=brand, month=OCT, currency="USD")
    invoice_issue(invoice=invoice, on=dt.date(2026, 11, 2))
    with pytest.raises(Conflict):
        invoice_void(invoice=invoice)


def test_a_rebate_account_is_not_billed_but_books_the_rebate_once(creators_on_plan):
    brand = BrandFactory()
    rebate = AdAccountFactory(
        brand=brand, fee_model="rebate", fee_rate=Decimal("0.05"), creator=creators_on_plan[1]
    )
    ad_spend_record(ad_account=rebate, spent_on=dt.date(2026, 10, 3), amount_minor=10_000_00)
    assert client_month_invoice_draft(brand=brand, month=OCT, currency="USD") is None
    ad_rebate_book(ad_account=rebate, month=OCT)
    ad_rebate_book(ad_account=rebate, month=OCT)
    event = RevenueEvent.objects.get(source_type="campaigns.ad_rebate")
    assert (event.gross_minor, event.stream, event.occurred_on) == (
        500_00,
        "agency_service",
        dt.date(2026, 10, 31),
    )


def test_invoice_issued_and_paid_webhooks(brand_a, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_HOSTS = True
    settings.WEBHOOK_REQUIRE_HTTPS = False
    webhook_endpoint_create(partner=brand_a.partner, url="http://127.0.0.1:9/hook")
    invoice = invoice_issue(invoice=_draft(brand_a, amount=123_45), on=OCT)
    invoice_payment_record(invoice=invoice, paid_on=OCT)
    issued, paid = WebhookDelivery.objects.order_by("pk")
    assert (issued.event_type, paid.event_type) == ("invoice.issued", "invoice.paid")
    assert issued.payload["data"]["total"] == {"amount": "123.45", "currency": "USD"}
    assert paid.payload["data"]["status"] == "paid"


def test_payment_before_issue_date_is_refused():
    invoice = invoice_issue(invoice=_draft(), on=OCT)
    with pytest.raises(ApplicationError):
        invoice_payment_record(invoice=invoice, paid_on=OCT - dt.timedelta(days=1))


def test_a_month_still_running_books_no_rebate(creators_on_plan):
    rebate = AdAccountFactory(fee_model="rebate", creator=creators_on_plan[0])
    with pytest.raises(ApplicationError):
        ad_rebate_book(ad_account=rebate, month=timezone.localdate())
    assert not RevenueEvent.objects.exists()


def test_the_monthly_job_drafts_each_clients_invoice_and_books_rebates_once(creators_on_plan):
    glow, nimbus = BrandFactory(), BrandFactory()
    ads = AdAccountFactory(brand=glow, fee_rate=Decimal("0.10"))
    ad_spend_record(ad_account=ads, spent_on=dt.date(2026, 10, 3), amount_minor=500_00)
    ServiceAgreementFactory(client=nimbus, currency="EUR", price_minor=900_00)
    rebate = AdAccountFactory(brand=nimbus, fee_model="rebate", creator=creators_on_plan[0])
    ad_spend_record(ad_account=rebate, spent_on=dt.date(2026, 10, 9), amount_minor=1_000_00)

    assert campaigns_close_last_month("2026-11-01") == 2
    assert campaigns_close_last_month("2026-11-01") == 0  # nothing is billed twice
    drafts = {(i.brand_id, i.currency): i for i in Invoice.objects.filter(status="draft")}
    assert set(drafts) == {(glow.pk, "USD"), (nimbus.pk, "EUR")}
    assert [line.amount_minor for line in drafts[(glow.pk, "USD")].lines.all()] == [50_00]
    assert RevenueEvent.objects.get(source_type="campaigns.ad_rebate").gross_minor == 100_00


def test_future_issue_and_payment_dates_are_refused():
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    draft = _draft()
    with pytest.raises(ApplicationError):
        invoice_issue(invoice=draft, on=tomorrow)
    invoice = invoice_issue(invoice=draft)
    with pytest.raises(ApplicationError):
        invoice_payment_record(invoice=invoice, paid_on=tomorrow)
    invoice.refresh_from_db()
    assert invoice.status == "issued"
