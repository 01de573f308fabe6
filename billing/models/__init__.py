"""Billing data: revenue events, commission plans, splits, the ledger, FX, statements, payouts.

Money amounts are integers in the currency's minor unit (``*_minor``, BigInteger) with the
ISO 4217 code on the same row; rates are ``DecimalField(9, 6)`` with a CHECK 0..1.
"""

from billing.models.checks import LedgerCheck
from billing.models.events import HoldPolicy, ImportBatch, RevenueEvent, Stream
from billing.models.fx import ExchangeRate
from billing.models.ledger import Account, BalanceRecheck, LedgerLeg, LedgerTransaction
from billing.models.payouts import Payout, PayoutBatch
from billing.models.plans import Advance, CommissionPlan, RecoupableExpense
from billing.models.remittances import Remittance, RemittanceLine, RemittanceMatch
from billing.models.scoping import DataPartnerCreator
from billing.models.splits import MonthToDate, RevenueSplit
from billing.models.statements import Statement, StatementLine

__all__ = [
    "Account",
    "Advance",
    "BalanceRecheck",
    "CommissionPlan",
    "DataPartnerCreator",
    "ExchangeRate",
    "HoldPolicy",
    "ImportBatch",
    "LedgerCheck",
    "LedgerLeg",
    "LedgerTransaction",
    "MonthToDate",
    "Payout",
    "PayoutBatch",
    "RecoupableExpense",
    "Remittance",
    "RemittanceLine",
    "RemittanceMatch",
    "RevenueEvent",
    "RevenueSplit",
    "Statement",
    "StatementLine",
    "Stream",
]
