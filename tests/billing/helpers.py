"""Set-up shared by billing tests: a creator on contract with approved plans."""

import datetime as dt
from decimal import Decimal

from agency.models import Partner
from billing.models import Account
from tests.factories.agency import PartnerFactory, StaffUserFactory
from tests.factories.billing import CommissionPlanFactory
from tests.factories.creators import ContractFactory, CreatorFactory

ALL_STREAMS = [
    "brand_deal",
    "live_gifts",
    "live_commerce",
    "affiliate",
    "creator_fund",
    "agency_service",
]


def creator_on_plan(
    *,
    currency: str = "USD",
    rate: str = "0.20",
    manager_share: str = "0",
    sub_agency_share: str = "0",
    basis: str = "gross",
    tiers: list | None = None,
    streams: list[str] | None = None,
    sub_agency: Partner | None = None,
    starts_on: dt.date = dt.date(2025, 1, 1),
):
    creator = CreatorFactory(
        payout_currency=currency,
        talent_manager=StaffUserFactory(),
        sub_agency=sub_agency or PartnerFactory(kind=Partner.Kind.SUB_AGENCY),
    )
    contract = ContractFactory(creator=creator, starts_on=starts_on)
    for stream in streams or ALL_STREAMS:
        CommissionPlanFactory(
            contract=contract,
            stream=stream,
            agency_rate=Decimal(rate),
            manager_share=Decimal(manager_share),
            sub_agency_share=Decimal(sub_agency_share),
            basis=basis,
            tiers=[{"from": f, "rate": r} for f, r in tiers or []],
        )
    return creator


def balance(kind: str, currency: str, **party) -> int:
    account = Account.objects.filter(kind=kind, currency=currency, **party).first()
    return account.balance_minor if account else 0
