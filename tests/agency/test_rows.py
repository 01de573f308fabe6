"""The one row-errors convention and the validation loop every import shares."""

import pytest

from agency.rows import ROW, RowErrors, file_line, note, rows_validate


def _check(_index, row, errors):
    if row < 0:
        note(errors, "amount", "Must not be negative.")
    if row == 0:
        note(errors, ROW, "empty row.")
    return None if errors else row * 10


def test_clean_rows_come_back_in_order():
    assert rows_validate([1, 2, 3], _check) == [10, 20, 30]


def test_every_bad_row_is_reported_by_index_and_field():
    with pytest.raises(RowErrors) as caught:
        rows_validate([1, -1, 0, -2], _check)
    assert caught.value.code == "invalid_rows"
    assert caught.value.message == "3 of 4 rows are invalid; nothing was saved."
    assert caught.value.extra["rows"] == {
        "1": {"amount": ["Must not be negative."]},
        "2": {"": ["empty row."]},
        "3": {"amount": ["Must not be negative."]},
    }


def test_reports_by_file_line_as_flat_reasons():
    with pytest.raises(RowErrors) as caught:
        rows_validate([1, -1, 0], _check, key=file_line, flat=True, noun="lines")
    assert caught.value.message == "2 of 3 lines are invalid; nothing was saved."
    assert caught.value.extra["rows"] == {
        "3": ["amount: Must not be negative."],
        "4": ["empty row."],
    }


def test_reasons_a_row_carries_from_parsing_count():
    rows = [{"errors": {"x": ["Not a date."]}}, {"errors": {}}]
    with pytest.raises(RowErrors) as caught:
        rows_validate(rows, lambda i, r, e: None if e else i, errors_of=lambda r: r["errors"])
    assert caught.value.extra["rows"] == {"0": {"x": ["Not a date."]}}
