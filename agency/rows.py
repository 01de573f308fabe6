"""Row errors and the row-validation loop every import shares.

An import (a CSV file, a JSON batch) is all or nothing: every row is checked first, each bad
row's reasons are collected as ``field -> [reasons]`` with :func:`note`, and if any row is
bad :class:`RowErrors` lists them all and nothing is written. The API answers it in the one
error shape (400, ``code: invalid_rows``, ``extra.rows``).

```python
def check(index: int, row: Row, errors: Reasons) -> dict | None:
    if row.amount <= 0:
        note(errors, "amount", "Must be positive.")
    return None if errors else {"amount": row.amount}

clean = rows_validate(rows, check)                   # {"rows": {"0": {"amount": [...]}}}
clean = rows_validate(rows, check, key=file_line, flat=True)  # {"rows": {"2": ["amount: ..."]}}
```
Rows are keyed by their 0-based data index (``str(index)``) unless the report names file
lines (``key=file_line``: the header is line 1); ``flat`` renders each row's reasons as
``"field: reason"`` strings (a reason noted on no field stands alone).
"""

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from agency.errors import ApplicationError

R = TypeVar("R")
T = TypeVar("T")
Reasons = dict[str, list[str]]
ROW = ""  # the field of a reason about the whole row


class RowErrors(ApplicationError):
    """Validation failed for some rows: ``extra["rows"]`` maps each bad row (its index, or
    its file line) to its reasons. Nothing was written."""

    code = "invalid_rows"

    @classmethod
    def of(cls, rows: dict[str, Any], *, total: int, noun: str = "rows") -> "RowErrors":
        return cls(
            f"{len(rows)} of {total} {noun} are invalid; nothing was saved.",
            extra={"rows": rows},
        )


def note(errors: Reasons, field: str, reason: str) -> None:
    """Record ``reason`` against ``field`` (``ROW`` for the row as a whole)."""
    errors.setdefault(field, []).append(reason)


def file_line(index: int) -> str:
    """The file line of data row ``index`` (the header is line 1)."""
    return str(index + 2)


def flat_reasons(errors: Reasons) -> list[str]:
    return [f"{f}: {r}" if f else r for f, reasons in errors.items() for r in reasons]


def rows_validate(
    rows: Sequence[R],
    check: Callable[[int, R, Reasons], T | None],
    *,
    errors_of: Callable[[R], Reasons] | None = None,
    key: Callable[[int], str] = str,
    flat: bool = False,
    noun: str = "rows",
) -> list[T]:
    """Run ``check(index, row, errors)`` over every row and return the clean values it gave
    (a row with reasons gives none); raise :class:`RowErrors` naming every bad row.

    ``errors_of(row)`` is the row's own report when the row carries one (reasons parsing
    put on it, or nested reasons such as a remittance's lines); it is read again after
    ``check``. By default each row starts with an empty dict that ``check`` fills."""
    clean: list[T] = []
    bad: dict[str, Any] = {}
    for index, row in enumerate(rows):
        errors = errors_of(row) if errors_of is not None else {}
        value = check(index, row, errors)
        report = errors_of(row) if errors_of is not None else errors  # as the rules left it
        if report:
            bad[key(index)] = flat_reasons(report) if flat else report
        elif value is not None:
            clean.append(value)
    if bad:
        raise RowErrors.of(bad, total=len(rows), noun=noun)
    return clean
