"""A month run through the public interfaces only: a data partner's metrics, revenue events
(live gifts, an affiliate sale and its refund), a live session and ad spend through the
operations API; operations books the session in the admin; a brand proposes a deal through
its API, operations moves it to invoiced and records the brand's payment (the creator's
brand_deal earning is booked, cash received); the monthly job drafts the ad-fee invoice,
operations issues it (agency-only revenue) and records its payment; the platform's
remittance makes the month's sales payable; finance records an advance (another member
approves it), closes the month, prepares a payout batch (another member approves and
settles it) in the admin; the creator, the talent manager and the sub-agency are paid;
``verify_ledger`` is clean and the profit and loss by stream and month agrees with the
ledger to the minor unit."""

import csv
import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from agency.months import month_start, previous_month
from billing import reports
from billing.models import Account, Advance, LedgerLeg, Payout, PayoutBatch, RevenueEvent, Statement
from billing.tasks import billing_lock_due_events, billing_send_approved_batches
from campaigns.models import BrandDeal, Invoice, LiveSession
from campaigns.tasks import campaigns_close_last_month, campaigns_settle_due_affiliate_orders
from tests.billing.helpers import balance, creator_on_plan
from tests.campaigns.test_operations_api import session_row
from tests.conftest import staff_login
from tests.creators.test_api import daily_row
from tests.factories.billing import finance_user
from tests.factories.campaigns import AdAccountFactory, AffiliateLinkFactory
from tests.factories.creators import PlatformAccountFactory

pytestmark = pytest.mark.django_db


def _action(client, model: str, action: str, ids, app: str = "billing") -> None:
    url = reverse(f"admin:{app}_{model}_changelist")
    response = client.post(url, {"action": action, "_selected_action": ids, "post": "yes"})
    assert response.status_code in (200, 302)


def test_a_month_from_metrics_to_payouts_through_public_interfaces(
    client, admin_user, data_partner_client, sub_agency_client, brand_client
):
    today = timezone.localdate()
    month = previous_month(previous_month(today))  # ended, and every hold has passed since
    creator = creator_on_plan(
        rate="0.30", manager_share="0.50", sub_agency_share="0.25",
        streams=["live_gifts", "live_commerce", "affiliate", "brand_deal"],
        sub_agency=sub_agency_client.partner,
    )  # fmt: skip
    account = PlatformAccountFactory(creator=creator)

    # The data partner: daily metrics, then the month's earnings and a refund.
    metrics = data_partner_client.post(
        reverse("metrics-daily"),
        {"rows": [daily_row(account, date=str(month + dt.timedelta(days=2)))]},
        format="json",
    )
    assert metrics.status_code in (200, 201), metrics.json()

    def event(**kw):
        return {"creator_id": creator.pk, "currency": "USD", "source_type": "tiktok", **kw}

    def post(rows, key):
        response = data_partner_client.post(
            reverse("revenue-event-list"), {"events": rows}, format="json",
            HTTP_IDEMPOTENCY_KEY=key,
        )  # fmt: skip
        assert response.status_code == 201, response.json()

    post(
        [
            event(stream="live_gifts", occurred_on=str(month), gross="10000.00",
                  source_id="gifts-1"),
            event(stream="affiliate", occurred_on=str(month + dt.timedelta(days=1)),
                  gross="2000.00", source_id="order-1"),
        ],
        "month-sales",
    )  # fmt: skip
    post(
        [
            event(stream="affiliate", kind="refund", refund_of_source_id="order-1",
                  occurred_on=str(month + dt.timedelta(days=9)), gross="500.00",
                  source_id="refund-1"),
        ],
        "month-refunds",
    )  # fmt: skip
    # The data partner's live session; operations books its gifts and commerce commission.
    start = timezone.make_aware(dt.datetime.combine(month + dt.timedelta(days=3), dt.time(20)))
    sessions = data_partner_client.post(
        reverse("live-session-list"),
        {"rows": [session_row(account, started_at=start.isoformat(),
                              ended_at=(start + dt.timedelta(hours=2)).isoformat())]},
        format="json",
    )  # fmt: skip
    assert sessions.status_code == 200, sessions.json()
    session = LiveSession.objects.get()
    staff_login(client, admin_user)
    _action(client, "livesession", "book_revenue", [session.pk], app="campaigns")
    # gifts 250.00; commerce 10 % of GMV 4,000.00 = 400.00
    assert sorted(
        RevenueEvent.objects.filter(source_id=str(session.pk)).values_list("stream", "gross_minor")
    ) == [("live_commerce", 40000), ("live_gifts", 25000)]
    client.logout()
    billing_lock_due_events(today=today)  # the beat job: every hold has ended

    # The platform paid: its remittance makes the sales payable (pay when paid).
    remittance = data_partner_client.post(
        reverse("remittance-list"),
        {
            "payer": "TikTok", "reference": f"SETTLE-{month:%Y-%m}", "currency": "USD",
            "amount": "12150.00", "fee_withheld": "0.00", "period_start": str(month),
            "period_end": str(month + dt.timedelta(days=27)), "received_on": str(today),
            "lines": [
                {"stream": "live_gifts", "amount": "10000.00", "external_id": "gifts-1"},
                {"stream": "affiliate", "amount": "1500.00", "external_id": "order-1"},
                {"stream": "live_gifts", "amount": "250.00", "external_id": str(session.pk)},
                {"stream": "live_commerce", "amount": "400.00",
                 "external_id": str(session.pk)},
            ],
        },
        format="json",
    )  # fmt: skip
    assert remittance.status_code == 201, remittance.json()
    assert remittance.json()["status"] == "matched"
    assert set(RevenueEvent.objects.filter(kind="sale").values_list("status", flat=True)) == {
        "payable"
    }

    # A brand proposes a deal through its API; operations moves it along in the admin, the
    # approved deal is invoiced and the brand's payment books the creator's earning.
    proposal = brand_client.post(
        reverse("deal-list"),
        {"title": "Summer glow", "brief": "One video", "fee": "3000.00", "currency": "USD",
         "creators": [{"creator_id": creator.pk}],
         "deliverables": [{"creator_id": creator.pk, "type": "video",
                           "due_on": str(today + dt.timedelta(days=10))}]},
        format="json",
    )  # fmt: skip
    assert proposal.status_code == 201, proposal.json()
    deal = BrandDeal.objects.get(pk=proposal.json()["id"])
    staff_login(client, admin_user)
    for _ in range(6):  # lead -> negotiating -> ... -> approved -> invoiced
        _action(client, "branddeal", "advance", [deal.pk], app="campaigns")
    deal.refresh_from_db()
    assert deal.status == "invoiced"
    invoice = Invoice.objects.get(lines__deal=deal)
    _action(client, "invoice", "record_payment_today", [invoice.pk], app="campaigns")
    deal.refresh_from_db()
    assert deal.status == "paid"
    earning = RevenueEvent.objects.get(stream="brand_deal")
    assert (earning.creator_id, earning.gross_minor, earning.cash_received_on) == (
        creator.pk,
        300000,
        today,
    )

    # Ad spend through the data partner's API on the brand's fee account (10 % of spend);
    # the monthly job drafts the client invoice, operations issues it and records payment.
    ad_account = AdAccountFactory(brand=deal.brand)
    spend = data_partner_client.post(
        reverse("ad-spend-list"),
        {"rows": [{"platform": "tiktok", "ad_account_id": ad_account.external_id,
                   "spent_on": str(month + dt.timedelta(days=5)), "currency": "USD",
                   "amount": "5000.00"}]},
        format="json",
    )  # fmt: skip
    assert spend.status_code == 200, spend.json()
    campaigns_close_last_month(today=previous_month(today))  # the monthly beat job
    fees = Invoice.objects.get(lines__ad_account=ad_account)
    _action(client, "invoice", "issue", [fees.pk], app="campaigns")
    _action(client, "invoice", "record_payment_today", [fees.pk], app="campaigns")
    fees.refresh_from_db()
    assert fees.status == "paid"
    assert list(fees.lines.values_list("amount_minor", flat=True)) == [50000]
    client.logout()

    # Finance: an advance recorded by one member, approved by another.
    anna, ben = finance_user("finance.anna"), finance_user("finance.ben")
    staff_login(client, anna)
    added = client.post(
        reverse("admin:billing_advance_add"),
        {"creator": creator.pk, "currency": "USD", "amount_minor": "1,000.00",
         "recoup_cap_rate": "50", "issued_on": str(month + dt.timedelta(days=3))},
    )  # fmt: skip
    assert added.status_code == 302
    advance = Advance.objects.get()
    client.logout()
    staff_login(client, ben)
    _action(client, "advance", "approve", [advance.pk])
    advance.refresh_from_db()
    assert advance.is_approved

    # Close the month (and any earlier open one) from the admin.
    statement = Statement.objects.get(creator=creator, period=month)
    _action(client, "statement", "close_month", [statement.pk])
    statement.refresh_from_db()
    # creator: 70 % of (10,000 + 250 + 400) + 70 % of (2,000 - 500) = 8,505.00, less 1,000
    # recouped (the deal was paid this month: it waits on this month's statement)
    assert statement.status == "closed" and statement.closing_minor == 850500 - 100000

    # Payouts: anna prepares, ben approves, the job sends, ben marks them paid.
    client.logout()
    staff_login(client, anna)
    assert (
        client.post(reverse("admin:billing_payoutbatch_prepare"), {"currency": "USD"}).status_code
        == 302
    )
    batch = PayoutBatch.objects.get()
    paid = sorted(batch.payouts.values_list("amount_minor", flat=True))
    # commission 30 % of 12,150.00 = 3,645.00: the manager 50 %, the sub-agency 25 %
    assert paid == [91125, 182250, 750500]  # sub-agency, manager, creator
    client.logout()
    staff_login(client, ben)
    _action(client, "payoutbatch", "approve", [batch.pk])
    billing_send_approved_batches()
    _action(client, "payout", "mark_paid", list(batch.payouts.values_list("pk", flat=True)))
    assert set(Payout.objects.values_list("status", flat=True)) == {"paid"}
    # what is left is the deal's, paid this month: 70 % / 15 % / 7.5 % of 3,000.00
    for kind, party, left in (
        (Account.Kind.CREATOR_PAYABLE, {"creator": creator}, 210000),
        (Account.Kind.MANAGER_PAYABLE, {"manager": creator.talent_manager}, 45000),
        (Account.Kind.SUB_AGENCY_PAYABLE, {"sub_agency": creator.sub_agency}, 22500),
    ):
        assert balance(kind, "USD", **party) == left, kind

    # The books: verify_ledger is clean; the profit and loss equals the ledger.
    out = io.StringIO()
    call_command("verify_ledger", stdout=out)  # exits 1 on any mismatch
    assert "agree" in out.getvalue()
    pnl = client.get(
        reverse("admin:billing_profit_and_loss")
        + f"?start={month:%Y-%m}&end={month_start(today) + dt.timedelta(days=40):%Y-%m}&format=csv"
    )
    rows = list(csv.DictReader(io.StringIO(pnl.content.decode())))
    by_month = {}
    for r in rows:
        by_month.setdefault(r["month"], {})[r["stream"]] = r["amount"]
    # the agency keeps 7.5 % of each creator earning; the ad fee is its own
    assert by_month == {
        f"{month:%Y-%m}": {"live_gifts": "768.75", "live_commerce": "30.00", "affiliate": "112.50"},
        f"{today:%Y-%m}": {"brand_deal": "225.00", "agency_service": "500.00"},
    }
    ledger = LedgerLeg.objects.filter(account__kind=Account.Kind.AGENCY_REVENUE).aggregate(
        s=Sum("amount_minor")
    )["s"]
    assert sum(int(r["amount"].replace(".", "")) for r in rows) == ledger


def test_an_affiliate_order_from_the_operations_api_is_settled_refunded_remitted_and_paid(
    client, data_partner_client
):
    """The operations API's affiliate order: settled by the daily job (commission booked),
    refunded after settlement (clawed back), paid by the shop's remittance, closed and paid
    out; the ledger and the profit and loss agree."""
    today = timezone.localdate()
    month = previous_month(previous_month(today))
    creator = creator_on_plan(rate="0.20", streams=["affiliate"])
    link = AffiliateLinkFactory(creator=creator)
    orders = data_partner_client.post(
        reverse("affiliate-order-list"),
        {"rows": [{"external_id": "o-1", "link": link.code, "product": "Serum",
                   "gmv": "1000.00", "currency": "USD", "commission_rate": "0.15",
                   "ordered_on": str(month), "settlement_days": 1}]},
        format="json",
    )  # fmt: skip
    assert orders.status_code == 200, orders.json()
    campaigns_settle_due_affiliate_orders(today=today)  # the daily job books 150.00
    refunds = data_partner_client.post(
        reverse("affiliate-refund-create"),
        {"rows": [{"order_external_id": "o-1", "external_id": "r-1", "amount": "200.00",
                   "refunded_on": str(month + dt.timedelta(days=9))}]},
        format="json",
    )  # fmt: skip
    assert refunds.status_code == 200, refunds.json()  # 15 % of 200.00 clawed back: 30.00
    billing_lock_due_events(today=today)
    sale = RevenueEvent.objects.get(stream="affiliate", kind="sale")
    remittance = data_partner_client.post(
        reverse("remittance-list"),
        {
            "payer": "TikTok Shop", "reference": f"SHOP-{month:%Y-%m}", "currency": "USD",
            "amount": "120.00", "period_start": str(month),
            "period_end": str(month + dt.timedelta(days=27)), "received_on": str(today),
            "lines": [{"stream": "affiliate", "amount": "120.00",
                       "external_id": sale.source_id}],
        },
        format="json",
    )  # fmt: skip
    assert remittance.status_code == 201 and remittance.json()["status"] == "matched"

    anna, ben = finance_user("finance.anna"), finance_user("finance.ben")
    staff_login(client, ben)
    statement = Statement.objects.get(creator=creator, period=month)
    _action(client, "statement", "close_month", [statement.pk])
    statement.refresh_from_db()
    assert statement.closing_minor == 9600  # 80 % of (150.00 - 30.00)
    client.logout()
    staff_login(client, anna)
    client.post(reverse("admin:billing_payoutbatch_prepare"), {"currency": "USD"})
    batch = PayoutBatch.objects.get()
    assert list(batch.payouts.values_list("amount_minor", flat=True)) == [9600]
    client.logout()
    staff_login(client, ben)
    _action(client, "payoutbatch", "approve", [batch.pk])
    billing_send_approved_batches()
    _action(client, "payout", "mark_paid", list(batch.payouts.values_list("pk", flat=True)))
    assert balance(Account.Kind.CREATOR_PAYABLE, "USD", creator=creator) == 0

    out = io.StringIO()
    call_command("verify_ledger", stdout=out)
    assert "agree" in out.getvalue()
    rows = reports.profit_and_loss(start=month, end=today + dt.timedelta(days=40))
    assert {(r.stream, r.amount_minor) for r in rows} == {("affiliate", 2400)}
    ledger = LedgerLeg.objects.filter(account__kind=Account.Kind.AGENCY_REVENUE).aggregate(
        s=Sum("amount_minor")
    )["s"]
    assert ledger == 2400
