import datetime as dt
from decimal import Decimal

import factory
from django.contrib.auth.models import Group
from factory.django import DjangoModelFactory

from billing.models import CommissionPlan, ExchangeRate
from tests.factories.agency import StaffUserFactory
from tests.factories.creators import ContractFactory


class ExchangeRateFactory(DjangoModelFactory[ExchangeRate]):
    class Meta:
        model = ExchangeRate

    base = "EUR"
    quote = "USD"
    valid_on = dt.date(2025, 3, 1)
    rate = Decimal("1.0800000000")


class CommissionPlanFactory(DjangoModelFactory[CommissionPlan]):
    """An approved plan (maker and checker are two different staff users)."""

    class Meta:
        model = CommissionPlan

    contract = factory.SubFactory(ContractFactory)
    stream = "brand_deal"
    effective_from = factory.SelfAttribute("contract.starts_on")
    currency = factory.SelfAttribute("contract.payout_currency")
    agency_rate = Decimal("0.200000")
    manager_share = Decimal("0")
    sub_agency_share = Decimal("0")
    basis = CommissionPlan.Basis.GROSS
    status = CommissionPlan.Status.APPROVED
    created_by = factory.SubFactory(StaffUserFactory)
    approved_by = factory.SubFactory(StaffUserFactory)


def finance_user(username: str):
    user = StaffUserFactory(username=username)
    group, _ = Group.objects.get_or_create(name="finance")
    user.groups.add(group)
    return user
