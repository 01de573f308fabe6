"""The agency's profit and loss by stream and month, read from the ledger.

Every unit on the agency revenue accounts is attributed to exactly one stream: a revenue
event's posting (or its reversal) to the event's stream, an agency-only posting
(``services.agency_revenue``) to the stream in its source id. FX differences on remittances
are their own row. So the report's totals per currency equal the accounts' balances to the
minor unit (tests/billing/test_profit_and_loss.py compares them).
"""

import csv
import datetime as dt
import io
from dataclasses import dataclass

from django.db import connection

from agency.money import format_money, to_major
from agency.months import month_start

FX_ROW = "fx_difference"

PNL_SQL = """
    SELECT date_trunc('month', t.effective_on)::date AS month,
           CASE WHEN a.kind = 'fx_difference' THEN %s
                WHEN o.source_type = 'revenue_event' THEN e.stream
                WHEN o.source_type = 'agency_revenue' THEN split_part(o.source_id, ':', 1)
                ELSE o.source_type END AS stream,
           l.currency, SUM(l.amount_minor) AS amount
      FROM billing_ledgerleg l
      JOIN billing_account a ON a.id = l.account_id
      JOIN billing_ledgertransaction t ON t.id = l.transaction_id
      JOIN billing_ledgertransaction o ON o.id = COALESCE(t.reverses_id, t.id)
      LEFT JOIN billing_revenueevent e
        ON o.source_type = 'revenue_event' AND e.id::text = o.source_id
     WHERE a.kind IN ('agency_revenue', 'fx_difference')
       AND t.effective_on >= %s AND t.effective_on < %s
     GROUP BY 1, 2, 3
     ORDER BY 1, 3, 2
"""


@dataclass(frozen=True)
class PnlRow:
    month: dt.date
    stream: str  # a revenue stream, or "fx_difference"
    currency: str
    amount_minor: int  # credit positive: revenue, an FX gain; negative: refunds, an FX loss


def profit_and_loss(*, start: dt.date, end: dt.date) -> list[PnlRow]:
    """Months ``start`` (its first day) up to but not including ``end``'s month: one
    grouped query over the legs."""
    start, end = month_start(start), month_start(end)
    with connection.cursor() as cursor:
        cursor.execute(PNL_SQL, [FX_ROW, start, end])
        return [PnlRow(*row) for row in cursor.fetchall()]


def profit_and_loss_csv(rows: list[PnlRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["month", "stream", "currency", "amount"])
    for row in rows:
        writer.writerow(
            [
                f"{row.month:%Y-%m}",
                row.stream,
                row.currency,
                to_major(row.amount_minor, row.currency),
            ]
        )
    return out.getvalue()


def display(rows: list[PnlRow]) -> list[dict]:
    """Rows for the admin page, amounts with their currency in major units, and a total
    per month and currency."""
    out, totals = [], {}
    for row in rows:
        out.append({**vars(row), "amount": format_money(row.amount_minor, row.currency)})
        key = (row.month, row.currency)
        totals[key] = totals.get(key, 0) + row.amount_minor
    total_rows = [
        {"month": m, "stream": "total", "currency": c, "amount": format_money(v, c)}
        for (m, c), v in sorted(totals.items())
    ]
    return out + total_rows
