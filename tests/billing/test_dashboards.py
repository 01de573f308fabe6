"""Landing dashboards: each role's cards agree with the ledger, the payouts and the deals."""

import pytest
from django.contrib.auth.models import Group
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from agency import roles
from agency.dashboards import bar_chart
from agency.money import format_money
from billing.dashboards import finance_panel
from billing.models import Account
from billing.services.payouts import payout_batch_prepare
from campaigns.dashboards import operations_panel
from campaigns.models import DealStatus
from tests.billing.helpers import creator_on_plan
from tests.billing.test_payouts import _payable
from tests.conftest import staff_login
from tests.factories.agency import StaffUserFactory
from tests.factories.billing import finance_user
from tests.factories.campaigns import BrandDealFactory

pytestmark = pytest.mark.django_db


def _request(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def _cards(panel) -> dict[str, str]:
    return {card.label: card.value for card in panel.cards}


def test_finance_cards_match_the_ledger_and_the_prepared_payouts(client, ingest):
    today = timezone.localdate()
    first, second = creator_on_plan(), creator_on_plan(rate="0.30")
    _payable(ingest(first, gross="1234.56", on=today, today=today))
    ingest(second, gross="500.00", on=today, today=today)
    batch = payout_batch_prepare(currency="USD", prepared_by=finance_user("anna"))
    ben = finance_user("ben")

    cards = _cards(finance_panel(_request(ben)))
    agency = Account.objects.get(kind=Account.Kind.AGENCY_REVENUE, currency="USD")
    assert cards["Agency share this month"] == format_money(agency.balance_minor, "USD")
    assert cards["Revenue this month (gross)"] == "USD 1,734.56"
    to_pay = sum(p.amount_minor for p in batch.payouts.all())
    assert cards["Payouts awaiting approval"] == f"1 batch(es), {format_money(to_pay, 'USD')}"
    assert cards["Cash not yet received"] == "USD 500.00"

    page = staff_login(client, ben).get(reverse("admin:index")).content.decode()
    assert "Agency share this month" in page and "<svg" in page
    assert "Revenue this month by stream, USD" in page


def test_operations_pipeline_is_the_sum_of_open_deal_fees(client):
    ops = StaffUserFactory(username="ops")
    ops.groups.add(Group.objects.get(name=roles.OPERATIONS))
    BrandDealFactory(fee_minor=1_000_00)
    BrandDealFactory(fee_minor=2_500_50, status=DealStatus.NEGOTIATING)
    BrandDealFactory(fee_minor=9_999_00, status=DealStatus.CANCELLED)
    from tests.factories.campaigns import LiveSessionFactory

    LiveSessionFactory(viewers=6_000, orders=120, gmv_minor=4_000_00)
    LiveSessionFactory(viewers=4_000, orders=180, gmv_minor=1_000_00)
    panel = operations_panel(_request(ops))
    cards = _cards(panel)
    assert cards["Open pipeline"] == "USD 3,500.50"
    live = next(c for c in panel.cards if c.label == "Live sessions this week")
    assert live.value == "2 · GMV USD 5,000.00"
    assert live.items == ["USD sessions: conversion 3.00 % (average)"]  # 300 of 10,000
    page = staff_login(client, ops).get(reverse("admin:index")).content.decode()
    assert "Pipeline by deal state, USD" in page and "Finance:" not in page


def test_a_chart_has_axis_ticks_unit_and_legend():
    svg = bar_chart(title="T", unit="USD", bars=[("a", 120), ("b", 30)], legend="gross, USD")
    assert svg.count("<rect") == 3  # two bars and the legend swatch
    assert ">200<" in svg and ">0<" in svg  # the axis runs from 0 to a round 200
    assert ">USD<" in svg and ">gross, USD<" in svg


def test_save_and_continue_on_a_new_plan_opens_the_saved_plan(admin_client):
    from billing.models import CommissionPlan
    from tests.factories.creators import ContractFactory

    contract = ContractFactory()
    response = admin_client.post(
        reverse("admin:billing_commissionplan_add"),
        {
            "contract": contract.pk, "stream": "brand_deal", "effective_from": "2026-01-01",
            "currency": "USD", "agency_rate": "30", "manager_share": "10",
            "sub_agency_share": "0", "basis": "gross", "tiers_threshold_0": "10,000",
            "tiers_rate_0": "20", "_continue": "1",
        },
    )  # fmt: skip
    plan = CommissionPlan.objects.get(contract=contract)
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:billing_commissionplan_change", args=[plan.pk])
    assert str(plan.agency_rate) == "0.300000" and plan.tiers == [
        {"from": "10000", "rate": "0.200000"}
    ]


def test_the_statement_pdf_has_letterhead_payee_totals_and_page_numbers(ingest):
    import datetime as dt

    from billing.exports import statement_csv, statement_pdf
    from billing.models import Statement
    from billing.services.statements import statement_close

    creator = creator_on_plan()
    ingest(creator, gross="1000.00", on=dt.date(2025, 3, 10))
    ingest(creator, gross="500.00", on=dt.date(2025, 4, 10))
    closed = statement_close(creator=creator, period=dt.date(2025, 3, 1))
    pdf = statement_pdf(closed, compress=False)
    for text in ["MCN back office", "Creator statement, March 2025", creator.legal_name,
                 "Net this month", "USD 800.00", f"statement {closed.pk}, page 1"]:  # fmt: skip
        assert text.encode() in pdf, text
    still_open = Statement.objects.get(creator=creator, period=dt.date(2025, 4, 1))
    assert "opening balance,set when the month closes" in statement_csv(still_open)
    assert b"(open)" not in statement_pdf(still_open, compress=False)


def test_a_line_chart_runs_from_zero_with_its_own_unit_dates_and_legend():
    from agency.dashboards import line_chart

    svg = line_chart(
        title="Followers",
        unit="followers",
        points=[("01 Oct", 9_000), ("02 Oct", 9_400), ("03 Oct", 9_800)],
        legend="followers, all accounts",
    )
    assert ">0<" in svg and ">10,000<" in svg  # the axis from zero to a round top, separated
    assert ">followers<" in svg and ">followers, all accounts<" in svg
    assert ">01 Oct<" in svg and ">03 Oct<" in svg


def test_the_agency_admin_and_manager_panels_count_what_their_lists_show(client):
    from agency.admin import agency_admin_panel
    from creators.dashboards import manager_panel
    from creators.models import EligibilityResult, EligibilityRuleSet
    from tests.factories.agency import PartnerFactory
    from tests.factories.creators import CreatorFactory

    PartnerFactory(kind="brand")
    PartnerFactory(kind="brand")
    PartnerFactory(kind="sub_agency", is_active=False)
    cards = _cards(agency_admin_panel(_request(StaffUserFactory())))
    assert cards["Active partners"] == "2 brand"

    manager = StaffUserFactory(username="mia")
    manager.groups.add(Group.objects.get(name=roles.TALENT_MANAGER))
    rule_set = EligibilityRuleSet.objects.select_related("program").order_by("pk").first()
    for i, failures in enumerate(
        [
            [{"rule": "min_followers", "message": "needs 5 more followers"}],
            [{"rule": "country", "message": "not offered in PH"}],
            [],
        ]
    ):
        EligibilityResult.objects.create(
            creator=CreatorFactory(stage_name=f"c{i}", talent_manager=manager),
            program=rule_set.program, rule_set=rule_set, as_of=timezone.localdate(),
            eligible=not failures, failures=failures, computed_at=timezone.now(),
        )  # fmt: skip
    CreatorFactory(stage_name="not.mine")
    panel = manager_panel(_request(manager))
    cards = _cards(panel)
    assert cards["Creators"] == "3" and cards["Eligible results"] == "1"
    assert cards["Close to a program"] == "1"
    assert panel.cards[2].note == "c0: needs 5 more followers"
