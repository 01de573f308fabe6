"""Billing settings with their defaults (override in the environment-driven settings)."""

from decimal import Decimal

from django.conf import settings


def payout_minimum() -> Decimal:
    """Smallest payout, in major units of the payout currency."""
    return Decimal(str(getattr(settings, "BILLING_PAYOUT_MINIMUM", "50")))


def max_batch_size() -> int:
    """Most revenue events one API call may post."""
    return int(getattr(settings, "BILLING_MAX_EVENT_BATCH", 500))


FINANCE_GROUP = "finance"
