"""Thin Celery tasks over campaigns services: ids in, idempotent, advisory-locked when
periodic (schedule in settings, ``# campaigns``)."""

import datetime as dt

from celery import shared_task
from django.db import OperationalError

from agency.celery import Queue
from agency.errors import Conflict
from agency.months import previous_month
from agency.periodic import periodic_task
from campaigns.models import BrandDeal
from campaigns.services.affiliate import affiliate_orders_settle_due
from campaigns.services.deals import deal_revenue_book
from campaigns.services.invoices import invoices_flag_overdue
from campaigns.services.operations import month_close


@shared_task(
    queue=Queue.BILLING,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError, Conflict),
    retry_backoff=30,
    retry_jitter=True,
)
def campaigns_deal_revenue_book(deal_id: int) -> int:
    """Book a paid deal's fee as revenue events; a rerun finds them booked already. A run
    racing another one gets billing's Conflict and retries (the retry is a no-op)."""
    deal = BrandDeal.objects.get(pk=deal_id)
    return len(deal_revenue_book(deal=deal))


@periodic_task(queue=Queue.BILLING, lock=("campaigns", "flag_overdue_invoices"))
def campaigns_flag_overdue_invoices(today: dt.date) -> int:
    """Flag issued invoices past their due date."""
    return invoices_flag_overdue(today=today)


@periodic_task(queue=Queue.BILLING, lock=("campaigns", "settle_due_affiliate_orders"))
def campaigns_settle_due_affiliate_orders(today: dt.date) -> int:
    """Settle affiliate orders whose settlement date has come (books their commission)."""
    return affiliate_orders_settle_due(today=today)


@periodic_task(queue=Queue.BILLING, lock=("campaigns", "close_last_month"))
def campaigns_close_last_month(today: dt.date) -> int:
    """Draft last month's client invoices (for review and issue in the admin) and book the
    rebates of rebate ad accounts. Returns the number of drafts."""
    drafts, _ = month_close(month=previous_month(today))
    return len(drafts)
