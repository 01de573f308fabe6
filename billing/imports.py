"""Parsing of CSV files: revenue reports and exchange rates. Parsing only; services write.

Revenue CSV columns: stream, creator_id, occurred_on (YYYY-MM-DD), gross, currency,
source_type, source_id, and optionally platform_fee, kind, account_id, refund_of_source_id,
description.
Exchange-rate CSV columns: base, quote, valid_on, rate.
Settlement-report CSV columns (one row per settled item, grouped into remittances by
reference): reference, payer, currency, received_on, period_start, period_end, stream,
amount, and optionally fee_withheld, creator_id, external_id.
"""

import csv
import datetime as dt
import io
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from agency.validation import NUL, NUL_MESSAGE, date_range_error, nul_columns
from billing.services.events import EventInput
from billing.services.remittances import SettlementRow

REVENUE_REQUIRED = [
    "stream",
    "creator_id",
    "occurred_on",
    "gross",
    "currency",
    "source_type",
    "source_id",
]


class MalformedFile(ValueError):
    pass


def _reader(lines: Iterable[str], required: list[str]) -> csv.DictReader:
    reader = csv.DictReader(lines)
    missing = [c for c in required if c not in (reader.fieldnames or [])]
    if missing:
        raise MalformedFile(f"Missing columns: {', '.join(missing)}.")
    return reader


def parse_revenue_csv(text: str) -> list[EventInput]:
    """One EventInput per data row; rows that cannot be parsed carry their errors."""
    rows = []
    for raw in _reader(io.StringIO(text), REVENUE_REQUIRED):
        errors: dict[str, list[str]] = {column: [NUL_MESSAGE] for column in nul_columns(raw)}
        if errors:  # reported; the rest of the row is still checked, without the NULs
            raw = {k: v.replace(NUL, "") if isinstance(v, str) else v for k, v in raw.items()}
        try:
            creator_id = int(raw["creator_id"])
        except (TypeError, ValueError):
            creator_id = 0
            errors["creator_id"] = ["Not an integer."]
        try:
            occurred_on = dt.date.fromisoformat((raw["occurred_on"] or "").strip())
        except ValueError:
            occurred_on = dt.date.min
            errors["occurred_on"] = ["Not a date (YYYY-MM-DD)."]
        account = (raw.get("account_id") or "").strip()
        if account and not account.isdigit():
            errors["account_id"] = ["Not an integer."]
        if not (raw["source_id"] or "").strip():
            errors["source_id"] = ["Required."]
        rows.append(
            EventInput(
                stream=(raw["stream"] or "").strip(),
                creator_id=creator_id,
                occurred_on=occurred_on,
                gross=(raw["gross"] or "").strip(),
                platform_fee=(raw.get("platform_fee") or "0").strip(),
                currency=(raw["currency"] or "").strip().upper(),
                source_type=(raw["source_type"] or "").strip(),
                source_id=(raw["source_id"] or "").strip(),
                kind=(raw.get("kind") or "sale").strip(),
                account_id=int(account) if account.isdigit() else None,
                refund_of_source_id=(raw.get("refund_of_source_id") or "").strip() or None,
                description=(raw.get("description") or "").strip(),
                errors=errors,
            )
        )
    return rows


SETTLEMENT_REQUIRED = [
    "reference",
    "payer",
    "currency",
    "received_on",
    "period_start",
    "period_end",
    "stream",
    "amount",
]


def _date(raw: dict, name: str, errors: dict[str, list[str]]) -> dt.date:
    try:
        return dt.date.fromisoformat((raw[name] or "").strip())
    except ValueError:
        errors[name] = ["Not a date (YYYY-MM-DD)."]
        return dt.date.min


def parse_settlement_csv(text: str) -> list[SettlementRow]:
    """One SettlementRow per data row; rows that cannot be parsed carry their errors."""
    rows = []
    for raw in _reader(io.StringIO(text), SETTLEMENT_REQUIRED):
        errors: dict[str, list[str]] = {}
        creator = (raw.get("creator_id") or "").strip()
        if creator and not (creator.isdigit() and int(creator) < 2**63):
            errors["creator_id"] = ["Not an id."]
            creator = ""
        if not (raw["reference"] or "").strip():
            errors["reference"] = ["Required."]
        rows.append(
            SettlementRow(
                reference=(raw["reference"] or "").strip(),
                payer=(raw["payer"] or "").strip(),
                currency=(raw["currency"] or "").strip().upper(),
                received_on=_date(raw, "received_on", errors),
                period_start=_date(raw, "period_start", errors),
                period_end=_date(raw, "period_end", errors),
                stream=(raw["stream"] or "").strip(),
                amount=(raw["amount"] or "").strip(),
                fee_withheld=(raw.get("fee_withheld") or "").strip() or "0",
                creator_id=int(creator) if creator else None,
                external_id=(raw.get("external_id") or "").strip(),
                errors=errors,
            )
        )
    return rows


def parse_rates_csv(text: str) -> list[dict]:
    """Rows of (base, quote, valid_on, rate); raises MalformedFile naming the bad row."""
    out = []
    for number, raw in enumerate(_reader(io.StringIO(text), ["base", "quote", "valid_on", "rate"])):
        if bad := nul_columns(raw):
            raise MalformedFile(f"Row {number}: {', '.join(bad)}: {NUL_MESSAGE}")
        try:
            out.append(
                {
                    "base": raw["base"].strip().upper(),
                    "quote": raw["quote"].strip().upper(),
                    "valid_on": dt.date.fromisoformat(raw["valid_on"].strip()),
                    "rate": Decimal(raw["rate"].strip()),
                }
            )
        except (ValueError, InvalidOperation, AttributeError) as exc:
            raise MalformedFile(f"Row {number}: {exc}") from None
        if reason := date_range_error(out[-1]["valid_on"]):
            raise MalformedFile(f"Row {number}: valid_on: {reason}")
    return out
