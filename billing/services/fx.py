"""Exchange rates entered or imported as data."""

from decimal import Decimal

from django.db import transaction

from agency.errors import ApplicationError
from agency.money import CURRENCY_EXPONENTS
from billing.models import ExchangeRate


@transaction.atomic
def exchange_rates_upsert(*, rows: list[dict], source: str = "") -> int:
    """Insert or update dated rates (all or nothing). Returns the number of rows written."""
    for number, row in enumerate(rows):
        if row["base"] not in CURRENCY_EXPONENTS or row["quote"] not in CURRENCY_EXPONENTS:
            raise ApplicationError(f"Row {number}: unknown currency.")
        if row["base"] == row["quote"] or Decimal(row["rate"]) <= 0:
            raise ApplicationError(f"Row {number}: a rate is positive between two currencies.")
    for row in rows:
        ExchangeRate.objects.update_or_create(
            base=row["base"],
            quote=row["quote"],
            valid_on=row["valid_on"],
            defaults={"rate": row["rate"], "source": source[:100]},
        )
    return len(rows)
