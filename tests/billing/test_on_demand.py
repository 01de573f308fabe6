"""Finance on demand: close one creator's month, prepare payout batches now (admin + services)."""

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from agency.errors import ApplicationError
from billing.models import PayoutBatch, Statement
from billing.services.payouts import payout_batches_prepare
from billing.services.statements import creator_months_close
from tests.billing.helpers import creator_on_plan
from tests.billing.test_payouts import _payable
from tests.conftest import staff_login
from tests.factories.agency import StaffUserFactory
from tests.factories.billing import finance_user

pytestmark = pytest.mark.django_db


def _login(client, user, *perms: str):
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="billing", codename__in=perms)
    )
    staff_login(client, user)
    return user


def test_closing_one_creators_month_closes_its_earlier_open_months_first(ingest):
    creator, other = creator_on_plan(), creator_on_plan()
    ingest(creator, gross="100.00", on=dt.date(2025, 3, 10))
    ingest(creator, gross="200.00", on=dt.date(2025, 4, 10))
    ingest(other, gross="50.00", on=dt.date(2025, 3, 10))
    with pytest.raises(ApplicationError, match="finance"):
        creator_months_close(
            creator=creator, through=dt.date(2025, 4, 1), closed_by=StaffUserFactory()
        )
    closed = creator_months_close(
        creator=creator, through=dt.date(2025, 4, 1), closed_by=finance_user("f")
    )
    assert [(s.period, s.closing_minor) for s in closed] == [
        (dt.date(2025, 3, 1), 8000),
        (dt.date(2025, 4, 1), 8000 + 16000),
    ]
    assert Statement.objects.get(creator=other).status == "open"  # one creator only
    again = creator_months_close(
        creator=creator, through=dt.date(2025, 4, 1), closed_by=finance_user("f")
    )
    assert [s.pk for s in again] == [closed[1].pk]  # already closed: unchanged


def test_close_months_admin_action_needs_its_permission(client, ingest):
    creator = creator_on_plan()
    ingest(creator, gross="100.00", on=dt.date(2025, 3, 10))
    statement = Statement.objects.get(creator=creator)
    url = reverse("admin:billing_statement_changelist")
    _login(client, StaffUserFactory(username="viewer"), "view_statement")  # not finance
    assert "close_month" not in client.get(url).content.decode()
    client.post(url, {"action": "close_month", "_selected_action": [statement.pk]})
    assert Statement.objects.get(pk=statement.pk).status == "open"
    _login(client, finance_user("closer"))  # the finance role grants closing
    assert "close_month" in client.get(url).content.decode()
    client.post(url, {"action": "close_month", "_selected_action": [statement.pk]})
    assert Statement.objects.get(pk=statement.pk).status == "closed"


def test_payout_batches_on_demand_are_finance_only_and_pay_nobody_twice(ingest):
    _payable(ingest(creator_on_plan(), gross="1000.00"))
    _payable(ingest(creator_on_plan(currency="EUR"), gross="1000.00", currency="EUR"))
    with pytest.raises(ApplicationError, match="finance"):
        payout_batches_prepare(prepared_by=StaffUserFactory())
    batches = payout_batches_prepare(prepared_by=finance_user("maker"))
    assert sorted(b.currency for b in batches) == ["EUR", "USD"]
    assert all(b.prepared_by.username == "maker" for b in batches)
    assert payout_batches_prepare(prepared_by=finance_user("maker")) == []


def test_prepare_now_admin_button_drafts_a_batch_for_another_member_to_approve(client, ingest):
    _payable(ingest(creator_on_plan(), gross="1000.00"))
    changelist = reverse("admin:billing_payoutbatch_changelist")
    prepare = reverse("admin:billing_payoutbatch_prepare")
    _login(client, StaffUserFactory(username="ops"), "view_payoutbatch")
    assert "Prepare payout batches now" not in client.get(changelist).content.decode()
    assert client.post(prepare, {"currency": "USD"}).status_code == 403
    maker = _login(client, finance_user("maker"), "view_payoutbatch", "add_payoutbatch")
    assert "Prepare payout batches now" in client.get(changelist).content.decode()
    response = client.post(prepare, {"currency": "USD"})
    assert response.status_code == 302
    batch = PayoutBatch.objects.get()
    assert batch.prepared_by == maker and batch.status == "draft"
    assert batch.payouts.get().amount_minor == 80000
