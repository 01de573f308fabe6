"""Statement exports: CSV and PDF, from the stored lines (nothing recomputed).

Amounts are major units: plain decimals in the CSV (one currency column per line, so a
spreadsheet can sum them), ``USD 1,234.57`` in the PDF, where every amount carries its
currency because a line's event currency and the statement's may differ.
"""

import csv
import io
from collections.abc import Callable

from agency.money import format_money, to_major
from billing.models import Statement

COLUMNS = [
    "date",
    "kind",
    "description",
    "event currency",
    "gross",
    "platform fee",
    "agency commission",
    "manager cut",
    "sub-agency cut",
    "fx rate",
    "net",
]


def _plain(amount_minor: int, currency: str) -> str:
    return str(to_major(amount_minor, currency))


def _rows(statement: Statement, money: Callable[[int, str], str] = _plain) -> list[list[str]]:
    ccy = statement.currency
    rows = []
    for line in statement.lines.order_by("occurred_on", "pk"):
        oc = line.original_currency
        rows.append(
            [
                line.occurred_on.isoformat(),
                line.get_kind_display(),
                line.description,
                oc,
                money(line.gross_minor, oc),
                money(line.fee_minor, oc),
                money(line.agency_minor, oc),
                money(line.manager_minor, oc),
                money(line.sub_agency_minor, oc),
                str(line.fx_rate.normalize()),
                money(line.net_minor, ccy),
            ]
        )
    return rows


def _balance(amount_minor: int | None, currency: str) -> str:
    return "(open)" if amount_minor is None else format_money(amount_minor, currency)


def statement_csv(statement: Statement) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    ccy = statement.currency
    writer.writerow(["creator", str(statement.creator), "period", f"{statement.period:%Y-%m}"])
    writer.writerow(["opening balance", _balance(statement.opening_minor, ccy)])
    writer.writerow(COLUMNS)
    writer.writerows(_rows(statement))
    writer.writerow(["closing balance", _balance(statement.closing_minor, ccy)])
    return out.getvalue()


def statement_pdf(statement: Statement) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=landscape(A4), title=f"Statement {statement.pk}")
    styles = getSampleStyleSheet()
    ccy = statement.currency
    story = [
        Paragraph(f"Statement {statement.period:%B %Y}: {statement.creator}", styles["Title"]),
        Paragraph(
            f"Currency {ccy}. Status {statement.get_status_display()}. "
            f"Opening balance {_balance(statement.opening_minor, ccy)}.",
            styles["Normal"],
        ),
        Spacer(1, 12),
    ]
    table = Table([COLUMNS, *_rows(statement, format_money)], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONTSIZE", (0, 0), (-1, -1), 7),
                ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                ("ALIGN", (4, 1), (-1, -1), "RIGHT"),
            ]
        )
    )
    story += [
        table,
        Spacer(1, 12),
        Paragraph(f"Closing balance {_balance(statement.closing_minor, ccy)}.", styles["Normal"]),
    ]
    doc.build(story)
    return buffer.getvalue()
