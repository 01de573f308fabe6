"""Thin Celery tasks over campaigns services: ids in, idempotent, advisory-locked when
periodic (schedule in settings, ``# campaigns``)."""

import datetime as dt

from celery import shared_task
from django.db import OperationalError, connection, transaction
from django.utils import timezone

from agency.celery import Queue
from agency.errors import Conflict
from campaigns.models import BrandDeal
from campaigns.services.affiliate import affiliate_orders_settle_due
from campaigns.services.deals import deal_revenue_book
from campaigns.services.invoices import invoices_flag_overdue
from campaigns.services.operations import month_close

RETRY = {"autoretry_for": (OperationalError,), "retry_backoff": 30, "retry_jitter": True}


def _try_lock(name: str) -> bool:
    """A transaction-scoped advisory lock: a second concurrent run of the job skips."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(hashtext(%s))", [f"campaigns:{name}"])
        return cursor.fetchone()[0]


def _today(today: str | None) -> dt.date:
    return dt.date.fromisoformat(today) if today else timezone.localdate()


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


@shared_task(queue=Queue.BILLING, acks_late=True, reject_on_worker_lost=True, **RETRY)
def campaigns_flag_overdue_invoices(today: str | None = None) -> int:
    """Flag issued invoices past their due date."""
    with transaction.atomic():
        if not _try_lock("flag_overdue_invoices"):
            return 0
        return invoices_flag_overdue(today=_today(today))


@shared_task(queue=Queue.BILLING, acks_late=True, reject_on_worker_lost=True, **RETRY)
def campaigns_settle_due_affiliate_orders(today: str | None = None) -> int:
    """Settle affiliate orders whose settlement date has come (books their commission)."""
    with transaction.atomic():
        if not _try_lock("settle_due_affiliate_orders"):
            return 0
        return affiliate_orders_settle_due(today=_today(today))


@shared_task(queue=Queue.BILLING, acks_late=True, reject_on_worker_lost=True, **RETRY)
def campaigns_close_last_month(today: str | None = None) -> int:
    """Draft last month's client invoices (for review and issue in the admin) and book the
    rebates of rebate ad accounts. Returns the number of drafts."""
    first = _today(today).replace(day=1)
    last_month = (first - dt.timedelta(days=1)).replace(day=1)
    with transaction.atomic():
        if not _try_lock("close_last_month"):
            return 0
        drafts, _ = month_close(month=last_month)
        return len(drafts)
