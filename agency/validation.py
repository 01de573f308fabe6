"""Input rules shared by the partner API, the admin and the import commands.

One place says which dates are plausible and that text never carries a NUL character
(PostgreSQL text and jsonb refuse it), so every entry point answers the same way: a 400
naming the field (or the row and column of a file), never a database error.
"""

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

# No data the agency handles predates the platforms it works with.
EARLIEST_DATE = dt.date(2000, 1, 1)
# Deliverables and contracts are planned ahead, but not by decades.
YEARS_AHEAD = 10

NUL = "\x00"
NUL_MESSAGE = "NUL characters are not allowed."


def latest_date(*, today: dt.date | None = None) -> dt.date:
    today = today or timezone.localdate()
    try:
        return today.replace(year=today.year + YEARS_AHEAD)
    except ValueError:  # 29 February
        return today.replace(year=today.year + YEARS_AHEAD, day=28)


def date_range_error(value: dt.date) -> str | None:
    """Why ``value`` (a date, or a datetime judged by its date) is not plausible, or None."""
    day = value.date() if isinstance(value, dt.datetime) else value
    latest = latest_date()
    if EARLIEST_DATE <= day <= latest:
        return None
    return f"Must be between {EARLIEST_DATE.isoformat()} and {latest.isoformat()}."


def validate_date_in_range(value: dt.date) -> None:
    """The validator for date and datetime inputs of serializers, filters and forms."""
    if (message := date_range_error(value)) is not None:
        raise ValidationError(message, code="date_out_of_range")


def has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, list | tuple):
        return any(has_nul(v) for v in value)
    return False


def nul_columns(row: Mapping[Any, Any]) -> list[str]:
    """Columns of a parsed CSV row whose name or cell contains a NUL character."""
    return [
        str(column).replace(NUL, "\\x00")
        for column, value in row.items()
        if has_nul(column) or has_nul(value)
    ]
