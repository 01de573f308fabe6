import datetime as dt
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from factory.django import DjangoModelFactory

from billing.models import CommissionPlan, ExchangeRate
from billing.services.advances import (
    advance_approve,
    advance_record,
    expense_approve,
    expense_record,
)
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


def _approver():
    user = get_user_model().objects.filter(username="finance.checker").first()
    return user or finance_user("finance.checker")


def advance_approved(**fields):
    """An advance recorded by the system and approved by finance (four eyes), so paid."""
    return advance_approve(advance=advance_record(**fields), approved_by=_approver())


def expense_approved(**fields):
    """A recoupable expense recorded and approved by finance, so deducted at close."""
    return expense_approve(expense=expense_record(**fields), approved_by=_approver())
