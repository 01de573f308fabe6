"""Metrics ingestion: one service for the API, the admin CSV upload and ``import_metrics``.

All or nothing: every row is validated first (types, counts, dates, account match, the
caller's scope of creators, duplicates in the batch); if any row is bad nothing is written
and each bad row is reported by its 0-based index with field and reason.

How: each row is parsed by the precompiled column parser (``ingestion_rows``) as it is
read; parsed rows are copied (COPY, in chunks) into a temporary staging table, so a file
of any length is held in memory one chunk at a time. One SQL statement then resolves
accounts (by platform account id, else by the handle held on the row's date), videos and
the caller's scope, finds duplicates across the whole upload and compares each row with
the stored one; one query lists every bad row with its reason. Without bad rows, one
``INSERT ... SELECT ... ON CONFLICT DO UPDATE`` writes the rows that change; rows whose
values are unchanged are left alone, so re-sending a file changes nothing.
"""

import csv
import io
import itertools
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from rest_framework.exceptions import ValidationError

from agency.locks import advisory_locks
from creators.models import (
    Creator,
    DailyAccountMetric,
    Video,
    VideoDailyMetric,
    VideoHourlyMetric,
)
from creators.models.metrics import DAILY_COUNT_FIELDS, DAILY_FLAG_FIELDS, VIDEO_COUNT_FIELDS
from creators.models.waves import VIDEO_DAILY_COUNT_FIELDS
from creators.services.ingestion_rows import KINDS, RowParser

MAX_BATCH_ROWS = 1000
# Rows copied to the staging table at a time (the memory held while reading a file).
STAGE_CHUNK_ROWS = 10_000
# Uploads of at most this many rows travel inside the check statement (no staging table).
INLINE_MAX_ROWS = MAX_BATCH_ROWS
# Uploads up to this many rows find their accounts by index lookups; larger ones hash the
# accounts and handles (a scan of the roster, cheaper than a lookup per row past this).
LOOKUP_MAX_ROWS = STAGE_CHUNK_ROWS
# Rows that change listed on the result (the dry-run report shows the first of them).
CHANGES_LISTED = 200
Kind = Literal["daily", "videos", "video_daily", "video_hourly"]
Progress = Callable[[int], None]

NO_ACCOUNT = "No account on the roster matches this platform account id or handle on "
OUT_OF_SCOPE = "This account belongs to a creator you do not manage."
NO_VIDEO = "No stored video of this account has this platform_video_id; send the video first."
BEFORE_POSTING = "This day is before the video was posted."
HOUR_BEFORE_POSTING = "This hour is before the video was posted."
DAY_FROM_HOURS = "This day has hourly rows; its daily row is their sum. Send the hours instead."

HOURS_LOCK = "creators_video_hours"  # advisory lock per video of hourly uploads


@dataclass
class IngestionResult:
    kind: str
    dry_run: bool
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    # (row index, natural key, "created" | "updated") for the first rows that change.
    changes: list[tuple[int, str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "dry_run": self.dry_run,
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
        }


class _Spec:
    """What a kind writes: its model, the row owner (account or video) and natural key."""

    owner = "account"

    def __init__(self, kind: str):
        self.kind = kind
        if kind in ("video_daily", "video_hourly"):
            self.model, self.key_field = VideoDailyMetric, "date"
            if kind == "video_hourly":
                self.model, self.key_field = VideoHourlyMetric, "hour"
            self.fields = list(VIDEO_DAILY_COUNT_FIELDS)
            self.owner = "video"
        elif kind == "daily":
            self.model, self.key_field = DailyAccountMetric, "date"
            self.fields = [*DAILY_COUNT_FIELDS, *DAILY_FLAG_FIELDS]
        else:
            self.model, self.key_field = Video, "platform_video_id"
            self.fields = ["posted_at", "duration_seconds", *VIDEO_COUNT_FIELDS]
            self.fields += ["is_original", "niche"]
        self.table = self.model._meta.db_table
        self.stage = f"creators_ingest_stage_{kind}"  # a temporary table, one per connection
        # The staging table: row index, account match, the natural key and the values.
        self.stage_columns = ["n", "platform", "pid", "handle", "day", self.key_field]
        if self.owner == "video":
            self.stage_columns.append("video")
        self.stage_columns += self.fields

    def stage_types(self) -> list[str]:
        """The staged columns' types (the model's for stored values)."""
        fixed = {"n": "integer", "platform": "text", "pid": "text", "handle": "text"}
        fixed |= {"day": "date", "video": "text"}
        return [
            fixed.get(c) or self.model._meta.get_field(c).db_type(connection)
            for c in self.stage_columns
        ]

    def stage_definition(self) -> str:
        """The staging table's columns with their types."""
        return ", ".join(
            f"{c} {t}" for c, t in zip(self.stage_columns, self.stage_types(), strict=True)
        )

    def stage_row(self, index: int, row: dict) -> tuple:
        day = {"videos": "posted_at", "video_hourly": "hour"}.get(self.kind)
        day = row[day].date() if day else row["date"]  # hours are UTC
        head = (index, row["platform"], row.get("platform_account_id") or "", row["handle"], day)
        key = (row[self.key_field],)
        if self.owner == "video":
            key += (row["platform_video_id"],)
        return head + key + tuple(row[f] for f in self.fields)


def metrics_ingest(
    *,
    kind: Kind,
    rows: Sequence[Mapping[str, Any]],
    dry_run: bool = False,
    max_rows: int | None = MAX_BATCH_ROWS,
    creators: QuerySet[Creator] | None = None,
) -> IngestionResult:
    """Validate every row, then upsert them all (or, with ``dry_run``, only report).

    ``max_rows`` caps a batch (the API's limit); files from operators pass None.
    ``creators`` is the caller's scope (a talent manager's own creators): a row for an
    account of any other creator is refused, by row, like any other bad row.
    Raises ``ValidationError({"rows": {"<index>": {field: [reason]}}})`` when any row is bad;
    nothing is written then.
    """
    _check_kind(kind)
    if not rows:
        raise ValidationError({"rows": ["No rows."]})
    if max_rows is not None and len(rows) > max_rows:
        raise ValidationError({"rows": [f"At most {max_rows} rows per batch; got {len(rows)}."]})
    return _ingest(kind=kind, cells=rows, dry_run=dry_run, creators=creators)


def metrics_ingest_csv(
    *,
    kind: Kind,
    file: io.TextIOBase | Iterable[str],
    dry_run: bool = False,
    creators: QuerySet[Creator] | None = None,
    progress: Progress | None = None,
) -> IngestionResult:
    """The same ingestion from a CSV with a header row; empty cells count as absent.

    Row indexes in errors are 0-based data rows (the header is not counted): data row 0 is
    line 2 of the file. The file is read once, as a stream: one pass finds errors
    (duplicates included) across every row, and the write is one transaction; the API's
    batch limit does not apply to operators' files. ``progress`` is called with the number
    of rows read so far, after each chunk.
    """
    _check_kind(kind)
    return _ingest(
        kind=kind, cells=_csv_cells(file), dry_run=dry_run, creators=creators, progress=progress
    )


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValidationError({"kind": [f"Unknown kind {kind!r}; use {', '.join(KINDS)}."]})


def _csv_cells(file: io.TextIOBase | Iterable[str]) -> Iterator[dict[str, str]]:
    """Each data row as {column: cell}, empty cells left out (as ``csv.DictReader`` rows)."""
    try:
        reader = csv.reader(file)
        header = next(reader, None)
        if header is None:
            raise ValidationError({"file": ["The file is empty; a header row is needed."]})
        at = {name: i for i, name in enumerate(header) if name}  # the last of a repeated name
        for record in reader:
            if not record:  # a blank line is not a row
                continue
            width = len(record)
            yield {k: record[i] for k, i in at.items() if i < width and record[i] != ""}
    except (csv.Error, UnicodeDecodeError) as exc:
        raise ValidationError({"file": [f"Not a readable CSV file: {exc}"]}) from exc


@transaction.atomic
def _ingest(
    *,
    kind: str,
    cells: Iterable[Mapping[str, Any]],
    dry_run: bool,
    creators: QuerySet[Creator] | None,
    progress: Progress | None = None,
) -> IngestionResult:
    spec = _Spec(kind)
    errors: dict[int, dict[str, list[str]]] = {}
    with connection.cursor() as cursor:
        source, params, count = _staged(
            cursor, spec=spec, cells=cells, errors=errors, progress=progress
        )
        if not count:
            raise ValidationError({"rows": ["No rows."]})
        checked, check_params = _checked_sql(
            spec=spec, creators=creators, source=source, lookups=count <= LOOKUP_MAX_ROWS
        )
        params += check_params
        if errors:  # some rows did not parse: list the others' errors too, write nothing
            cursor.execute(
                f"WITH {checked} SELECT n, efield, error FROM checked"
                " WHERE error IS NOT NULL ORDER BY n",
                params,
            )
            found = cursor.fetchall()
            changes: Changes = (0, 0, [])
        else:  # check and write (or compare) in one statement; bad rows stop the write
            changed = _compare_sql(spec=spec) if dry_run else _write_sql(spec=spec)
            days = kind == "video_hourly" and not dry_run  # the days to sum: _derive_daily
            cursor.execute(
                _changes_sql(f"{checked}, {changed[0]}", spec.key_field, days=days),
                [*params, *changed[1], CHANGES_LISTED],
            )
            bad, *counts, touched = cursor.fetchone()
            found = bad or []
            changes = _changes(tuple(counts))
        for index, efield, message in found:
            errors[index] = {efield: [message]}
        if errors:
            raise ValidationError(
                {"rows": {str(i): errors[i] for i in sorted(errors)}},
            )
        if days:
            _derive_daily(cursor, touched=[(o, d) for o, d in touched or []])
    created, updated, listed = changes
    result = IngestionResult(
        kind=kind,
        dry_run=dry_run,
        rows=count,
        created=created,
        updated=updated,
        unchanged=count - created - updated,
    )
    result.changes = [
        (index, f"{spec.owner} {owner_id} / {key}", "created" if new else "updated")
        for index, owner_id, key, new in listed
    ]
    return result


def _staged(
    cursor, *, spec: _Spec, cells, errors: dict, progress: Progress | None
) -> tuple[str, list, int]:
    """Parse every row (errors into ``errors``) and make the good ones readable by the check:
    an upload of at most ``INLINE_MAX_ROWS`` good rows in one chunk travels inside the check
    statement (one JSON document, read as a record set: no staging round trips; dates and
    times as ISO text); a larger one is
    copied into this connection's staging table, a chunk at a time. Returns the FROM item
    the check reads (aliased ``st``), its parameters and the number of rows read."""
    chunks = _parsed(spec=spec, cells=cells, errors=errors)
    first, count = next(chunks)
    following = next(chunks, None)
    if following is None and len(first) <= INLINE_MAX_ROWS:
        if progress is not None:
            progress(count)
        names = spec.stage_columns
        rows = json.dumps([dict(zip(names, row, strict=True)) for row in first], default=str)
        return f"json_to_recordset(%s::json) AS st ({spec.stage_definition()})", [rows], count
    # One round trip: room to sort the whole upload in memory (duplicates are found across
    # all of it), no JIT (large statements, run once: JIT costs more), and this connection's
    # staging table: created once, emptied at every commit, and emptied here of what an
    # earlier upload in the same transaction left.
    cursor.execute(
        "SET LOCAL work_mem = '64MB'; SET LOCAL jit = off; "
        f"CREATE TEMP TABLE IF NOT EXISTS {spec.stage} ({spec.stage_definition()}) "
        f"ON COMMIT DELETE ROWS; DELETE FROM {spec.stage}"
    )
    copy_sql = f"COPY {spec.stage} ({', '.join(spec.stage_columns)}) FROM STDIN"
    read = count
    for chunk, read in itertools.chain([(first, count)], [following] if following else [], chunks):
        _copy(cursor, copy_sql, chunk)
        if progress is not None:
            progress(read)
    return f"{spec.stage} st", [], read


def _parsed(*, spec: _Spec, cells, errors: dict) -> Iterator[tuple[list[tuple], int]]:
    """(good rows as staging tuples, rows read so far), ``STAGE_CHUNK_ROWS`` good rows at a
    time; the last chunk (maybe empty) when the input ends."""
    parser = RowParser.of(spec.kind)
    chunk: list[tuple] = []
    count = 0
    for index, raw in enumerate(cells):
        count += 1
        row, row_errors = parser.parse(raw)
        if row_errors:
            errors[index] = row_errors
            continue
        chunk.append(spec.stage_row(index, row))
        if len(chunk) >= STAGE_CHUNK_ROWS:
            yield chunk, count
            chunk = []
    yield chunk, count


def _copy(cursor, sql: str, chunk: list[tuple]) -> None:
    if chunk:
        with cursor.cursor.copy(sql) as copy:
            for row in chunk:
                copy.write_row(row)


def _checked_sql(
    *, spec: _Spec, creators: QuerySet[Creator] | None, source: str, lookups: bool
) -> tuple[str, list]:
    """The ``checked`` CTE and its parameters: every staged row resolved (owner id, key,
    values) with the field and reason of what is wrong with it, if anything. ``lookups``:
    find each row's account through the indexes (small uploads) rather than by hashing
    every account and handle (large files)."""
    key, fields = spec.key_field, spec.fields
    # (condition, field, reason): the first that holds is the row's error.
    reasons = [("s.account_id IS NULL", "account", NO_ACCOUNT)]
    scope_params: Sequence[Any] = ()
    if creators is not None:
        scope_sql, scope_params = creators.values("pk").query.sql_with_params()
        in_scope = (
            f"SELECT pa.id FROM creators_platformaccount pa WHERE pa.creator_id IN ({scope_sql})"
        )
        reasons.append((f"s.account_id NOT IN ({in_scope})", "account", OUT_OF_SCOPE))
    video_join, owner = "", "s.account_id"
    if spec.owner == "video":
        video_join = (
            "LEFT JOIN creators_video v"
            " ON v.account_id = s.account_id AND v.platform_video_id = s.video"
        )
        owner = "v.id"
        reasons.append(("v.id IS NULL", "platform_video_id", NO_VIDEO))
        if spec.kind == "video_hourly":
            before = "s.hour < date_trunc('hour', v.posted_at, 'UTC')"
            reasons.append((before, "hour", HOUR_BEFORE_POSTING))
        else:
            before = "s.date < (v.posted_at AT TIME ZONE 'UTC')::date"
            reasons.append((before, "date", BEFORE_POSTING))
            hours = (
                "EXISTS (SELECT 1 FROM creators_videohourlymetric h WHERE h.video_id = v.id"
                " AND h.hour >= s.date::timestamp AT TIME ZONE 'UTC'"
                " AND h.hour < (s.date + 1)::timestamp AT TIME ZONE 'UTC')"
            )
            reasons.append((hours, "date", DAY_FROM_HOURS))
    reason = " ".join(f"WHEN {cond} THEN {i}" for i, (cond, _, _) in enumerate(reasons))
    efield = " ".join(f"WHEN {i} THEN '{name}'" for i, (_, name, _) in enumerate(reasons))
    # The first reason (no account) names the day the account was looked up on.
    error = "WHEN 0 THEN %s || to_char(r.day, 'YYYY-MM-DD') || '.' "
    error += " ".join(f"WHEN {i} THEN %s" for i in range(1, len(reasons)))
    staged = ", ".join(f"r.{f}" for f in fields)
    if lookups:  # each row's account by index: cost follows the upload, not the roster
        accounts = """
            LEFT JOIN LATERAL (
                SELECT pa.id FROM creators_platformaccount pa
                WHERE st.pid <> '' AND pa.platform = st.platform AND pa.platform_account_id = st.pid
                OFFSET 0
            ) pa ON true
            LEFT JOIN LATERAL (
                SELECT h.account_id FROM creators_accounthandle h
                WHERE st.pid = '' AND h.platform = st.platform
                AND lower(h.handle) = lower(st.handle)
                AND daterange(h.valid_from, h.valid_to, '[)') @> st.day
                OFFSET 0
            ) h ON true
        """
    else:  # one pass over the roster's accounts and handles
        accounts = """
            LEFT JOIN creators_platformaccount pa
                ON st.pid <> '' AND pa.platform = st.platform AND pa.platform_account_id = st.pid
            LEFT JOIN creators_accounthandle h
                ON st.pid = '' AND h.platform = st.platform
                AND lower(h.handle) = lower(st.handle)
                AND h.valid_from <= st.day AND (h.valid_to IS NULL OR st.day < h.valid_to)
        """
    sql = f"""
        matched AS (
            SELECT st.*, coalesce(pa.id, h.account_id) AS account_id
            FROM {source} {accounts}
        ), owned AS (
            SELECT s.*, {owner} AS owner_id, CASE {reason} END AS reason
            FROM matched s {video_join}
        ), ranked AS (
            SELECT owned.*, first_value(n) OVER (
                PARTITION BY reason IS NULL, owner_id, {key} ORDER BY n
            ) AS first_n
            FROM owned
        ), checked AS MATERIALIZED (
        SELECT r.n, r.owner_id, r.{key}, r.day, {staged},
            CASE r.reason {efield} ELSE
                CASE WHEN r.first_n <> r.n THEN '{key}' END
            END AS efield,
            CASE r.reason {error} ELSE
                CASE WHEN r.first_n <> r.n THEN 'Duplicate of row ' || r.first_n || '.' END
            END AS error
        FROM ranked r
        )
    """
    return sql, [*scope_params, *(message for _, _, message in reasons)]


Changes = tuple[int, int, list[tuple[int, int, Any, bool]]]


def _compare_sql(*, spec: _Spec) -> tuple[str, list]:
    """A dry run's ``changed`` CTE: the rows that would be created or updated (each row
    looked up by its key, so the cost follows the upload, not the table)."""
    key, fields = spec.key_field, spec.fields
    stored = ", ".join(f"t.{f}" for f in fields)
    staged = ", ".join(f"c.{f}" for f in fields)
    changed = f"""
        changed AS (
        SELECT c.n, c.owner_id, c.{key}, t.found IS NULL AS created
        FROM checked c
        LEFT JOIN LATERAL (
            SELECT true AS found, {stored} FROM {spec.table} t
            WHERE t.{spec.owner}_id = c.owner_id AND t.{key} = c.{key}
        ) t ON true
        WHERE t.found IS NULL OR ({stored}) IS DISTINCT FROM ({staged})
        )
    """
    return changed, []


def _write_sql(*, spec: _Spec) -> tuple[str, list]:
    """The upsert of every row as the ``written`` and ``changed`` CTEs: nothing is written
    when any row is bad; a stored row is updated only when its values differ; what changed
    is read back from the rows the upsert returned."""
    key, fields = spec.key_field, spec.fields
    owner_id = f"{spec.owner}_id"
    columns = ", ".join(fields)
    updates = ", ".join(f"{f} = EXCLUDED.{f}" for f in fields)
    stored = ", ".join(f"t.{f}" for f in fields)
    excluded = ", ".join(f"EXCLUDED.{f}" for f in fields)
    changed = f"""
        written AS (
            INSERT INTO {spec.table} AS t ({owner_id}, {key}, {columns}, created_at, updated_at)
            SELECT owner_id, {key}, {columns}, %s, %s FROM checked
            WHERE NOT EXISTS (SELECT FROM checked WHERE error IS NOT NULL) ORDER BY n
            ON CONFLICT ({owner_id}, {key}) DO UPDATE
            SET {updates}, updated_at = EXCLUDED.updated_at
            WHERE ({stored}) IS DISTINCT FROM ({excluded})
            RETURNING t.{owner_id} AS owner_id, t.{key} AS {key}, t.xmax = 0 AS created
        ), changed AS (
            SELECT c.n, w.owner_id, w.{key}, w.created
            FROM written w JOIN checked c ON c.owner_id = w.owner_id AND c.{key} = w.{key}
        )
    """
    return changed, [timezone.now()] * 2


def _derive_daily(cursor, *, touched: list[tuple[int, str]]) -> None:
    """The daily rows of the days an hourly upload touched: the sum of each day's hours
    (UTC days), written only where it differs from the stored row.

    Uploads touching the same video take its lock (``HOURS_LOCK``) after writing their
    hours and before summing: the sum is a statement of its own, so the later of two
    uploads sums the earlier one's committed hours too. Without the lock each would sum
    only its own, and the later write would drop the other's hours from the day.
    ``touched``: the upload's (video, ISO day) pairs, from the check-and-write statement."""
    advisory_locks(HOURS_LOCK, [video for video, _ in touched])
    fields = VIDEO_DAILY_COUNT_FIELDS
    stored = ", ".join(f"t.{f}" for f in fields)
    excluded = ", ".join(f"EXCLUDED.{f}" for f in fields)
    cursor.execute(
        f"""
        INSERT INTO creators_videodailymetric AS t
            (video_id, date, {", ".join(fields)}, created_at, updated_at)
        SELECT d.owner_id, d.day, {", ".join(f"SUM(h.{f})" for f in fields)}, %s, %s
        FROM unnest(%s::bigint[], %s::date[]) AS d (owner_id, day)
        JOIN creators_videohourlymetric h ON h.video_id = d.owner_id
            AND h.hour >= d.day::timestamp AT TIME ZONE 'UTC'
            AND h.hour < (d.day + 1)::timestamp AT TIME ZONE 'UTC'
        GROUP BY d.owner_id, d.day
        ON CONFLICT (video_id, date) DO UPDATE
        SET {", ".join(f"{f} = EXCLUDED.{f}" for f in fields)}, updated_at = EXCLUDED.updated_at
        WHERE ({stored}) IS DISTINCT FROM ({excluded})
        """,
        [*[timezone.now()] * 2, [video for video, _ in touched], [day for _, day in touched]],
    )


def _changes_sql(ctes: str, key: str, *, days: bool = False) -> str:
    """One statement over the checked and changed rows (the ``checked`` and ``changed``
    CTEs of ``ctes``): the bad rows (as JSON), how many were created and updated, the
    first of them by row index (as JSON) and, with ``days``, every (owner, day) pair of
    the upload (as JSON)."""
    pairs = "SELECT DISTINCT owner_id, day FROM checked"
    days_sql = f"(SELECT json_agg(json_build_array(owner_id, day)) FROM ({pairs}) d)"
    return f"""
        WITH {ctes}
        SELECT (SELECT json_agg(json_build_array(n, efield, error) ORDER BY n)
                FROM checked WHERE error IS NOT NULL),
               (SELECT count(*) FILTER (WHERE created) FROM changed),
               (SELECT count(*) FILTER (WHERE NOT created) FROM changed),
               (SELECT json_agg(json_build_array(n, owner_id, {key}, created) ORDER BY n)
                FROM (SELECT * FROM changed ORDER BY n LIMIT %s) first),
               {days_sql if days else "NULL"}
    """


def _changes(found: tuple) -> Changes:
    created, updated, first = found
    return created, updated, [tuple(row) for row in first or []]


def format_errors(detail) -> list[str]:
    """``{"rows": {"3": {"views": [..]}}}`` -> "line 5 (row 3): views: ..." lines."""
    if not isinstance(detail, dict):
        return [str(detail)]
    rows = detail.get("rows")
    if isinstance(rows, dict):
        return [
            f"line {int(index) + 2} (row {index}): {field}: {'; '.join(map(str, messages))}"
            for index, fields in rows.items()
            for field, messages in fields.items()
        ]
    return [f"{field}: {messages}" for field, messages in detail.items()]
