"""Finance's landing panel: this month's revenue and agency share, payouts to approve,
last month's statements, cash not yet received."""

import datetime as dt
from collections import defaultdict

from django.urls import reverse
from django.utils import timezone

from agency.dashboards import COLOURS, Card, Panel, bar_chart, panel
from agency.money import format_money, to_major
from agency.roles import FINANCE
from billing import selectors
from billing.models import Stream
from billing.services.statements import month_start, next_month


@panel(FINANCE)
def finance_panel(request) -> Panel:
    today = timezone.localdate()
    start = month_start(today)
    last_month = month_start(start - dt.timedelta(days=1))
    rows = selectors.revenue_by_stream(start=start, end=next_month(start))
    gross, agency = defaultdict(int), defaultdict(int)
    for row in rows:
        gross[row["currency"]] += row["gross"]
        agency[row["currency"]] += row["agency"]
    awaiting = selectors.payouts_awaiting_approval()
    statements = selectors.statements_by_status(period=last_month)
    unpaid = selectors.cash_not_received()
    check = selectors.ledger_check_latest()
    labels = dict(Stream.choices)
    by_currency = defaultdict(list)
    for row in rows:
        by_currency[row["currency"]].append(
            (labels.get(row["event__stream"], row["event__stream"]),
             to_major(row["gross"], row["currency"]))
        )  # fmt: skip
    return Panel(
        title=f"Finance: {start:%B %Y}",
        cards=[
            Card("Revenue this month (gross)", _amounts(gross), "all streams, by currency"),
            Card("Agency share this month", _amounts(agency), "posted to agency revenue"),
            Card(
                "Payouts awaiting approval",
                "; ".join(
                    f"{r['batches']} batch(es), {format_money(r['total'], r['currency'])}"
                    for r in awaiting
                )
                or "none",
                "approve a batch someone else prepared",
                reverse("admin:billing_payoutbatch_changelist") + "?status__exact=draft",
            ),
            Card(
                f"Statements for {last_month:%B %Y}",
                f"{statements.get('closed', 0)} closed, {statements.get('open', 0)} open",
                "close the open ones",
                reverse("admin:billing_statement_changelist") + "?status__exact=open",
            ),
            Card(
                "Cash not yet received",
                "; ".join(format_money(r["total"], r["currency"]) for r in unpaid) or "none",
                "earnings in their hold period or awaiting the payer's cash",
            ),
            _ledger_card(check),
        ],
        charts=[
            bar_chart(
                title=f"Revenue this month by stream, {currency}",
                unit=f"{currency} (gross)",
                bars=bars,
                legend=f"gross revenue, {currency}",
                colour=COLOURS[i % len(COLOURS)],
            )
            for i, (currency, bars) in enumerate(sorted(by_currency.items()))
        ],
    )


def _ledger_card(check) -> Card:
    """The last ledger check: clean, or how many mismatches it found (and the first)."""
    checks = reverse("admin:billing_ledgercheck_changelist")
    if check is None:
        return Card("Ledger check", "not run yet", "runs nightly; or manage.py verify_ledger")
    when = timezone.localtime(check.finished_at)
    if not check.mismatch_count:
        return Card(
            "Ledger check", "clean", f"{check.get_source_display()}, {when:%d %b %Y %H:%M}", checks
        )
    return Card(
        "Ledger check",
        f"{check.mismatch_count} mismatch{'es' if check.mismatch_count > 1 else ''}",
        f"{when:%d %b %Y %H:%M}: {check.mismatches[0] if check.mismatches else ''}"[:160],
        reverse("admin:billing_ledgercheck_change", args=[check.pk]),
        alert=True,
    )


def _amounts(totals: dict[str, int]) -> str:
    return "; ".join(format_money(v, c) for c, v in sorted(totals.items())) or "none"
