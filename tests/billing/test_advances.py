"""Advances and recoupable expenses: four eyes (recorded by one, approved by another finance
member), money moves on approval only, month close counts approved rows only, and the admin
records them in major units."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from agency.errors import ApplicationError
from billing.models import Account, Advance, LedgerTransaction, RecoupableExpense, StatementLine
from billing.services.advances import (
    advance_approve,
    advance_record,
    expense_approve,
    expense_record,
)
from billing.services.statements import statement_close
from tests.billing.helpers import balance, creator_on_plan
from tests.conftest import staff_login
from tests.factories.agency import StaffUserFactory
from tests.factories.billing import finance_user

pytestmark = pytest.mark.django_db

MARCH = dt.date(2025, 3, 1)


def _advance(creator, user, amount=30000):
    return advance_record(
        creator=creator,
        amount_minor=amount,
        recoup_cap_rate="0.50",
        issued_on=dt.date(2025, 2, 1),
        recorded_by=user,
    )


def test_whoever_records_an_advance_cannot_approve_it():
    creator = creator_on_plan(streams=["brand_deal"])
    maker = finance_user("maker")
    advance = _advance(creator, maker)
    with pytest.raises(ApplicationError, match="four eyes"):
        advance_approve(advance=advance, approved_by=maker)
    advance.refresh_from_db()
    assert advance.approved_at is None
    assert not LedgerTransaction.objects.filter(source_type="advance").exists()


def test_only_finance_approves_and_approving_twice_pays_once():
    creator = creator_on_plan(streams=["brand_deal"])
    advance = _advance(creator, finance_user("maker"))
    with pytest.raises(ApplicationError, match="finance"):
        advance_approve(advance=advance, approved_by=StaffUserFactory())
    checker = finance_user("checker")
    advance_approve(advance=advance, approved_by=checker)
    advance_approve(advance=advance, approved_by=checker)
    assert LedgerTransaction.objects.filter(source_type="advance").count() == 1
    assert balance(Account.Kind.ADVANCES, "USD", creator=creator) == -30000
    assert balance(Account.Kind.CASH, "USD") == 30000


def test_the_database_refuses_a_self_approval_written_around_the_service():
    creator = creator_on_plan(streams=["brand_deal"])
    maker = finance_user("maker")
    advance = _advance(creator, maker)
    with pytest.raises(IntegrityError), transaction.atomic():
        Advance.objects.filter(pk=advance.pk).update(approved_by=maker, approved_at=timezone.now())


def test_month_close_recoups_and_deducts_approved_rows_only(ingest):
    creator = creator_on_plan(rate="0.20", streams=["brand_deal"])
    maker, checker = finance_user("maker"), finance_user("checker")
    approved = _advance(creator, maker, amount=10000)
    advance_approve(advance=approved, approved_by=checker)
    _advance(creator, maker, amount=50000)  # never approved: never recouped
    expense = expense_record(
        creator=creator, amount_minor=2000, description="Studio", incurred_on=dt.date(2025, 3, 2),
        recorded_by=maker,
    )  # fmt: skip
    pending = expense_record(
        creator=creator, amount_minor=999, description="Unapproved", incurred_on=MARCH,
        recorded_by=maker,
    )  # fmt: skip
    expense_approve(expense=expense, approved_by=checker)
    ingest(creator, gross="1000.00", on=dt.date(2025, 3, 10))  # creator earns 800.00
    march = statement_close(creator=creator, period=MARCH)
    assert march.lines.get(kind=StatementLine.Kind.RECOUPMENT).net_minor == -10000
    assert march.lines.get(kind=StatementLine.Kind.EXPENSE).net_minor == -2000
    pending.refresh_from_db()
    assert pending.deducted_in is None
    assert march.closing_minor == 80000 - 10000 - 2000
    assert balance(Account.Kind.ADVANCES, "USD", creator=creator) == 0


def test_finance_records_in_major_units_in_the_admin_and_another_member_approves(client):
    creator = creator_on_plan(streams=["brand_deal"])
    maker = finance_user("maker")
    staff_login(client, maker)
    response = client.post(
        reverse("admin:billing_advance_add"),
        {
            "creator": creator.pk,
            "currency": "USD",
            "amount_minor": "1,250.50",
            "recoup_cap_rate": "25",
            "issued_on": "2025-02-01",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    advance = Advance.objects.get()
    assert (advance.amount_minor, str(advance.recoup_cap_rate)) == (125050, "0.250000")
    assert (advance.recorded_by, advance.approved_at) == (maker, None)

    changelist = reverse("admin:billing_advance_changelist")
    action = {"action": "approve", "_selected_action": [advance.pk], "post": "yes"}
    client.post(changelist, action, follow=True)
    advance.refresh_from_db()
    assert advance.approved_at is None  # the maker's approval is refused

    client.logout()
    staff_login(client, finance_user("checker"))
    client.post(changelist, action, follow=True)
    advance.refresh_from_db()
    assert advance.approved_at is not None


def test_the_admin_refuses_another_currency_and_nothing_is_recorded(client):
    creator = creator_on_plan(streams=["brand_deal"])  # paid in USD
    staff_login(client, finance_user("maker"))
    response = client.post(
        reverse("admin:billing_recoupableexpense_add"),
        {
            "creator": creator.pk,
            "currency": "EUR",
            "amount_minor": "20.00",
            "description": "Studio",
            "incurred_on": "2025-03-02",
        },
    )
    assert response.status_code == 200
    assert "is paid in USD" in response.content.decode()
    assert not RecoupableExpense.objects.exists()
