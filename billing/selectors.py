"""Read queries for the API, admin and jobs: partner-scoped, set-based, no N+1."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, F, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from agency.errors import NotFound
from agency.models import Partner
from agency.months import month_bounds
from agency.roles import has_role
from billing import conf
from billing.models import (
    Account,
    CommissionPlan,
    LedgerCheck,
    LedgerLeg,
    Payout,
    PayoutBatch,
    Remittance,
    RemittanceLine,
    RemittanceMatch,
    RevenueEvent,
    RevenueSplit,
    Statement,
    StatementLine,
)
from creators.models import Creator


def statement_list_for_partner(*, partner: Partner) -> QuerySet[Statement]:
    """A sub-agency's creators' statements; nothing for any other partner."""
    if partner.kind != Partner.Kind.SUB_AGENCY:
        return Statement.objects.none()
    return (
        Statement.objects.filter(creator__sub_agency=partner)
        .select_related("creator")
        .order_by("-period", "creator_id", "pk")
    )


STATEMENT_LINE_ROW_FIELDS = (
    "id", "kind", "occurred_on", "description", "gross_minor", "fee_minor", "agency_minor",
    "manager_minor", "sub_agency_minor", "fx_rate", "net_minor", "original_currency",
)  # fmt: skip


def statement_line_rows(*, statement: Statement) -> QuerySet:
    """A statement's lines as flat rows, in statement order (one query)."""
    lines = StatementLine.objects.filter(statement=statement).order_by("occurred_on", "pk")
    return lines.values(*STATEMENT_LINE_ROW_FIELDS)


def commission_line_list_for_partner(*, partner: Partner) -> QuerySet[RevenueSplit]:
    """The splits that credited this sub-agency (its own commission lines)."""
    if partner.kind != Partner.Kind.SUB_AGENCY:
        return RevenueSplit.objects.none()
    return (
        RevenueSplit.objects.filter(sub_agency=partner)
        .exclude(sub_agency_minor=0)
        .select_related("event")
        .order_by("-pk")
    )


def revenue_event_list_for_partner(*, partner: Partner) -> QuerySet[RevenueEvent]:
    """The events this data partner posted."""
    return RevenueEvent.objects.filter(partner=partner).order_by("-pk")


def remittance_list_with_totals() -> QuerySet[Remittance]:
    """Remittances with what is matched, unmatched and the difference to what was booked
    (``matched_minor``, ``unmatched_minor``, ``difference_minor``: remittance currency)."""
    matched = Coalesce(Sum("lines__applied_minor"), 0)
    return Remittance.objects.annotate(
        matched_minor=matched,
        unmatched_minor=F("amount_minor") + F("fee_withheld_minor") - matched,
        difference_minor=Coalesce(
            Sum(
                F("lines__amount_minor") - F("lines__expected_minor"),
                filter=Q(lines__expected_minor__isnull=False),
            ),
            0,
        ),
    ).order_by("-received_on", "-pk")


def remittance_list_for_partner(*, partner: Partner) -> QuerySet[Remittance]:
    """The remittances this data partner reported, with their lines and matched events."""
    lines = RemittanceLine.objects.order_by("line_no").prefetch_related(
        Prefetch("matches", queryset=RemittanceMatch.objects.order_by("event_id"))
    )
    return (
        remittance_list_with_totals()
        .filter(partner=partner)
        .prefetch_related(Prefetch("lines", queryset=lines))
    )


def revenue_by_stream(*, start, end) -> list[dict]:
    """Per stream and currency for events that occurred in [start, end): gross and the
    agency's share (their splits' agency legs, the amounts posted to agency revenue)."""
    return list(
        RevenueSplit.objects.filter(event__occurred_on__gte=start, event__occurred_on__lt=end)
        .values("event__stream", "currency")
        .annotate(gross=Sum("gross_minor"), agency=Sum("agency_minor"))
        .order_by("currency", "event__stream")
    )


def payouts_awaiting_approval() -> list[dict]:
    """Draft batches' payouts per currency: how many batches and how much they pay."""
    return list(
        Payout.objects.filter(batch__status=PayoutBatch.Status.DRAFT)
        .values("currency")
        .annotate(batches=Count("batch", distinct=True), total=Sum("amount_minor"))
        .order_by("currency")
    )


def statements_by_status(*, period) -> dict[str, int]:
    rows = Statement.objects.filter(period=period).values_list("status").annotate(n=Count("pk"))
    return dict(rows.order_by())


def cash_not_received() -> list[dict]:
    """Earnings still waiting for the platform's or brand's cash (pending or locked)."""
    return list(
        RevenueEvent.objects.filter(
            status__in=[RevenueEvent.Status.PENDING, RevenueEvent.Status.LOCKED]
        )
        .values("currency")
        .annotate(total=Sum("gross_minor"))
        .order_by("currency")
    )


def is_finance(user) -> bool:
    """The user belongs to the finance role (who approves and settles money)."""
    return has_role(user, conf.FINANCE_GROUP)


# --- reads that services use ---------------------------------------------------------


def no_plan_error(*, creator_id: int, stream: str, on: dt.date) -> NotFound:
    return NotFound(
        f"No approved {stream} commission plan for creator {creator_id} on {on}.",
        code="no_commission_plan",
    )


def commission_plan_in_force(*, creator: Creator, stream: str, on: dt.date) -> CommissionPlan:
    """The approved plan for the creator's contract covering ``on`` with the latest start."""
    plan = (
        CommissionPlan.objects.filter(
            contract__creator=creator,
            contract__starts_on__lte=on,
            stream=stream,
            status=CommissionPlan.Status.APPROVED,
            effective_from__lte=on,
        )
        .exclude(contract__ends_on__lte=on)
        .order_by("-effective_from", "-pk")
        .first()
    )
    if plan is None:
        raise no_plan_error(creator_id=creator.pk, stream=stream, on=on)
    return plan


def ledger_check_latest() -> LedgerCheck | None:
    """The last recorded ledger check (nightly job or the command), if any ran."""
    return LedgerCheck.objects.order_by("-finished_at", "-pk").first()


def statement_lines_shown(lines: QuerySet[StatementLine]) -> QuerySet[StatementLine]:
    """Statement lines in date order. A payout line carries its payout's state
    (``payout_status``, one subquery), so a payout still awaiting approval reads as
    reserved, not paid."""
    state = Payout.objects.filter(reserve_transaction=OuterRef("transaction")).values("status")
    return lines.annotate(payout_status=Subquery(state[:1])).order_by("occurred_on", "pk")


@dataclass(frozen=True)
class PayeeStatementLine:
    posted_on: dt.date
    description: str
    source: str
    amount_minor: int  # credit positive: a cut earned; a payout or a refund negative


@dataclass(frozen=True)
class PayeeStatement:
    """A talent manager's or a sub-agency's month in one currency, read from the legs of
    their payable account: the opening balance, one line per posting in the month, the
    closing balance. Postings are immutable and a month's lines are those posted in it, so
    a month that has ended never changes (late refunds land in the month they are posted)."""

    account: Account
    period: dt.date  # first day of the month
    opening_minor: int
    lines: list[PayeeStatementLine]
    closing_minor: int

    @property
    def currency(self) -> str:
        return self.account.currency


def payee_accounts(**party) -> QuerySet[Account]:
    """The payable accounts of talent managers and sub-agencies (``party`` narrows them,
    e.g. ``sub_agency=partner``)."""
    return (
        Account.objects.filter(
            kind__in=[Account.Kind.MANAGER_PAYABLE, Account.Kind.SUB_AGENCY_PAYABLE], **party
        )
        .select_related("manager", "sub_agency")
        .order_by("kind", "currency", "pk")
    )


def payee_statement(*, account: Account, period: dt.date) -> PayeeStatement:
    """Two queries: the balance before the month, and the month's legs."""
    period, after = month_bounds(period)
    start = timezone.make_aware(dt.datetime.combine(period, dt.time()))
    end = timezone.make_aware(dt.datetime.combine(after, dt.time()))
    legs = LedgerLeg.objects.filter(account=account)
    opening = legs.filter(transaction__posted_at__lt=start).aggregate(s=Sum("amount_minor"))["s"]
    lines = [
        PayeeStatementLine(
            posted_on=timezone.localtime(leg.transaction.posted_at).date(),
            description=leg.transaction.memo,
            source=f"{leg.transaction.source_type}:{leg.transaction.source_id}",
            amount_minor=leg.amount_minor,
        )
        for leg in legs.filter(transaction__posted_at__gte=start, transaction__posted_at__lt=end)
        .select_related("transaction")
        .order_by("transaction__posted_at", "pk")
    ]
    opening = opening or 0
    return PayeeStatement(
        account=account,
        period=period,
        opening_minor=opening,
        lines=lines,
        closing_minor=opening + sum(line.amount_minor for line in lines),
    )
