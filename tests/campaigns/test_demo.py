"""The campaigns demo seeds every pipeline state and keeps the books consistent."""

import io

import pytest

from agency import demo as agency_demo
from billing.models import RevenueEvent
from billing.verification import ledger_verify
from campaigns import demo
from campaigns.models import (
    AdAccount,
    AffiliateOrder,
    BrandDeal,
    DealStatus,
    Invoice,
    LiveSession,
)

pytestmark = pytest.mark.django_db


def test_demo_seeds_every_deal_state_operations_and_invoices():
    agency_demo.seed(stdout=io.StringIO())
    out = io.StringIO()
    demo.seed(stdout=out)
    assert set(BrandDeal.objects.values_list("status", flat=True)) == set(DealStatus.values)
    glow = BrandDeal.objects.filter(brand__name="Glow Cosmetics").first().brand
    assert glow.partner is not None and glow.partner.name == "Glow Cosmetics"
    assert LiveSession.objects.count() == 20
    assert AdAccount.objects.count() == 2
    assert AffiliateOrder.objects.exists()
    assert set(Invoice.objects.values_list("status", flat=True)) >= {"issued", "paid"}
    assert Invoice.objects.filter(is_overdue=True).exists()
    streams = set(RevenueEvent.objects.values_list("stream", flat=True))
    assert {"brand_deal", "live_gifts", "live_commerce", "agency_service"} <= streams
    assert ledger_verify() == []
    assert "deals in every pipeline state" in out.getvalue()
    # live earnings past their hold were paid by a platform remittance, so they are payable
    live = RevenueEvent.objects.filter(stream__in=["live_gifts", "live_commerce"], kind="sale")
    assert live.filter(status="payable", cash_received_on__isnull=False).exists()
    assert not live.filter(status="locked").exists()
