"""One worked example per stream, every leg computed by hand in the comments."""

import datetime as dt
from decimal import Decimal

import pytest

from billing.models import Account, RevenueSplit, StatementLine
from billing.services.plans import commission_plan_approve, commission_plan_propose
from tests.billing.helpers import balance
from tests.factories.agency import PartnerFactory, StaffUserFactory
from tests.factories.creators import ContractFactory, CreatorFactory

pytestmark = pytest.mark.django_db

# stream: (rate, manager share, sub-agency share, basis, gross, fee, expected legs)
# legs = (fee, agency, manager, sub-agency, creator) in USD cents.
EXAMPLES = {
    # 1,000.00 at 20 % of gross = 200.00; manager 25 % of it = 50.00, sub-agency 10 % = 20.00,
    # agency keeps 130.00; creator 800.00.
    "brand_deal": ("0.20", "0.25", "0.10", "gross", "1000.00", "0", (0, 13000, 5000, 2000, 80000)),
    # 500.00 of gifts, the platform keeps 250.00; 30 % of the net 250.00 = 75.00;
    # manager 18.75, sub-agency 7.50, agency 48.75; creator 250.00 - 75.00 = 175.00.
    "live_gifts": (
        "0.30",
        "0.25",
        "0.10",
        "net",
        "500.00",
        "250.00",
        (25000, 4875, 1875, 750, 17500),
    ),
    # 1,234.57 GMV, fee 61.73, net 1,172.84; 15 % = 175.926 -> exact shares (cents):
    # agency 65 % 11435.19, manager 25 % 4398.15, sub 10 % 1759.26, creator 99691.4.
    # Floors sum to 117283; the 1 cent left goes to the largest remainder (creator .4).
    "live_commerce": (
        "0.15",
        "0.25",
        "0.10",
        "net",
        "1234.57",
        "61.73",
        (6173, 11435, 4398, 1759, 99692),
    ),
    # 333.33 at 10 % of gross = 33.333: agency 21.66645, manager 8.33325, sub 3.3333,
    # creator 299.997. Floors sum to 33331; 2 cents go to creator (.7) then agency (.645).
    "affiliate": ("0.10", "0.25", "0.10", "gross", "333.33", "0", (0, 2167, 833, 333, 30000)),
    # 87.65 at 50 %, no cuts: agency 43.825, creator 43.825; the tie goes to the agency
    # (first in the documented order).
    "creator_fund": ("0.50", "0", "0", "gross", "87.65", "0", (0, 4383, 0, 0, 4382)),
    # 3,500.00 livestream operation sold by the agency: 100 % agency revenue,
    # the manager gets 5 % of it = 175.00; nothing to the creator.
    "agency_service": ("1", "0.05", "0", "gross", "3500.00", "0", (0, 332500, 17500, 0, 0)),
}


@pytest.mark.parametrize("stream", EXAMPLES)
def test_worked_example(stream, ingest):
    rate, manager, sub, basis, gross, fee, expected = EXAMPLES[stream]
    maker, checker = StaffUserFactory(), StaffUserFactory()
    guild = PartnerFactory(kind="sub_agency")
    creator = CreatorFactory(payout_currency="USD", talent_manager=maker, sub_agency=guild)
    contract = ContractFactory(creator=creator, starts_on=dt.date(2025, 1, 1))
    plan = commission_plan_propose(
        contract=contract,
        stream=stream,
        effective_from=dt.date(2025, 1, 1),
        agency_rate=rate,
        manager_share=manager,
        sub_agency_share=sub,
        basis=basis,
        created_by=maker,
    )
    commission_plan_approve(plan=plan, approved_by=checker)

    event = ingest(creator, stream=stream, gross=gross, fee=fee)

    split = RevenueSplit.objects.get(event=event)
    legs = (
        split.fee_minor,
        split.agency_minor,
        split.manager_minor,
        split.sub_agency_minor,
        split.creator_minor,
    )
    assert legs == expected
    assert sum(legs) == event.gross_minor
    assert split.rates["terms"]["agency_rate"] == str(Decimal(rate).quantize(Decimal("0.000001")))
    fee_leg, agency, mgr, sub_leg, creator_leg = expected
    assert balance(Account.Kind.CREATOR_PAYABLE, "USD", creator=creator) == creator_leg
    assert balance(Account.Kind.AGENCY_REVENUE, "USD") == agency
    assert balance(Account.Kind.MANAGER_PAYABLE, "USD", manager=maker) == mgr
    assert balance(Account.Kind.SUB_AGENCY_PAYABLE, "USD", sub_agency=guild) == sub_leg
    receivable = (
        "brand_receivable"
        if stream in ("brand_deal", "agency_service")
        else ("platform_receivable")
    )
    assert balance(receivable, "USD") == -(event.gross_minor - fee_leg)
    line = StatementLine.objects.get(event=event)
    assert (line.gross_minor, line.fee_minor, line.agency_minor) == (
        event.gross_minor,
        fee_leg,
        agency,
    )
    assert (line.manager_minor, line.sub_agency_minor, line.net_minor) == (
        mgr,
        sub_leg,
        creator_leg,
    )
