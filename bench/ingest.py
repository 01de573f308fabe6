"""Ingestion: the product's CSV path (``metrics_ingest_csv``) and the bulk HTTP endpoint
(``POST /api/v1/metrics/daily/``, 1,000 rows a request, through Django's test client,
after one untimed dry run that loads the URLconf and the key as a running server has)
against raw COPY of the same rows into the same table (rolled back afterwards; for the
HTTP path, the median of COPYs timed between the requests)."""

import csv
import datetime as dt
import io
import json
import statistics
import time

from django.db import connection, transaction

from bench.generate import DAILY_COLUMNS, DAYS, accounts_of, copy_rows, daily_metric_rows


class _Rollback(Exception):
    pass


def _rows(*, n_creators: int, as_of: dt.date, count: int, days_back: int, seed: int):
    """``count`` daily rows on dates before the loaded window (new rows for the table):
    (account, platform, values) for the accounts in order, one date after another."""
    accounts = list(accounts_of(n_creators))
    per_day = len(accounts)
    days = -(-count // per_day)
    dates = [as_of - dt.timedelta(days=days_back + d) for d in range(days)]
    by_account = {a: p for a, _c, p in accounts}
    out = []
    for row in daily_metric_rows(accounts, dates, seed, "now()"):
        out.append((row, by_account[row[0]]))
        if len(out) >= count:
            break
    return out


def _csv(rows) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    fields = ["followers", "views", "qualified_views", "watch_time_seconds", "videos_posted"]
    writer.writerow(["platform", "platform_account_id", "date", *fields])
    for row, platform in rows:
        writer.writerow([platform, f"pa{row[0]}", row[1].isoformat(), *row[2:7]])
    return buffer.getvalue()


def _copy_seconds(rows) -> float:
    now = dt.datetime.now(tz=dt.UTC).isoformat()
    try:
        with transaction.atomic():
            started = time.perf_counter()
            copy_rows(
                "creators_dailyaccountmetric",
                DAILY_COLUMNS,
                ((*row[:7], now, now) for row, _p in rows),
            )
            seconds = time.perf_counter() - started
            raise _Rollback
    except _Rollback:
        pass
    return seconds


def _profile(*, text: str, out_path) -> None:
    """A pyinstrument profile of the CSV service on up to 2,000 rows (dry run)."""
    from pyinstrument import Profiler

    from creators.services.ingestion import metrics_ingest_csv

    profiler = Profiler(interval=0.001)
    profiler.start()
    metrics_ingest_csv(kind="daily", file=io.StringIO(text), dry_run=True)
    profiler.stop()
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(profiler.output_html())
    out_path.with_suffix(".txt").write_text(profiler.output_text(unicode=False, color=False))


def ingest(
    *,
    n_creators: int,
    as_of: dt.date,
    csv_rows: int,
    http_rows: int,
    key: str,
    profile_path=None,
) -> dict:
    from django.test import Client

    from creators.services.ingestion import metrics_ingest_csv

    rows = _rows(n_creators=n_creators, as_of=as_of, count=csv_rows, days_back=DAYS, seed=61)
    text = _csv(rows)
    copy_s = _copy_seconds(rows)
    started = time.perf_counter()
    result = metrics_ingest_csv(kind="daily", file=io.StringIO(text))
    csv_s = time.perf_counter() - started

    http = _rows(n_creators=n_creators, as_of=as_of, count=http_rows, days_back=DAYS + 200, seed=62)
    # The floor: COPY (rolled back) of as many rows of the same shape on other dates, timed
    # before the requests and between every two of them; the median, so that the shared
    # machine's load while the requests run weighs on the floor too.
    floor_rows = _rows(
        n_creators=n_creators, as_of=as_of, count=http_rows, days_back=DAYS + 400, seed=63
    )
    floors = [_copy_seconds(floor_rows)]
    client = Client(HTTP_AUTHORIZATION=f"Api-Key {key}")
    bodies = []
    for i in range(0, len(http), 1000):
        batch = [
            {
                "platform": platform,
                "platform_account_id": f"pa{row[0]}",
                "date": row[1].isoformat(),
                "followers": row[2],
                "views": row[3],
                "qualified_views": row[4],
                "watch_time_seconds": row[5],
                "videos_posted": row[6],
            }
            for row, platform in http[i : i + 1000]
        ]
        bodies.append(json.dumps({"rows": batch}))
    # A server answers from a warm process: its URLconf, views and the partner's key are
    # loaded by earlier requests. One dry run (nothing written) does that here, untimed.
    warm = json.loads(bodies[0])
    warm["dry_run"] = True
    client.post("/api/v1/metrics/daily/", json.dumps(warm), content_type="application/json")
    statuses = []
    http_s = 0.0
    for i, body in enumerate(bodies):
        started = time.perf_counter()
        response = client.post("/api/v1/metrics/daily/", body, content_type="application/json")
        http_s += time.perf_counter() - started
        statuses.append(response.status_code)
        if i % 2 == 1:
            floors.append(_copy_seconds(floor_rows))
    http_copy_s = statistics.median(floors)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE creators_dailyaccountmetric")
    if profile_path is not None:
        _profile(text=_csv(rows[:2000]), out_path=profile_path)
    copy_rate = len(rows) / copy_s
    http_copy_rate = len(http) / http_copy_s
    return {
        "copy": {"rows": len(rows), "seconds": round(copy_s, 3), "rows_per_s": round(copy_rate)},
        "csv_service": {
            "rows": len(rows),
            "created": result.created,
            "seconds": round(csv_s, 3),
            "rows_per_s": round(len(rows) / csv_s),
            "vs_copy": round(len(rows) / csv_s / copy_rate, 4),
        },
        "http": {
            "rows": len(http),
            "requests": len(bodies),
            "statuses": sorted(set(statuses)),
            "seconds": round(http_s, 3),
            "rows_per_s": round(len(http) / http_s),
            "copy_rows_per_s": round(http_copy_rate),
            "copy_samples_s": [round(f, 3) for f in floors],
            "vs_copy": round(len(http) / http_s / http_copy_rate, 4),
        },
    }
