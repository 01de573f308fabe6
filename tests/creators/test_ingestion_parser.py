"""The column parser accepts, converts and refuses every cell exactly as the row serializers
did (kept as the reference in ingestion_reference.py): same values, same fields, same
messages, same order, on generated rows mixing good and bad cells of every type."""

import datetime as dt
import random

import pytest
from django.utils import timezone

from creators.services.ingestion_rows import COLUMNS, RowParser
from tests.creators.ingestion_reference import REFERENCE

TODAY = timezone.now().date()
FUTURE_DAY = (TODAY + dt.timedelta(days=3)).isoformat()
GOOD = {
    "int": [0, 1, 42, "0", "7", "007", "123456", 10**15, "1000000000000000"],
    "date": ["2026-01-01", "2020-02-29", "2000-01-01", TODAY.isoformat()],
    "datetime": ["2026-01-01T00:00:00Z", "2025-06-30T23:59:59+02:00", "2024-01-01 10:00"],
    "platform": ["tiktok", "youtube"],
    "text": ["pa1", "x", "a" * 60, "name.with.dots"],
    "bool": ["true", "false", "1", "0", True, False, 1, 0, "True", "yes", "no"],
}
BAD = {
    "int": [
        -1,
        "-1",
        "1.0",
        1.0,
        1.5,
        "1.5",
        "x",
        "",
        None,
        True,
        " 12 ",
        10**15 + 1,
        "\uff11\uff12",
        "²",
        [],
        "9" * 30,
        "1e3",
    ],
    "date": [
        "2026-02-30",
        "0001-01-01",
        "1999-12-31",
        FUTURE_DAY,
        "2026-1-1",
        "20260101",
        5,
        None,
        "",
        "2026-01-01T00:00:00",
        "9999-12-31",
        " 2026-01-01",
    ],
    "datetime": [
        "bad",
        "2999-01-01T00:00:00Z",
        "1999-01-01T00:00:00Z",
        None,
        "",
        7,
        (timezone.now() + dt.timedelta(days=2)).isoformat(),
    ],
    "platform": ["TikTok", "", None, 3, "myspace", " tiktok"],
    "text": ["", " pa ", "a" * 101, "ab\x00", "é", None, 7, 1.5, "@name", "  ", True, ["x"]],
    "bool": ["maybe", None, 2, "", [], "TRUE "],
}
TYPES = {
    "platform": "platform", "platform_account_id": "text", "handle": "text",
    "platform_video_id": "text", "niche": "text", "date": "date", "posted_at": "datetime",
    "throttled": "bool", "is_original": "bool",
}  # fmt: skip


def _row(rng: random.Random, kind: str) -> dict:
    row = {}
    for column in COLUMNS[kind]:
        kind_of = TYPES.get(column.name, "int")
        draw = rng.random()
        if draw < 0.02:
            continue  # absent
        pool = BAD[kind_of] if draw < 0.05 else GOOD[kind_of]
        row[column.name] = rng.choice(pool)
    if rng.random() < 0.3:
        row.pop("platform_account_id", None)
        row["handle"] = rng.choice(["@someone", "someone", "@", "", "@@x"])
    return row


@pytest.mark.parametrize("kind", ["daily", "videos", "video_daily"])
def test_parser_matches_the_row_serializers_on_generated_rows(kind):
    rng = random.Random(f"ingestion-{kind}")
    parser = RowParser(kind)
    accepted = refused = 0
    for _ in range(3000):
        row = _row(rng, kind)
        reference = REFERENCE[kind](data=row)
        if reference.is_valid():
            expected = (dict(reference.validated_data), None)
            accepted += 1
        else:
            errors = {k: [str(m) for m in v] for k, v in reference.errors.items()}
            expected = (None, errors)
            refused += 1
        values, errors = parser.parse(row)
        assert (values, errors) == expected, row
        if errors:
            assert list(errors) == list(expected[1]), row  # fields in the same order
    assert accepted > 100 and refused > 100  # both sides exercised
