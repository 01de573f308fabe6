"""Billing settings with their defaults (override in the environment-driven settings)."""

from decimal import Decimal

from django.conf import settings

from agency.roles import FINANCE


def payout_minimum() -> Decimal:
    """Smallest payout, in major units of the payout currency."""
    return Decimal(str(settings.BILLING_PAYOUT_MINIMUM))


def max_batch_size() -> int:
    """Most revenue events one API call may post."""
    return int(settings.BILLING_MAX_EVENT_BATCH)


def remittance_fx_tolerance() -> Decimal:
    """How far (a share of the expected amount) a remittance paid in another currency than
    its events may differ and still be matched, the difference booked as FX."""
    return Decimal(str(settings.BILLING_REMITTANCE_FX_TOLERANCE))


SCOPE_AGENCY = "agency"
SCOPE_ASSIGNED = "assigned"


def data_partner_scope() -> str:
    """Which creators a data partner may report for: ``agency`` (every creator) or
    ``assigned`` (those assigned to it); see ``billing.scoping``."""
    scope = str(settings.BILLING_DATA_PARTNER_SCOPE)
    if scope not in (SCOPE_AGENCY, SCOPE_ASSIGNED):
        raise ValueError(f"BILLING_DATA_PARTNER_SCOPE must be agency or assigned, not {scope!r}.")
    return scope


FINANCE_GROUP = FINANCE  # the role that approves and settles payouts
