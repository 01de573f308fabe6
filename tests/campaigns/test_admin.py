"""Admin wiring: pipeline counts, due and overdue filters, actions calling the services."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from billing.models import RevenueEvent
from campaigns.models import BrandDeal, DealEvent, DealStatus, Invoice
from campaigns.services.invoices import invoice_draft_create, invoice_issue, invoice_line_add
from tests.campaigns.helpers import TO_APPROVED, advance
from tests.factories.campaigns import (
    AdAccountFactory,
    AffiliateLinkFactory,
    AffiliateOrderFactory,
    BrandDealFactory,
    BrandFactory,
    DealCreatorFactory,
    DeliverableFactory,
    LiveSessionFactory,
    ServiceAgreementFactory,
)
from tests.factories.creators import PlatformAccountFactory

pytestmark = pytest.mark.django_db


def _post_action(client, model, action, objs):
    url = reverse(f"admin:campaigns_{model}_changelist")
    return client.post(url, {"action": action, "_selected_action": [o.pk for o in objs]})


def test_every_changelist_and_add_page_loads(admin_client):
    deal = BrandDealFactory()
    DeliverableFactory(deal=deal)
    LiveSessionFactory()
    AdAccountFactory()
    ServiceAgreementFactory()
    AffiliateLinkFactory()
    for model in [
        "brand", "branddeal", "deliverable", "livesession", "livemonthlyreport", "adaccount",
        "serviceagreement", "affiliatelink", "affiliateorder", "invoice", "invoiceseries",
    ]:  # fmt: skip
        assert admin_client.get(reverse(f"admin:campaigns_{model}_changelist")).status_code == 200
        assert admin_client.get(reverse(f"admin:campaigns_{model}_add")).status_code == 200
    assert (
        admin_client.get(reverse("admin:campaigns_branddeal_change", args=[deal.pk])).status_code
        == 200
    )


def test_the_pipeline_filter_shows_counts_per_state(admin_client):
    BrandDealFactory.create_batch(2)
    BrandDealFactory(status=DealStatus.NEGOTIATING)
    response = admin_client.get(reverse("admin:campaigns_branddeal_changelist"))
    content = response.content.decode()
    assert "Lead (2)" in content
    assert "Negotiating (1)" in content
    assert "Paid (0)" in content
    filtered = admin_client.get(
        reverse("admin:campaigns_branddeal_changelist"), {"status": "negotiating"}
    )
    assert filtered.context["cl"].result_count == 1


def test_advance_and_cancel_actions_call_the_service_with_the_staff_actor(admin_client, admin_user):
    deal = BrandDealFactory()
    _post_action(admin_client, "branddeal", "advance", [deal])
    deal.refresh_from_db()
    assert deal.status == DealStatus.NEGOTIATING
    assert DealEvent.objects.get(deal=deal, from_status="lead").actor == admin_user
    _post_action(admin_client, "branddeal", "cancel", [deal])
    deal.refresh_from_db()
    assert deal.status == DealStatus.CANCELLED
    response = _post_action(admin_client, "branddeal", "advance", [deal])  # terminal: refused
    assert response.status_code == 302
    deal.refresh_from_db()
    assert deal.status == DealStatus.CANCELLED


def test_invoice_then_record_payment_from_the_admin(admin_client, creators_on_plan):
    deal = BrandDealFactory(fee_minor=600_00)
    DealCreatorFactory(deal=deal, creator=creators_on_plan[0])
    advance(deal, *TO_APPROVED)
    _post_action(admin_client, "branddeal", "advance", [deal])  # approved -> invoiced
    deal.refresh_from_db()
    assert deal.status == DealStatus.INVOICED
    invoice = Invoice.objects.get()
    assert invoice.status == "issued" and invoice.number == 1
    _post_action(admin_client, "invoice", "record_payment_today", [invoice])
    deal.refresh_from_db()
    assert deal.status == DealStatus.PAID
    assert deal.paid_on == timezone.localdate()


def test_deliverables_due_this_week_filter(admin_client):
    today = timezone.localdate()
    monday = today - dt.timedelta(days=today.weekday())
    this_week = DeliverableFactory(due_on=monday + dt.timedelta(days=3))
    DeliverableFactory(due_on=monday + dt.timedelta(days=10))
    DeliverableFactory(due_on=monday + dt.timedelta(days=2), status="approved")
    response = admin_client.get(reverse("admin:campaigns_deliverable_changelist"), {"due": "week"})
    assert [d.pk for d in response.context["cl"].result_list] == [this_week.pk]


def test_overdue_invoices_filter_and_issue_action(admin_client):
    brand = BrandFactory()
    draft = invoice_draft_create(brand=brand, currency="USD")
    invoice_line_add(invoice=draft, description="x", amount_minor=1_00, source_key="k:1")
    _post_action(admin_client, "invoice", "issue", [draft])
    draft.refresh_from_db()
    assert draft.status == "issued"
    old = invoice_draft_create(brand=brand, currency="USD")
    invoice_line_add(invoice=old, description="y", amount_minor=1_00, source_key="k:2")
    invoice_issue(invoice=old, on=dt.date(2026, 1, 1))
    Invoice.objects.filter(pk=old.pk).update(is_overdue=True)
    response = admin_client.get(
        reverse("admin:campaigns_invoice_changelist"), {"is_overdue__exact": "1"}
    )
    assert [i.pk for i in response.context["cl"].result_list] == [old.pk]
    assert BrandDeal.objects.count() == 0


def test_live_sessions_by_day(admin_client):
    session = LiveSessionFactory()
    day = session.started_at
    response = admin_client.get(
        reverse("admin:campaigns_livesession_changelist"),
        {"started_at__year": day.year, "started_at__month": day.month, "started_at__day": day.day},
    )
    assert response.context["cl"].result_count == 1


def test_book_revenue_and_settle_actions(admin_client, creators_on_plan):
    account = PlatformAccountFactory(creator=creators_on_plan[0])
    session = LiveSessionFactory(account=account, gifts_value_minor=80_00)
    _post_action(admin_client, "livesession", "book_revenue", [session])
    assert RevenueEvent.objects.get(source_type="campaigns.live_gifts").gross_minor == 80_00
    link = AffiliateLinkFactory(creator=creators_on_plan[1])
    due = AffiliateOrderFactory(
        link=link, ordered_on=dt.date(2026, 10, 1), settles_on=dt.date(2026, 10, 16)
    )
    _post_action(admin_client, "affiliateorder", "settle", [due])
    due.refresh_from_db()
    assert due.status == "settled"
    assert RevenueEvent.objects.get(source_type="campaigns.affiliate_order").gross_minor == 15_00
