"""Statement exports: CSV and PDF, from the stored lines (nothing recomputed).

Amounts are major units: plain decimals in the CSV (one currency column per line, so a
spreadsheet can sum them), ``USD 1,234.57`` in the PDF, where every amount carries its
currency because a line's event currency and the statement's may differ.
"""

import csv
import io
from collections.abc import Callable

from agency.money import format_money, to_major
from billing.display import line_description
from billing.models import Statement
from billing.selectors import statement_lines_shown

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
    for line in statement_lines_shown(statement.lines.all()):
        oc = line.original_currency
        rows.append(
            [
                line.occurred_on.isoformat(),
                line.get_kind_display(),
                line_description(line),
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
    """A balance, or for an open month the fact that it is not fixed yet."""
    if amount_minor is None:
        return "set when the month closes"
    return format_money(amount_minor, currency)


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


def statement_pdf(statement: Statement, *, compress: bool = True) -> bytes:
    """The statement as a creator receives it: the agency's letterhead, the payee, a summary
    (opening balance, this month's net, closing balance), every line with each amount in its
    own currency, and page numbers on every page."""
    # Long on purpose: one page laid out top to bottom (letterhead, summary, lines, footer);
    # split, its parts would only pass the same layout state around.
    from django.conf import settings
    from django.db.models import Sum
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=landscape(A4),
        title=f"Statement {statement.period:%B %Y}",
        pageCompression=1 if compress else 0,
    )
    styles = getSampleStyleSheet()
    ccy, creator = statement.currency, statement.creator
    agency = getattr(settings, "AGENCY_NAME", "MCN back office")
    net = statement.lines.aggregate(s=Sum("net_minor"))["s"] or 0
    payee = [
        ["Payee", f"{creator.legal_name} ({creator.stage_name})"],
        ["Country", creator.country],
        ["Statement currency", ccy],
        ["Period", f"{statement.period:%B %Y} ({statement.get_status_display().lower()})"],
    ]
    summary = [
        ["Opening balance", _balance(statement.opening_minor, ccy)],
        ["Net this month", format_money(net, ccy)],
        ["Closing balance", _balance(statement.closing_minor, ccy)],
    ]
    boxed = TableStyle(
        [("FONTSIZE", (0, 0), (-1, -1), 9), ("FONTNAME", (0, 0), (0, -1), "Helvetica-Bold")]
    )
    lines = Table([COLUMNS, *_rows(statement, format_money)], repeatRows=1)
    lines.setStyle(
        TableStyle(
            [
                ("FONTSIZE", (0, 0), (-1, -1), 7),
                ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                ("ALIGN", (4, 1), (-1, -1), "RIGHT"),
            ]
        )
    )
    story = [
        Paragraph(agency, styles["Heading2"]),
        Paragraph(f"Creator statement, {statement.period:%B %Y}", styles["Title"]),
        Table(payee, hAlign="LEFT", style=boxed),
        Spacer(1, 8),
        Table(summary, hAlign="LEFT", style=boxed),
        Spacer(1, 12),
        lines,
    ]

    def number_page(canvas, document) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 8)
        canvas.drawRightString(
            document.pagesize[0] - 36,
            20,
            f"{agency}, statement {statement.pk}, page {document.page}",
        )
        canvas.restoreState()

    doc.build(story, onFirstPage=number_page, onLaterPages=number_page)
    return buffer.getvalue()


def payee_statement_csv(statement) -> str:
    """A talent manager's or sub-agency's month (``selectors.PayeeStatement``), amounts in
    major units of its currency."""
    out = io.StringIO()
    writer = csv.writer(out)
    ccy = statement.currency
    writer.writerow(["payee", str(statement.account), "period", f"{statement.period:%Y-%m}"])
    writer.writerow(["opening balance", format_money(statement.opening_minor, ccy)])
    writer.writerow(["posted on", "description", "source", "amount"])
    for line in statement.lines:
        writer.writerow(
            [
                line.posted_on.isoformat(),
                line.description,
                line.source,
                _plain(line.amount_minor, ccy),
            ]
        )
    writer.writerow(["closing balance", format_money(statement.closing_minor, ccy)])
    return out.getvalue()
