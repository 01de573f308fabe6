"""The billing demo seeds consistent books over all six streams."""

import io

import pytest

from agency import demo as agency_demo
from billing import demo
from billing.models import PayoutBatch, Remittance, RevenueEvent, Statement
from billing.verification import ledger_verify

pytestmark = pytest.mark.django_db


def test_demo_seeds_consistent_books():
    out = io.StringIO()
    agency_demo.seed(stdout=out)  # partners, as seed_demo runs it first
    demo.seed(stdout=out)
    assert set(RevenueEvent.objects.values_list("stream", flat=True)) == {
        "brand_deal",
        "live_gifts",
        "live_commerce",
        "affiliate",
        "creator_fund",
        "agency_service",
    }
    assert RevenueEvent.objects.values("currency").distinct().count() >= 3
    assert Statement.objects.filter(status="closed").exists()
    assert Statement.objects.filter(status="open").exists()
    assert RevenueEvent.objects.filter(kind="refund", partner__isnull=False).exists()
    assert PayoutBatch.objects.filter(payouts__isnull=False).exists()
    assert ledger_verify() == []


def test_demo_platform_earnings_are_paid_by_remittances():
    out = io.StringIO()
    agency_demo.seed(stdout=out)
    demo.seed(stdout=out)
    assert Remittance.objects.filter(status="matched").count() >= 6
    assert not RevenueEvent.objects.filter(status="locked", source_type="demo").exists()
    paid = RevenueEvent.objects.filter(stream="live_gifts", cash_received_on__isnull=False)
    assert paid.exists()
