"""How billing terms read on a page: tiers as a sentence, a split's rates as a table, a
statement line's description with its payout's state."""

from decimal import Decimal
from fractions import Fraction

from django.utils.html import format_html, format_html_join

from agency.money import format_rate
from billing.models import Stream


def tiers_text(agency_rate, tiers: list[dict], currency: str) -> str:
    """``30 % up to USD 10,000.00, then 20 %`` (thresholds are major units of the plan's
    currency, stored as decimal strings)."""
    if not tiers:
        return format_rate(agency_rate)
    parts = [format_rate(agency_rate)]
    for tier in tiers:
        threshold = f"{currency} {Decimal(tier['from']):,}"
        parts.append(f"up to {threshold}, then {format_rate(tier['rate'])}")
    return " ".join(parts)


def split_rates_table(rates: dict | None):
    """The rates a split used (its stored snapshot) as a small table: the plan's terms, the
    share of the amount at each tier rate, the effective commission rate."""
    if not rates:
        return "—"
    terms = rates.get("terms") or {}
    rows = [
        ("plan", f"#{terms['plan_id']}" if terms.get("plan_id") else "default terms"),
        ("basis", terms.get("basis", "—")),
        (
            "agency rate",
            tiers_text(terms.get("agency_rate"), terms.get("tiers") or [], terms.get("currency")),
        ),
        ("manager share of commission", format_rate(terms.get("manager_share"))),
        ("sub-agency share of commission", format_rate(terms.get("sub_agency_share"))),
    ]
    for portion in rates.get("portions") or []:
        share = format_rate(Fraction(portion["fraction"]))
        rows.append(("portion", f"{share} of the amount at {format_rate(portion['rate'])}"))
    rows.append(("effective commission rate", format_rate(rates.get("effective_rate"))))
    if rates.get("to_plan_rate") not in (None, "None", "1"):
        rows.append(("FX rate to the plan's currency", str(rates["to_plan_rate"])))
    if rates.get("reverses_split"):
        rows.append(("reverses split", f"#{rates['reverses_split']}"))
    return format_html(
        '<table class="split-rates">{}</table>',
        format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", rows),
    )


# What a payout line adds to its description until the money has left (payout states).
PAYOUT_STATE_NOTES = {
    "draft": "reserved, awaiting finance approval",
    "approved": "approved, not yet sent",
    "sent": "sent, awaiting the bank's confirmation",
    "failed": "failed, returned to the balance",
    "reversed": "reversed, returned to the balance",
}


def line_description(line) -> str:
    """The line's description; a payout line (read through ``statement_lines_shown``) says
    when its payout is not paid yet, so a draft payout never reads as money sent."""
    note = PAYOUT_STATE_NOTES.get(getattr(line, "payout_status", None) or "")
    return f"{line.description} ({note})" if note else line.description


def event_line_text(*, description: str, stream: str, occurred_on) -> str:
    """What a revenue event's statement line says: the sender's description, else the
    stream and the date. The source id is the sender's key and is never shown."""
    return description or f"{Stream(stream).label}, {occurred_on:%d %b %Y}"
