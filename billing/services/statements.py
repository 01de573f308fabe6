"""Monthly statements: where a line lands, and closing a period.

A line lands in the month of its date unless that month (or a later one) is closed for the
creator; then it lands in the first month after the latest closed one, so a late refund is
clawed back in the next open period and a closed statement never changes (DB trigger).
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import NamedTuple

import structlog
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from agency.errors import ApplicationError, Conflict
from agency.locks import advisory_locks
from agency.money import round_minor
from agency.months import month_start, next_month
from billing import bulk, ledger
from billing.models import Account, Advance, Statement, StatementLine
from billing.selectors import is_finance
from creators.models import Creator

log = structlog.get_logger(__name__)


def creators_close_lock(creator_ids: set[int]) -> None:
    """Take ``statement_close``'s advisory lock of every creator, in key order, so that
    batches over overlapping creators queue instead of deadlocking and no month of these
    creators closes until the caller commits."""
    advisory_locks("statement_close", creator_ids)


def statements_ensure(wanted: Iterable[tuple[int, dt.date, str]]) -> None:
    """Create the statements ``(creator id, period, payout currency)`` that do not exist
    yet: one ``INSERT ... SELECT FROM unnest(...) ON CONFLICT DO NOTHING``, no model
    instances (months close and batches post for thousands of creators at a time)."""
    rows = sorted(set(wanted))
    if not rows:
        return
    creators, periods, currencies = zip(*rows, strict=True)
    bulk.execute(
        "INSERT INTO billing_statement (creator_id, period, currency, status, created_at)"
        " SELECT c, p, ccy, %s, now()"
        " FROM unnest(%s::bigint[], %s::date[], %s::text[]) AS v(c, p, ccy)"
        " ORDER BY c, p ON CONFLICT (creator_id, period) DO NOTHING",
        [Statement.Status.OPEN.value, list(creators), list(periods), list(currencies)],
    )


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


@dataclass
class _Closing:
    """What closing one statement writes: postings with their lines. The statement is
    known by its id, currency and opening balance (no model instance per statement)."""

    statement_id: int
    currency: str
    opening: int
    postings: list[ledger.Posting] = field(default_factory=list)
    lines: list[StatementLine] = field(default_factory=list)
    expenses: list[int] = field(default_factory=list)


def _close_posting(
    closing: _Closing, keys, *, amount: int, source_type: str, source_id, on, memo: str, line: dict
) -> None:
    """Move ``amount`` from the creator's payable to their advances account, with its line."""
    payable, advances = keys
    closing.postings.append(
        ledger.Posting(
            source_type=source_type,
            source_id=str(source_id),
            effective_on=on,
            amounts={payable: -amount, advances: amount},
            currencies={payable: closing.currency, advances: closing.currency},
            memo=memo,
        )
    )
    closing.lines.append(
        StatementLine(
            statement_id=closing.statement_id,
            original_currency=closing.currency,
            original_net_minor=-amount,
            net_minor=-amount,
            **line,
        )
    )


def _advances_due(todo: dict[int, "_Closing"]) -> dict[int, tuple]:
    """Per creator with an outstanding advance: (outstanding, latest cap rate, this period's
    net earnings). The first query (one array of creator ids) finds the few creators with
    an approved advance; the other three are grouped queries over those creators only."""
    issued = dict(
        bulk.execute(
            "SELECT creator_id, SUM(amount_minor)::bigint FROM billing_advance"
            " WHERE creator_id = ANY(%s::bigint[]) AND approved_at IS NOT NULL GROUP BY creator_id",
            [sorted(todo)],
        )
    )
    if not issued:
        return {}
    recouped = dict(  # recoupment lines are negative
        StatementLine.objects.filter(
            statement__creator_id__in=issued, kind=StatementLine.Kind.RECOUPMENT
        )
        .values("statement__creator_id")
        .annotate(total=Sum("net_minor"))
        .values_list("statement__creator_id", "total")
    )
    caps = dict(
        Advance.objects.filter(creator_id__in=issued, approved_at__isnull=False)
        .order_by("creator_id", "-issued_on", "-pk")
        .distinct("creator_id")
        .values_list("creator_id", "recoup_cap_rate")
    )
    earnings = dict(
        StatementLine.objects.filter(
            statement_id__in=[todo[c].statement_id for c in issued],
            kind__in=[StatementLine.Kind.EARNING, StatementLine.Kind.CLAWBACK],
        )
        .values("statement__creator_id")
        .annotate(total=Sum("net_minor"))
        .values_list("statement__creator_id", "total")
    )
    return {
        c: (total + recouped.get(c, 0), caps[c], earnings.get(c) or 0)
        for c, total in issued.items()
    }


def _statements_close(
    *, creators: dict[int, Creator], period: dt.date
) -> tuple[dict[int, int], set[int]]:
    """Close month ``period`` of these creators with a fixed number of queries: deduct
    recoupable expenses, recoup advances (at most the cap share of the period's net
    earnings), fix opening and closing balances and make the statements immutable.

    Returns every creator's statement id (closed now or before) and the creators skipped
    because an earlier month of theirs is still open. Lock order as posting: the creators'
    close locks, statement rows, balance rows (last)."""
    statements, blocked, todo = _closings_lock(creators=creators, period=period)
    if todo:
        on = next_month(period) - dt.timedelta(days=1)
        _expenses_deduct(todo, creators, period=period, on=on)
        _advances_recoup(todo, creators, period=period, on=on)
        closings = [c for _, c in sorted(todo.items())]
        deltas = _closings_write(closings)
        _balances_fix(closings)
        ledger.balances_apply(deltas)
        log.info("statements_closed", period=period.isoformat(), closed=len(closings))
    return {c: s for c, s in statements.items() if c not in blocked}, blocked


# The month's statement rows of a set of creators, locked in primary-key order, each with
# whether an earlier month of its creator is still open and the closing balance of the
# creator's latest earlier month (the opening balance). The two subqueries are index
# lookups per statement on (creator, period); earlier months cannot change meanwhile, as
# closing one takes the creator's close lock, which the caller holds.
_LOCK_SQL = """
    SELECT s.id, s.creator_id, s.status, s.currency,
           EXISTS (SELECT 1 FROM billing_statement e
                    WHERE e.creator_id = s.creator_id AND e.period < s.period
                      AND e.status <> 'closed'),
           (SELECT p.closing_minor FROM billing_statement p
             WHERE p.creator_id = s.creator_id AND p.period < s.period
             ORDER BY p.period DESC LIMIT 1)
      FROM billing_statement s
     WHERE s.creator_id = ANY(%s::bigint[]) AND s.period = %s
     ORDER BY s.id
       FOR UPDATE OF s"""


def _closings_lock(
    *, creators: dict[int, Creator], period: dt.date
) -> tuple[dict[int, int], set[int], dict[int, "_Closing"]]:
    """Take the creators' close locks and their month's statement rows (created when
    missing: a statement exists already for every creator of a month being closed, so the
    INSERT runs only for the others); the creators with an earlier month still open are
    blocked; the open statements of the others are to close. One query reads the rows,
    the blocked creators and the openings."""
    creators_close_lock(set(creators))
    ids = sorted(creators)
    rows = bulk.execute(_LOCK_SQL, [ids, period])
    missing = set(creators) - {row[1] for row in rows}
    if missing:
        statements_ensure((c, period, creators[c].payout_currency) for c in missing)
        rows = bulk.execute(_LOCK_SQL, [ids, period])
    statements = {creator: pk for pk, creator, *_ in rows}
    blocked = {creator for _, creator, _, _, earlier_open, _ in rows if earlier_open}
    todo = {
        creator: _Closing(pk, currency, opening or 0)
        for pk, creator, status, currency, earlier_open, opening in rows
        if status == Statement.Status.OPEN and not earlier_open
    }
    return statements, blocked, todo


def _close_accounts(creator: Creator) -> tuple[tuple, tuple]:
    """The payable and advances accounts a close posts to, by natural key (ids are
    resolved once the postings are known)."""
    ccy = creator.payout_currency
    return (
        (Account.Kind.CREATOR_PAYABLE, ccy, creator.pk, None, None),
        (Account.Kind.ADVANCES, ccy, creator.pk, None, None),
    )


def _expenses_deduct(
    todo: dict[int, "_Closing"], creators: dict[int, Creator], *, period: dt.date, on: dt.date
) -> None:
    expenses = bulk.execute(
        "SELECT id, creator_id, amount_minor, description, incurred_on"
        "  FROM billing_recoupableexpense"
        " WHERE creator_id = ANY(%s::bigint[]) AND deducted_in_id IS NULL AND incurred_on < %s"
        "   AND approved_at IS NOT NULL"  # maker-checker: only approved expenses are deducted
        " ORDER BY id FOR UPDATE",
        [sorted(todo), next_month(period)],
    )
    for pk, creator_id, amount, description, incurred_on in expenses:
        closing = todo[creator_id]
        _close_posting(
            closing, _close_accounts(creators[creator_id]), amount=amount,
            source_type="expense_deduction", source_id=pk, on=on,
            memo=f"Recoupable expense: {description}",
            line={"kind": StatementLine.Kind.EXPENSE, "description": description[:255],
                  "occurred_on": incurred_on},
        )  # fmt: skip
        closing.expenses.append(pk)


def _advances_recoup(
    todo: dict[int, "_Closing"], creators: dict[int, Creator], *, period: dt.date, on: dt.date
) -> None:
    """Recoup outstanding advances: at most the cap share of the period's net earnings."""
    due = _advances_due(todo)
    for c, (outstanding, cap, earnings) in sorted(due.items()):
        if c not in todo or outstanding <= 0 or earnings <= 0:
            continue
        amount = min(outstanding, round_minor(Decimal(earnings) * cap))
        if amount <= 0:
            continue
        closing = todo[c]
        _close_posting(
            closing, _close_accounts(creators[c]), amount=amount,
            source_type="advance_recoupment",
            source_id=closing.statement_id, on=on, memo=f"Advance recoupment {period:%Y-%m}",
            line={"kind": StatementLine.Kind.RECOUPMENT, "occurred_on": on,
                  "description": f"Advance recoupment (cap {cap:%})"},
        )  # fmt: skip


def _closings_write(closings: list["_Closing"]) -> dict:
    """The closings' ledger transactions, statement lines and deducted expenses, in bulk;
    returns the balance deltas to apply last."""
    keys = ledger.accounts_resolve(k for c in closings for p in c.postings for k in p.amounts)
    postings = [
        replace(
            p,
            amounts={keys[k]: v for k, v in p.amounts.items()},
            currencies={keys[k]: v for k, v in p.currencies.items()},
        )
        for c in closings
        for p in c.postings
    ]
    txns, deltas = ledger.transactions_insert(postings) if postings else ([], {})
    lines = [line for c in closings for line in c.lines]
    for line, txn_id in zip(lines, txns, strict=True):
        line.transaction_id = txn_id
    StatementLine.objects.bulk_create(lines)
    deducted = [(pk, c.statement_id) for c in closings for pk in c.expenses]
    if deducted:
        expenses, statements = (list(x) for x in zip(*deducted, strict=True))
        bulk.execute(
            "UPDATE billing_recoupableexpense AS t SET deducted_in_id = v.s"
            "  FROM unnest(%s::bigint[], %s::bigint[]) AS v(id, s)"
            " WHERE t.id = v.id AND t.id = ANY(%s::bigint[])",  # by index, not a hash join
            [expenses, statements, expenses],
        )
    return deltas


def _balances_fix(closings: list["_Closing"]) -> None:
    """Opening = the previous month's closing (read with the lock); closing = opening + the
    month's lines; the statements become closed (immutable). One UPDATE: each statement's
    lines are summed by a subquery on its own id (an index lookup per statement, whatever
    the table's size or the freshness of its statistics: a grouped query over an IN list of
    1,000 ids was planned as a scan of every statement line, once per chunk), and the rows
    are found by primary key ('= ANY(ids)': joined to the arrays alone, the planner hashed
    the whole statement table once per chunk)."""
    ids = [c.statement_id for c in closings]
    bulk.execute(
        "UPDATE billing_statement AS t SET opening_minor = v.a, closing_minor = v.a + COALESCE("
        "(SELECT SUM(l.net_minor) FROM billing_statementline AS l WHERE l.statement_id = t.id),"
        " 0), status = 'closed', closed_at = %s"
        "  FROM unnest(%s::bigint[], %s::bigint[]) AS v(id, a)"
        " WHERE t.id = v.id AND t.id = ANY(%s::bigint[])",
        [timezone.now(), ids, [c.opening for c in closings], ids],
    )


@transaction.atomic
def statement_close(*, creator: Creator, period: dt.date) -> Statement:
    """Close a creator's month: deduct recoupable expenses, recoup advances, fix the opening
    and closing balances and make the statement immutable.

    Idempotent under concurrency: the creator's close lock serialises closers (and posting)
    and a closed statement is returned unchanged. Months close in order, once they ended.
    """
    period = month_start(period)
    if period >= month_start(timezone.localdate()):
        raise ApplicationError("A month can be closed only after it has ended.")
    statements, blocked = _statements_close(creators={creator.pk: creator}, period=period)
    if creator.pk in blocked:
        raise Conflict("Close the creator's earlier months first.")
    return Statement.objects.get(pk=statements[creator.pk])


CLOSE_CHUNK = 1000


class _Party(NamedTuple):
    """What closing needs of a creator (no model instance per creator)."""

    pk: int
    payout_currency: str


def statements_close_month(*, period: dt.date, chunk: int = CLOSE_CHUNK) -> int:
    """Close every open statement of month ``period``, ``chunk`` creators per database
    transaction (creators read page by page). Creators with an earlier month still open are
    left for later. Returns the number closed."""
    period = month_start(period)
    closed, after = 0, 0
    while True:
        page = bulk.execute(
            "SELECT s.creator_id, c.payout_currency FROM billing_statement s"
            "  JOIN creators_creator c ON c.id = s.creator_id"
            " WHERE s.period = %s AND s.status = 'open' AND s.creator_id > %s"
            "   AND c.id > %s"  # else a merge join reads the creators from the first one
            " ORDER BY s.creator_id LIMIT %s",
            [period, after, after, chunk],
        )
        if not page:
            return closed
        after = page[-1][0]
        creators = {pk: _Party(pk, currency) for pk, currency in page}
        with transaction.atomic():
            _, blocked = _statements_close(creators=creators, period=period)
        closed += len(creators) - len(blocked & creators.keys())


def statements_close_due(*, today: dt.date) -> int:
    """Close every open statement of a month before ``today``'s, oldest month first.
    Returns the count."""
    periods = (
        Statement.objects.filter(status=Statement.Status.OPEN, period__lt=month_start(today))
        .order_by("period")
        .values_list("period", flat=True)
        .distinct()
    )
    return sum(statements_close_month(period=period) for period in list(periods))


def creator_months_close(*, creator: Creator, through: dt.date, closed_by) -> list[Statement]:
    """Close one creator's month on demand (finance only), with the creator's earlier open
    months first, oldest first, as months close in order. Closing again changes nothing."""
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
