"""Commission plans: maker-checker, effective dates, frozen terms."""

import datetime as dt

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from agency.errors import ApplicationError, NotFound
from billing.models import CommissionPlan, RevenueSplit
from billing.services.plans import (
    commission_plan_approve,
    commission_plan_in_force,
    commission_plan_propose,
)
from tests.factories.agency import StaffUserFactory
from tests.factories.creators import ContractFactory

pytestmark = pytest.mark.django_db


def _propose(contract, maker, **kw):
    defaults = {"stream": "brand_deal", "effective_from": dt.date(2025, 1, 1), "agency_rate": "0.2"}
    return commission_plan_propose(contract=contract, created_by=maker, **{**defaults, **kw})


def test_plan_takes_effect_only_after_a_second_staff_member_approves():
    contract = ContractFactory(starts_on=dt.date(2025, 1, 1))
    maker, checker = StaffUserFactory(), StaffUserFactory()
    plan = _propose(contract, maker)
    with pytest.raises(NotFound):
        commission_plan_in_force(
            creator=contract.creator, stream="brand_deal", on=dt.date(2025, 2, 1)
        )
    with pytest.raises(ApplicationError, match="other than its maker"):
        commission_plan_approve(plan=plan, approved_by=maker)
    commission_plan_approve(plan=plan, approved_by=checker)
    found = commission_plan_in_force(
        creator=contract.creator, stream="brand_deal", on=dt.date(2025, 2, 1)
    )
    assert found.pk == plan.pk


def test_maker_checker_is_also_a_database_check():
    contract = ContractFactory()
    maker = StaffUserFactory()
    plan = _propose(contract, maker)
    with pytest.raises(IntegrityError, match="plan_maker_checker"), transaction.atomic():
        CommissionPlan.objects.filter(pk=plan.pk).update(approved_by=maker, status="approved")


def test_approved_terms_are_frozen_in_the_database():
    contract = ContractFactory()
    plan = _propose(contract, StaffUserFactory())
    commission_plan_approve(plan=plan, approved_by=StaffUserFactory())
    with (
        pytest.raises(DatabaseError, match="Cannot update or delete"),
        transaction.atomic(),
        connection.cursor() as cur,
    ):
        cur.execute("UPDATE billing_commissionplan SET agency_rate = 0.5 WHERE id = %s", [plan.pk])


def test_rate_check_and_cut_validation():
    contract = ContractFactory()
    with pytest.raises(ApplicationError):
        _propose(contract, StaffUserFactory(), agency_rate="1.2")
    with pytest.raises(ApplicationError, match="exceed"):
        _propose(contract, StaffUserFactory(), manager_share="0.6", sub_agency_share="0.5")
    with pytest.raises(ApplicationError, match="ascending"):
        _propose(contract, StaffUserFactory(), tiers=[("100", "0.1"), ("50", "0.2")])
    plan = _propose(contract, StaffUserFactory())
    with pytest.raises(IntegrityError, match="plan_agency_rate_0_1"), transaction.atomic():
        CommissionPlan.objects.filter(pk=plan.pk).update(agency_rate="1.5")


def test_a_new_rate_applies_from_its_start_and_never_reprices_the_past(ingest):
    contract = ContractFactory(starts_on=dt.date(2025, 1, 1))
    creator = contract.creator
    first = _propose(contract, StaffUserFactory())
    commission_plan_approve(plan=first, approved_by=StaffUserFactory())
    march = ingest(creator, gross="100.00", on=dt.date(2025, 3, 10))
    later = _propose(
        contract, StaffUserFactory(), effective_from=dt.date(2025, 4, 1), agency_rate="0.3"
    )
    commission_plan_approve(plan=later, approved_by=StaffUserFactory())
    april = ingest(creator, gross="100.00", on=dt.date(2025, 4, 10))
    assert RevenueSplit.objects.get(event=march).agency_minor == 2000
    assert RevenueSplit.objects.get(event=april).agency_minor == 3000
    assert RevenueSplit.objects.get(event=march).rates["terms"]["plan_id"] == first.pk


def test_a_refund_reverses_at_the_rates_charged_not_the_current_plan(ingest):
    contract = ContractFactory(starts_on=dt.date(2025, 1, 1))
    first = _propose(contract, StaffUserFactory())
    commission_plan_approve(plan=first, approved_by=StaffUserFactory())
    sale = ingest(contract.creator, gross="100.00", on=dt.date(2025, 3, 10))
    later = _propose(
        contract, StaffUserFactory(), effective_from=dt.date(2025, 4, 1), agency_rate="0.5"
    )
    commission_plan_approve(plan=later, approved_by=StaffUserFactory())
    refund = ingest(
        contract.creator, gross="100.00", kind="refund", refund_of=sale, on=dt.date(2025, 4, 10)
    )
    split = RevenueSplit.objects.get(event=refund)
    assert (split.agency_minor, split.creator_minor) == (-2000, -8000)  # 20 %, not 50 %
    assert split.rates["terms"]["plan_id"] == first.pk
