"""Workflow buttons on an object's page: the list action's permission, service and message,
a confirmation page before money moves, a clear message when refused."""

import datetime as dt

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.urls import reverse

from agency import roles
from agency.admin_actions import ObjectActionsMixin
from billing.models import PayoutBatch, Statement
from billing.services.payouts import payout_batch_prepare
from campaigns.models import BrandDeal, DealStatus
from creators.models import RecalcRun
from tests.billing.helpers import creator_on_plan
from tests.billing.test_payouts import _payable
from tests.conftest import staff_login
from tests.factories.agency import StaffUserFactory
from tests.factories.billing import finance_user
from tests.factories.campaigns import BrandDealFactory
from tests.factories.creators import CreatorFactory

pytestmark = pytest.mark.django_db


def _role_user(username: str, role: str):
    user = StaffUserFactory(username=username)
    user.groups.add(Group.objects.get(name=role))
    return user


def _do(model: str, pk: int, action: str) -> str:
    return reverse(f"admin:{model.replace('.', '_')}_object_action", args=[pk, action])


def test_every_button_is_one_of_its_admins_actions():
    for model, model_admin in admin.site._registry.items():
        if isinstance(model_admin, ObjectActionsMixin):
            actions = {name for _, name, _ in model_admin._get_base_actions()}
            assert set(model_admin.object_actions) <= actions, model


def test_finance_approves_a_batch_from_its_page_after_confirming(client, ingest):
    _payable(ingest(creator_on_plan(), gross="1000.00"))
    maker, checker = finance_user("maker"), finance_user("checker")
    batch = payout_batch_prepare(currency="USD", prepared_by=maker)
    page_url = reverse("admin:billing_payoutbatch_change", args=[batch.pk])
    approve = _do("billing.payoutbatch", batch.pk, "approve")

    staff_login(client, checker)
    page = client.get(page_url).content.decode()
    assert f'href="{approve}"' in page and "Approve batch" in page
    confirm = client.get(approve)
    assert confirm.status_code == 200 and "Yes, approve batch" in confirm.content.decode()
    assert PayoutBatch.objects.get(pk=batch.pk).status == "draft"  # a GET moves nothing
    done = client.post(approve, follow=True)
    assert done.redirect_chain[-1][0] == page_url
    assert "Batches approved: 1." in done.content.decode()
    assert PayoutBatch.objects.get(pk=batch.pk).status == "approved"


def test_the_preparer_is_refused_with_a_message_and_nothing_moves(client, ingest):
    _payable(ingest(creator_on_plan(), gross="1000.00"))
    maker = finance_user("maker")
    batch = payout_batch_prepare(currency="USD", prepared_by=maker)
    staff_login(client, maker)
    done = client.post(_do("billing.payoutbatch", batch.pk, "approve"), follow=True)
    assert "approved by someone other than its maker" in done.content.decode()
    assert PayoutBatch.objects.get(pk=batch.pk).status == "draft"


def test_a_role_without_the_permission_sees_no_button_and_is_told_so(client, ingest):
    _payable(ingest(creator_on_plan(), gross="1000.00"))
    batch = payout_batch_prepare(currency="USD", prepared_by=finance_user("maker"))
    viewer = finance_user("viewer")
    viewer.groups.clear()
    viewer.user_permissions.add(*Group.objects.get(name=roles.FINANCE).permissions.all())
    staff_login(client, viewer)  # finance's permissions but not the role
    approve = _do("billing.payoutbatch", batch.pk, "approve")
    page = client.get(reverse("admin:billing_payoutbatch_change", args=[batch.pk]))
    assert approve not in page.content.decode()
    done = client.post(approve, follow=True)
    assert done.status_code == 200
    assert "Your role does not include this action." in done.content.decode()
    assert PayoutBatch.objects.get(pk=batch.pk).status == "draft"


def test_finance_closes_a_month_and_exports_the_statement_from_its_page(client, ingest):
    creator = creator_on_plan()
    ingest(creator, gross="1000.00", on=dt.date(2025, 3, 10))
    statement = Statement.objects.get(creator=creator)
    staff_login(client, finance_user("closer"))
    done = client.post(_do("billing.statement", statement.pk, "close_month"), follow=True)
    assert "Months closed: 1." in done.content.decode()
    statement.refresh_from_db()
    assert statement.status == Statement.Status.CLOSED and statement.closing_minor == 800_00
    csv = client.post(_do("billing.statement", statement.pk, "export_csv"))
    assert csv["Content-Type"] == "text/csv" and "USD 800.00" in csv.content.decode()
    pdf = client.post(_do("billing.statement", statement.pk, "export_pdf"))
    assert pdf.content.startswith(b"%PDF")


def test_operations_advances_and_loses_a_deal_from_its_page(client):
    ops = _role_user("ops", roles.OPERATIONS)
    deal = BrandDealFactory()
    staff_login(client, ops)
    page = client.get(reverse("admin:campaigns_branddeal_change", args=[deal.pk])).content
    assert b"Advance to the next state" in page and b"Lose (cancel) deal" in page
    client.post(_do("campaigns.branddeal", deal.pk, "advance"))
    assert BrandDeal.objects.get(pk=deal.pk).status == DealStatus.NEGOTIATING
    done = client.post(_do("campaigns.branddeal", deal.pk, "cancel"), follow=True)
    assert "Cancelled: 1." in done.content.decode()
    assert BrandDeal.objects.get(pk=deal.pk).status == DealStatus.CANCELLED


def test_a_manager_recalculates_one_of_their_creators_but_not_anothers(client):
    manager = _role_user("mia", roles.TALENT_MANAGER)
    mine, theirs = CreatorFactory(talent_manager=manager), CreatorFactory()
    staff_login(client, manager)
    done = client.post(_do("creators.creator", mine.pk, "recalculate_now"), follow=True)
    assert "Recalculation <a" in done.content.decode()
    assert RecalcRun.objects.count() == 1
    done = client.post(_do("creators.creator", theirs.pk, "recalculate_now"), follow=True)
    assert "None of the selected items is yours" in done.content.decode()
    assert RecalcRun.objects.count() == 1  # another manager's creator is not found
