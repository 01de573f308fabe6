"""Monthly statements: where a line lands, and closing a period.

A line lands in the month of its date unless that month (or a later one) is closed for the
creator; then it lands in the first month after the latest closed one, so a late refund is
clawed back in the next open period and a closed statement never changes (DB trigger).
"""

import datetime as dt
import hashlib
from decimal import Decimal

import structlog
from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone

from agency.errors import ApplicationError, Conflict
from agency.money import round_minor
from billing import ledger
from billing.models import Account, Advance, RecoupableExpense, Statement, StatementLine
from creators.models import Creator

log = structlog.get_logger(__name__)


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def advisory_lock(*parts: object) -> None:
    """A transaction-scoped PostgreSQL advisory lock on a name built from ``parts``."""
    name = ":".join(str(p) for p in parts).encode()
    key = int.from_bytes(hashlib.sha256(name).digest()[:8], "big", signed=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def statement_for_line(*, creator: Creator, on: dt.date) -> Statement:
    """The open statement a line dated ``on`` belongs to, locked for the caller's transaction.

    When the month closes while we wait for its lock, the line moves on to the next month.
    """
    for _ in range(3):
        period = month_start(on)
        latest_closed = (
            Statement.objects.filter(creator=creator, status=Statement.Status.CLOSED)
            .order_by("-period")
            .values_list("period", flat=True)
            .first()
        )
        if latest_closed is not None and period <= latest_closed:
            period = next_month(latest_closed)
        statement, _ = Statement.objects.get_or_create(
            creator=creator, period=period, defaults={"currency": creator.payout_currency}
        )
        statement = Statement.objects.select_for_update().get(pk=statement.pk)
        if statement.status == Statement.Status.OPEN:
            return statement
    raise Conflict("The creator's statements are being closed; retry.")


def statement_line_add(
    *, creator: Creator, on: dt.date, statement: Statement | None = None, **fields
) -> StatementLine:
    """Add a line. Services that also post to the ledger lock the statement first
    (``statement_for_line``) and pass it in: the lock order is always statement row, then
    balance rows, the same as closing a month, so the two never deadlock."""
    statement = statement or statement_for_line(creator=creator, on=on)
    return StatementLine.objects.create(statement=statement, occurred_on=on, **fields)


def _creator_payable(creator: Creator) -> Account:
    return ledger.account_get(
        kind=Account.Kind.CREATOR_PAYABLE, currency=creator.payout_currency, creator=creator
    )


def _advances(creator: Creator) -> Account:
    return ledger.account_get(
        kind=Account.Kind.ADVANCES, currency=creator.payout_currency, creator=creator
    )


def _deduct_expenses(*, statement: Statement, period_end: dt.date) -> None:
    creator = statement.creator
    expenses = RecoupableExpense.objects.select_for_update().filter(
        creator=creator, deducted_in__isnull=True, incurred_on__lt=period_end
    )
    for expense in expenses.order_by("pk"):
        txn = ledger.post(
            source_type="expense_deduction",
            source_id=expense.pk,
            effective_on=period_end - dt.timedelta(days=1),
            legs=[
                ledger.Leg(_creator_payable(creator), -expense.amount_minor),
                ledger.Leg(_advances(creator), expense.amount_minor),
            ],
            memo=f"Recoupable expense: {expense.description}",
        )
        StatementLine.objects.create(
            statement=statement,
            kind=StatementLine.Kind.EXPENSE,
            transaction=txn,
            description=expense.description[:255],
            occurred_on=expense.incurred_on,
            original_currency=expense.currency,
            original_net_minor=-expense.amount_minor,
            net_minor=-expense.amount_minor,
        )
        expense.deducted_in = statement
        expense.save(update_fields=["deducted_in"])


def advance_outstanding(*, creator: Creator) -> int:
    issued = Advance.objects.filter(creator=creator).aggregate(s=Sum("amount_minor"))["s"] or 0
    recouped = (
        StatementLine.objects.filter(
            statement__creator=creator, kind=StatementLine.Kind.RECOUPMENT
        ).aggregate(s=Sum("net_minor"))["s"]
        or 0
    )
    return issued + recouped  # recoupment lines are negative


def _recoup_advances(*, statement: Statement, period_end: dt.date) -> None:
    """Recoup outstanding advances, at most the cap share of this period's net earnings."""
    creator = statement.creator
    outstanding = advance_outstanding(creator=creator)
    if outstanding <= 0:
        return
    latest = Advance.objects.filter(creator=creator).order_by("-issued_on", "-pk").first()
    earnings = (
        statement.lines.filter(
            kind__in=[StatementLine.Kind.EARNING, StatementLine.Kind.CLAWBACK]
        ).aggregate(s=Sum("net_minor"))["s"]
        or 0
    )
    if earnings <= 0:
        return
    amount = min(outstanding, round_minor(Decimal(earnings) * latest.recoup_cap_rate))
    if amount <= 0:
        return
    txn = ledger.post(
        source_type="advance_recoupment",
        source_id=statement.pk,
        effective_on=period_end - dt.timedelta(days=1),
        legs=[
            ledger.Leg(_creator_payable(creator), -amount),
            ledger.Leg(_advances(creator), amount),
        ],
        memo=f"Advance recoupment {statement.period:%Y-%m}",
    )
    StatementLine.objects.create(
        statement=statement,
        kind=StatementLine.Kind.RECOUPMENT,
        transaction=txn,
        description=f"Advance recoupment (cap {latest.recoup_cap_rate:%})",
        occurred_on=period_end - dt.timedelta(days=1),
        original_currency=statement.currency,
        original_net_minor=-amount,
        net_minor=-amount,
    )


@transaction.atomic
def statement_close(*, creator: Creator, period: dt.date) -> Statement:
    """Close a creator's month: deduct recoupable expenses, recoup advances, fix the opening
    and closing balances and make the statement immutable.

    Idempotent under concurrency: an advisory lock on the creator serialises closers and a
    closed statement is returned unchanged. Months close in order, once they have ended.
    """
    period = month_start(period)
    if period >= month_start(timezone.localdate()):
        raise ApplicationError("A month can be closed only after it has ended.")
    advisory_lock("statement_close", creator.pk)
    statement, _ = Statement.objects.get_or_create(
        creator=creator, period=period, defaults={"currency": creator.payout_currency}
    )
    statement = Statement.objects.select_for_update().select_related("creator").get(pk=statement.pk)
    if statement.status == Statement.Status.CLOSED:
        return statement
    previous = Statement.objects.filter(creator=creator, period__lt=period).order_by("-period")
    if previous.exclude(status=Statement.Status.CLOSED).exists():
        raise Conflict("Close the creator's earlier months first.")
    period_end = next_month(period)
    _deduct_expenses(statement=statement, period_end=period_end)
    _recoup_advances(statement=statement, period_end=period_end)
    last = previous.first()
    opening = last.closing_minor if last is not None else 0
    total = statement.lines.aggregate(s=Sum("net_minor"))["s"] or 0
    statement.opening_minor = opening
    statement.closing_minor = opening + total
    statement.status = Statement.Status.CLOSED
    statement.closed_at = timezone.now()
    statement.save(update_fields=["opening_minor", "closing_minor", "status", "closed_at"])
    log.info("statement_closed", statement_id=statement.pk, closing_minor=statement.closing_minor)
    return statement


def statements_close_due(*, today: dt.date) -> int:
    """Close every open statement of a month before ``today``'s, oldest first. Returns the count."""
    due = (
        Statement.objects.filter(status=Statement.Status.OPEN, period__lt=month_start(today))
        .order_by("creator_id", "period")
        .values_list("creator_id", "period")
    )
    closed = 0
    creators = {c.pk: c for c in Creator.objects.filter(pk__in={c for c, _ in due})}
    for creator_id, period in list(due):
        statement_close(creator=creators[creator_id], period=period)
        closed += 1
    return closed


def creator_months_close(*, creator: Creator, through: dt.date, closed_by) -> list[Statement]:
    """Close one creator's month on demand (finance only), with the creator's earlier open
    months first, oldest first, as months close in order. Closing again changes nothing."""
    from billing.services.payouts import is_finance

    if not is_finance(closed_by):
        raise ApplicationError("Only a member of the finance group closes months on demand.")
    periods = list(
        Statement.objects.filter(
            creator=creator, status=Statement.Status.OPEN, period__lte=month_start(through)
        )
        .order_by("period")
        .values_list("period", flat=True)
    )
    if month_start(through) not in periods:
        periods.append(month_start(through))
    closed = [statement_close(creator=creator, period=period) for period in periods]
    log.info("creator_months_closed", creator_id=creator.pk, closed_by=closed_by.pk)
    return closed
