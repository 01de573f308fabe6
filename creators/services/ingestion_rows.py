"""The columns of a metrics row and a precompiled parser for them.

Each column is a DRF field (its rules, messages and OpenAPI text; ``creators/api`` builds
the documented row schemas from these lists) plus a fast path for the common case: a
plain integer, an ISO date, a known platform, a short ASCII id. A cell the fast path does
not accept goes through the field itself, so a value is accepted, converted and refused
exactly as a serializer of these fields would, with the same messages, in the same field
order, followed by the same row-level checks (an account id or a handle; subsets of views).
"""

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.utils import timezone
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.fields import SkipField, empty

from agency.validation import EARLIEST_DATE, validate_date_in_range
from creators.models import Platform

KINDS = ("daily", "videos", "video_daily", "video_hourly")
FUTURE = "Dates in the future are refused."
NO_ACCOUNT_KEY = "Give platform_account_id or handle."
EXCEEDS_VIEWS = "Cannot exceed views."
FOR_YOU_EXCEEDS = "For You and follower views together cannot exceed views."


class _Slow(Exception):
    """The fast path does not decide this cell; the DRF field does."""


def _today() -> dt.date:
    return timezone.now().date()


@dataclass(frozen=True)
class Column:
    name: str
    make_field: Callable[[], serializers.Field]
    fast: Callable[[Any], Any] | None = None
    # A check after the field's own (the serializer's ``validate_<name>``).
    after: Callable[[Any], None] | None = None


def _count(lo: int = 0, hi: int = 10**15) -> Callable[[], serializers.Field]:
    return lambda: serializers.IntegerField(min_value=lo, max_value=hi)


def _fast_int(lo: int = 0, hi: int = 10**15) -> Callable[[Any], int]:
    def parse(value: Any) -> int:
        if type(value) is str and value.isascii() and value.isdigit() and len(value) < 17:
            number = int(value)
        elif type(value) is int:
            number = value
        else:
            raise _Slow
        if lo <= number <= hi:
            return number
        raise _Slow

    parse.bounds = (lo, hi)  # type: ignore[attr-defined]  # inlined by _CompiledFast
    return parse


def _fast_text(max_length: int, *, allow_blank: bool) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        if type(value) is not str or not value.isascii() or len(value) > max_length:
            raise _Slow
        if not value:
            if allow_blank:
                return value
            raise _Slow
        if value[0].isspace() or value[-1].isspace() or "\x00" in value:
            raise _Slow
        return value

    return parse


def _fast_choice(choices: Mapping[str, str]) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        if type(value) is str and value in choices:
            return value
        raise _Slow

    return parse


def _fast_date(value: Any, today: dt.date | None = None) -> dt.date:
    """An ISO date within range and not in the future (``today``: the parser's, once)."""
    if type(value) is str and len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            raise _Slow from None
        if EARLIEST_DATE <= day <= (today or _today()):
            return day
    raise _Slow


def _fast_bool(value: Any) -> bool:
    try:
        if value in serializers.BooleanField.TRUE_VALUES:
            return True
        if value in serializers.BooleanField.FALSE_VALUES:
            return False
    except TypeError:
        pass
    raise _Slow


def _not_after_today(value: dt.date) -> None:
    if value > _today():
        raise serializers.ValidationError(FUTURE)


def _not_after_now(value: dt.datetime) -> None:
    if value > timezone.now():
        raise serializers.ValidationError(FUTURE)


class HourField(serializers.DateTimeField):
    """An ISO 8601 date and time (with an offset; naive means UTC), truncated to its hour's
    start in UTC: "2026-11-20T14:37:00+00:00" is the row of the hour 14:00-15:00."""

    def to_internal_value(self, value):
        moment = super().to_internal_value(value).astimezone(dt.UTC)
        return moment.replace(minute=0, second=0, microsecond=0)


def _hour_field() -> serializers.Field:
    return HourField(
        validators=[validate_date_in_range],
        default_timezone=dt.UTC,
        help_text="Any time in the hour; stored as the hour's start (UTC).",
    )


def _date_field() -> serializers.Field:
    return serializers.DateField(validators=[validate_date_in_range])


_PLATFORMS = dict(Platform.choices)
ACCOUNT_COLUMNS = [
    Column(
        "platform",
        lambda: serializers.ChoiceField(choices=Platform.choices),
        _fast_choice(_PLATFORMS),
    ),
    Column(
        "platform_account_id",
        lambda: serializers.CharField(max_length=100, required=False, allow_blank=True),
        _fast_text(100, allow_blank=True),
    ),
    Column(
        "handle",
        lambda: serializers.CharField(
            max_length=100,
            required=False,
            allow_blank=True,
            help_text="Used (with the handle history) when platform_account_id is absent.",
        ),
        _fast_text(100, allow_blank=True),
    ),
]
_DATE = Column("date", _date_field, _fast_date, _not_after_today)
_VIDEO_ID = Column(
    "platform_video_id",
    lambda: serializers.CharField(max_length=100),
    _fast_text(100, allow_blank=False),
)


def _counts(*names: str) -> list[Column]:
    return [Column(name, _count(), _fast_int()) for name in names]


COLUMNS: dict[str, list[Column]] = {
    "daily": [
        *ACCOUNT_COLUMNS,
        _DATE,
        *_counts("followers", "views", "qualified_views", "watch_time_seconds"),
        Column("videos_posted", _count(0, 100_000), _fast_int(0, 100_000)),
        Column(
            "guideline_strikes",
            lambda: serializers.IntegerField(
                min_value=0,
                max_value=100,
                default=0,
                help_text="Active community-guidelines strikes.",
            ),
            _fast_int(0, 100),
        ),
        Column(
            "throttled",
            lambda: serializers.BooleanField(
                default=False, help_text="The platform limits the account's distribution."
            ),
            _fast_bool,
        ),
    ],
    "videos": [
        *ACCOUNT_COLUMNS,
        _VIDEO_ID,
        Column(
            "posted_at",
            lambda: serializers.DateTimeField(validators=[validate_date_in_range]),
            None,
            _not_after_now,
        ),
        Column("duration_seconds", _count(0, 86_400), _fast_int(0, 86_400)),
        *_counts("views", "qualified_views", "completed_views", "replays", "likes"),
        *_counts("comments", "shares"),
        Column("is_original", lambda: serializers.BooleanField(default=True), _fast_bool),
        Column(
            "niche",
            lambda: serializers.CharField(
                max_length=60, required=False, allow_blank=True, default=""
            ),
            _fast_text(60, allow_blank=True),
        ),
    ],
    "video_daily": [
        *ACCOUNT_COLUMNS,
        _VIDEO_ID,
        _DATE,
        *_counts("views", "for_you_views", "follower_views", "completed_views", "replays"),
        *_counts("likes", "comments", "shares", "saves", "watch_time_seconds"),
    ],
    "video_hourly": [
        *ACCOUNT_COLUMNS,
        _VIDEO_ID,
        Column("hour", _hour_field, None, _not_after_now),
        *_counts("views", "for_you_views", "follower_views", "completed_views", "replays"),
        *_counts("likes", "comments", "shares", "saves", "watch_time_seconds"),
    ],
}


def _row_errors(kind: str, row: dict) -> dict[str, list[str]]:
    """The serializer's ``validate``: checks across the columns of a row that parsed."""
    handle = row.get("handle", "").lstrip("@")
    row["handle"] = handle
    if not row.get("platform_account_id") and not handle:
        return {"platform_account_id": [NO_ACCOUNT_KEY]}
    views = row["views"]
    if kind == "daily":
        if row["qualified_views"] > views:
            return {"qualified_views": [EXCEEDS_VIEWS]}
    elif kind == "videos":
        for subset in ("completed_views", "qualified_views"):
            if row[subset] > views:
                return {subset: [EXCEEDS_VIEWS]}
    else:
        if row["completed_views"] > views:
            return {"completed_views": [EXCEEDS_VIEWS]}
        if row["for_you_views"] + row["follower_views"] > views:
            return {"for_you_views": [FOR_YOU_EXCEEDS]}
    return {}


_SKIP, _REQUIRED = object(), object()


def _fast_source(name: str, fast: Callable, absent: Any, slot: str) -> list[str]:
    """Lines of the compiled fast path for one column: the value into ``row``, or
    ``return None`` when the cell needs its field (the generic path then decides)."""
    if absent is _REQUIRED:
        on_absent = ["        return None"]
    elif absent is _SKIP:
        on_absent = ["        pass"]
    else:
        on_absent = [f"        row[{name!r}] = {slot}_default"]
    present = [f"        row[{name!r}] = {slot}(v)"]
    if (bounds := getattr(fast, "bounds", None)) is not None:  # an integer, inlined
        present = [
            "        if type(v) is str and v.isascii() and v.isdigit() and len(v) < 17:",
            "            v = int(v)",
            "        elif type(v) is not int:",
            "            return None",
            f"        if not {bounds[0]} <= v <= {bounds[1]}:",
            "            return None",
            f"        row[{name!r}] = v",
        ]
    return [
        f"    v = get({name!r}, EMPTY)",
        "    if v is EMPTY:",
        *on_absent,
        "    else:",
        *present,
    ]


class _CompiledFast:
    """All of a row's fast paths in one generated function: no per-cell dispatch. Any cell
    its fast path does not decide makes the whole row take the generic path."""

    def __init__(self, columns: list[tuple]):
        namespace: dict[str, Any] = {"EMPTY": empty}
        lines = ["def fast(cells):", "    row = {}", "    get = cells.get"]
        for i, (name, _field, fast, _after, absent) in enumerate(columns):  # fast implies after
            if fast is None:
                lines += [f"    if get({name!r}, EMPTY) is not EMPTY:", "        return None"]
                if absent is _REQUIRED:
                    lines += ["    return None"]
                elif absent is not _SKIP:
                    namespace[f"c{i}_default"] = absent
                    lines += [f"    row[{name!r}] = c{i}_default"]
                continue
            namespace[f"c{i}"] = fast
            if absent is not _SKIP and absent is not _REQUIRED:
                namespace[f"c{i}_default"] = absent
            lines += _fast_source(name, fast, absent, f"c{i}")
        lines.append("    return row")
        exec("\n".join(lines), namespace)
        self.parse = namespace["fast"]


def _when_absent(field: serializers.Field) -> Any:
    """What an absent cell gives: the field's default, nothing (skipped) or its error."""
    try:
        return field.run_validation(empty)
    except SkipField:
        return _SKIP
    except ValidationError:
        return _REQUIRED


_parsers: dict[str, "RowParser"] = {}


class RowParser:
    """``parse(cells)`` -> (values by column name, None) or (None, errors by column).

    ``cells`` maps a column name to its raw value (a string from a file, any JSON value
    from the API); an absent column is absent from the mapping.
    """

    def __init__(self, kind: str):
        self.kind = kind
        today = _today()
        self.columns = []
        for column in COLUMNS[kind]:
            field = column.make_field()
            fast = column.fast
            if fast is _fast_date:
                fast = partial(_fast_date, today=today)
            self.columns.append((column.name, field, fast, column.after, _when_absent(field)))
        self._fast = _CompiledFast(self.columns).parse
        self.today = today

    @classmethod
    def of(cls, kind: str) -> "RowParser":
        """This process's parser of ``kind`` for today (building one generates and compiles
        its fast path: not something to do per request)."""
        parser = _parsers.get(kind)
        if parser is None or parser.today != _today():
            parser = _parsers[kind] = cls(kind)
        return parser

    def parse(self, cells: Mapping[str, Any]) -> tuple[dict | None, dict | None]:
        try:
            row = self._fast(cells)
        except _Slow:
            row = None
        if row is None:
            return self._parse_each(cells)
        errors = _row_errors(self.kind, row)
        if errors:
            return None, errors
        return row, None

    def _parse_each(self, cells: Mapping[str, Any]) -> tuple[dict | None, dict | None]:
        """Cell by cell: the fast path where it decides, else the field (its messages)."""
        row: dict[str, Any] = {}
        errors: dict[str, list[str]] = {}
        for name, field, fast, after, absent in self.columns:
            raw = cells.get(name, empty)
            if raw is empty:
                if absent is _SKIP:
                    continue
                if absent is not _REQUIRED:
                    row[name] = absent
                    continue
            elif fast is not None:
                try:
                    row[name] = fast(raw)
                    continue
                except _Slow:
                    pass
            try:
                value = field.run_validation(raw)
                if after is not None:
                    after(value)
            except SkipField:
                continue
            except ValidationError as exc:
                errors[name] = [str(m) for m in exc.detail]
                continue
            row[name] = value
        if errors:
            return None, errors
        errors = _row_errors(self.kind, row)
        if errors:
            return None, errors
        return row, None
