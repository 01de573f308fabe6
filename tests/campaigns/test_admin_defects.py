"""Admin defects staff ran into: the overdue flag, deleting records that are in the books."""

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from campaigns.models import Invoice, LiveSession
from campaigns.services.invoices import invoice_draft_create, invoice_issue, invoice_line_add
from campaigns.services.live import live_session_revenue_book
from tests.billing.helpers import creator_on_plan
from tests.factories.campaigns import BrandFactory, LiveSessionFactory
from tests.factories.creators import PlatformAccountFactory

pytestmark = pytest.mark.django_db


def _issued_invoice(**kwargs) -> Invoice:
    draft = invoice_draft_create(brand=BrandFactory(), currency="USD", **kwargs)
    invoice_line_add(invoice=draft, description="x", amount_minor=1_00, source_key="k:1")
    return invoice_issue(invoice=draft)


def test_an_overdue_invoice_reads_overdue_not_a_green_tick(admin_client):
    invoice = _issued_invoice()
    Invoice.objects.filter(pk=invoice.pk).update(is_overdue=True)
    page = admin_client.get(reverse("admin:campaigns_invoice_changelist")).content.decode()
    assert ">Overdue</strong>" in page
    assert "icon-yes.svg" not in page


def test_issued_invoices_and_booked_sessions_cannot_be_deleted(admin_user):
    request = RequestFactory().get("/")
    request.user = admin_user
    invoices = admin.site._registry[Invoice]
    draft = invoice_draft_create(brand=BrandFactory(), currency="USD")
    assert invoices.has_delete_permission(request, draft)
    assert not invoices.has_delete_permission(request, _issued_invoice())

    sessions = admin.site._registry[LiveSession]
    session = LiveSessionFactory(
        account=PlatformAccountFactory(creator=creator_on_plan()), gifts_value_minor=5_00
    )
    assert sessions.has_delete_permission(request, session)
    live_session_revenue_book(session=session)
    session.refresh_from_db()
    assert session.revenue_booked_at is not None
    assert not sessions.has_delete_permission(request, session)
