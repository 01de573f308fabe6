"""Who a payout pays: a creator, a talent manager or a sub-agency.

Each payee has one payable account per currency (``billing.models.Account``) that the
posting engine credits with their part of every split. Payouts drain it the same way for
all three (``billing.services.payouts``); what differs is only which account, what is still
held (cuts of events not yet payable) and, for creators, the statement line a payout adds.
"""

from dataclasses import dataclass

from django.db.models import Sum

from agency.models import Partner
from billing.models import Account, RevenueEvent, RevenueSplit, StatementLine
from creators.models import Creator

HELD = [RevenueEvent.Status.PENDING, RevenueEvent.Status.LOCKED]
PAYABLE_KINDS = {
    "creator": Account.Kind.CREATOR_PAYABLE,
    "manager": Account.Kind.MANAGER_PAYABLE,
    "sub_agency": Account.Kind.SUB_AGENCY_PAYABLE,
}


@dataclass(frozen=True)
class Payee:
    """Exactly one of the three is set."""

    creator: Creator | None = None
    manager: object | None = None  # a staff user (talent manager)
    sub_agency: Partner | None = None

    def __post_init__(self) -> None:
        if sum(x is not None for x in (self.creator, self.manager, self.sub_agency)) != 1:
            raise ValueError("A payee is exactly one creator, manager or sub-agency.")

    @classmethod
    def of(cls, obj) -> "Payee":
        """The payee of a payout or an account."""
        return cls(creator=obj.creator, manager=obj.manager, sub_agency=obj.sub_agency)

    @property
    def role(self) -> str:
        if self.creator is not None:
            return "creator"
        return "manager" if self.manager is not None else "sub_agency"

    @property
    def party(self) -> dict:
        """The payee as model fields (payout rows, account rows)."""
        return {self.role: getattr(self, self.role)}

    @property
    def account_kind(self) -> str:
        return PAYABLE_KINDS[self.role]

    @property
    def key(self) -> str:
        """Unique among payees: ``creator:7``, ``manager:3``, ``sub_agency:2``."""
        return f"{self.role}:{getattr(self, self.role).pk}"

    def __str__(self) -> str:
        label = {"creator": "creator", "manager": "talent manager", "sub_agency": "sub-agency"}
        return f"{label[self.role]} {getattr(self, self.role)}"

    def held_minor(self, currency: str) -> int:
        """The payee's part of events still pending or locked (not payable yet), in
        ``currency``: never paid out before the cash is in."""
        if self.creator is not None:  # creators: their statement lines (payout currency)
            rows = StatementLine.objects.filter(
                statement__creator=self.creator, event__status__in=HELD
            )
            return rows.aggregate(s=Sum("net_minor"))["s"] or 0
        column = f"{self.role}_minor"
        rows = RevenueSplit.objects.filter(
            **{self.role: getattr(self, self.role)}, currency=currency, event__status__in=HELD
        )
        return rows.aggregate(s=Sum(column))["s"] or 0
