"""Traffic-pool waves, computed set-based inside the recalculation chunks.

``waves_compute_chunk`` is one SQL statement per chunk of creators: for every video posted
in the last 90 days up to ``as_of`` it

1. takes the pool version in force on the video's posting day (so a new version never
   rewrites the result of a video posted before it);
2. counts the video's views (its stored total, or the sum of its daily rows when larger)
   and its signal rates per view: completion, replays, likes, comments, shares and saves,
   from its daily rows up to ``as_of`` when it has any, else from the video's totals
   (saves exist only in daily rows);
3. finds the highest pool whose entry views it reached, the day it reached it (the first
   day its running daily views got there; the posting day for a pool entered at 0 views),
   the hour it got there when that day has hourly rows (the first hour whose running
   views, on top of the days before, reach the pool: "pool 2 at 14:00 on day 1"),
   and the next pool;
4. compares each signal with the next pool's bar. The stopping signal is the first one
   short of its bar in the platform's order (completion > replays > likes > comments >
   shares, then saves): that is the one the platform weighs most, so the one to coach on.
   ``signals_short`` counts every bar missed (1: "one step short"). A video older than the
   version's ``settle_days`` that is below the top pool has stalled;
5. upserts one ``VideoWave`` per video and one ``CreatorWaveSummary`` per creator and
   window (28, 90 days): videos by highest pool, stalled videos and the weakest signal
   (the one that stopped most stalled videos, ties in the platform's order).

Writes skip unchanged rows (``IS DISTINCT FROM``), so a re-run changes nothing.
``video_daily_purge`` drops daily and hourly video rows past the retention of a video's life.
"""

import datetime as dt
from collections.abc import Sequence

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from agency.locks import try_advisory_lock
from creators.models.waves import Signal

WAVE_WINDOWS = (28, 90)
SIGNALS = [s.value for s in Signal]  # the platform's order, then saves
# signal -> its count column in videos and daily rows (saves: daily rows only)
_COUNTS = {
    "completion": "completed_views",
    "replays": "replays",
    "likes": "likes",
    "comments": "comments",
    "shares": "shares",
    "saves": "saves",
}
PURGE_LOCK = ("creators", "video_daily_purge")  # advisory lock of the daily-row purge


def _short(signal: str) -> str:
    rate, bar = f"r.{signal}_rate", f"nx.{signal}_bar"
    return f"({rate} IS NOT NULL AND {bar} IS NOT NULL AND {rate} < {bar})"


def _first_short(value: str) -> str:
    """CASE over the signals in order: ``value`` formatted with the first one short."""
    whens = " ".join(f"WHEN {_short(s)} THEN {value.format(s=s)}" for s in SIGNALS)
    return f"CASE {whens} END"


_VIDEO_COUNTS = ", ".join(f"v.{c}" for c in _COUNTS.values() if c != "saves")
_DAILY_SUMS = ", ".join(f"SUM(m.{c}) AS {c}" for c in _COUNTS.values())
_RATES = ",\n           ".join(
    f"ROUND((CASE WHEN d.video_id IS NULL THEN {'NULL' if c == 'saves' else 'vid.' + c} "
    f"ELSE d.{c} END)::numeric / NULLIF(CASE WHEN d.video_id IS NULL THEN vid.views "
    f"ELSE d.views END, 0), 6) AS {s}_rate"
    for s, c in _COUNTS.items()
)
_WAVE_COLUMNS = [
    "creator_id",
    "posted_on",
    "pool_version_id",
    "views",
    "pool",
    "reached_on",
    "reached_at",
    "next_pool",
    "next_pool_views",
    *[f"{s}_rate" for s in SIGNALS],
    "stalled",
    "stopping_signal",
    "stopping_actual",
    "stopping_bar",
    "signals_short",
]
_SUMMARY_COLUMNS = [
    "videos",
    "videos_by_pool",
    "stalled_videos",
    "weakest_signal",
    "weakest_signal_videos",
]


def _upsert(table: str, key: str, columns: list[str], select: str) -> str:
    names = ", ".join(columns)
    return f"""
        INSERT INTO {table} AS t ({key}, {names}, computed_at)
        {select}
        ON CONFLICT ({key}) DO UPDATE
        SET {", ".join(f"{c} = EXCLUDED.{c}" for c in columns)}, computed_at = EXCLUDED.computed_at
        WHERE ({", ".join(f"t.{c}" for c in columns)})
              IS DISTINCT FROM ({", ".join(f"EXCLUDED.{c}" for c in columns)})
        RETURNING 1"""


CHUNK_SQL = f"""
WITH
pool AS (  -- each version's pools numbered by entry views: k = 1, 2, ...
    SELECT p.*, row_number() OVER (PARTITION BY p.version_id ORDER BY p.min_views) AS k
    FROM creators_trafficpool p
),
pv AS (
    SELECT v.id, v.effective_from, v.effective_to, v.settle_days,
           array_agg(p.min_views ORDER BY p.min_views) AS entry_views
    FROM creators_trafficpoolversion v JOIN pool p ON p.version_id = v.id
    GROUP BY v.id
),
vid AS (
    SELECT a.creator_id, v.id AS video_id, v.posted_on, v.views, {_VIDEO_COUNTS},
           pv.id AS pool_version_id, pv.settle_days, pv.entry_views
    FROM creators_platformaccount a
    -- Per account an index range scan on (account, posted_at), as in the performance chunk.
    CROSS JOIN LATERAL (
        SELECT v.*, (v.posted_at AT TIME ZONE 'UTC')::date AS posted_on FROM creators_video v
        WHERE v.account_id = a.id
          AND v.posted_at >= ((%(as_of)s::date - %(horizon)s + 1)::timestamp AT TIME ZONE 'UTC')
          AND v.posted_at < ((%(as_of)s::date + 1)::timestamp AT TIME ZONE 'UTC')
        OFFSET 0
    ) v
    JOIN pv ON v.posted_on >= pv.effective_from
           AND (pv.effective_to IS NULL OR v.posted_on < pv.effective_to)
    WHERE a.creator_id = ANY(%(ids)s::bigint[])
),
-- Each video's daily rows up to as_of, read once (an index range scan on the video): the
-- sums, and the days with the running views (for the day a pool was reached; the running
-- views never go down). Only videos with daily rows appear here.
d AS (
    SELECT vid.video_id, s.*
    FROM vid
    CROSS JOIN LATERAL (
        SELECT SUM(m.views) AS views, {_DAILY_SUMS},
               array_agg(m.date ORDER BY m.date) AS dates,
               array_agg(m.cum_views ORDER BY m.date) AS cum_views
        FROM (
            SELECT m.date, m.views, m.completed_views, m.replays, m.likes, m.comments,
                   m.shares, m.saves, SUM(m.views) OVER (ORDER BY m.date) AS cum_views
            FROM creators_videodailymetric m
            WHERE m.video_id = vid.video_id AND m.date <= %(as_of)s::date
        ) m
    ) s
    WHERE s.dates IS NOT NULL
),
-- MATERIALIZED: each video's pool is then one hash lookup on (version, k), not a join on
-- the version with every pool filtered afterwards.
rates AS MATERIALIZED (
    SELECT vid.creator_id, vid.video_id, vid.posted_on, vid.pool_version_id, vid.settle_days,
           v.views, width_bucket(v.views, vid.entry_views) AS k, d.dates, d.cum_views,
           {_RATES}
    FROM vid
    LEFT JOIN d ON d.video_id = vid.video_id
    CROSS JOIN LATERAL (SELECT GREATEST(vid.views, COALESCE(d.views, 0)) AS views) v
),
res AS (
    SELECT r.creator_id, r.video_id, r.posted_on, r.pool_version_id, r.views, p.number AS pool,
           -- the first day the running views got to the pool (width_bucket: the days before)
           CASE WHEN p.min_views = 0 THEN r.posted_on ELSE r.dates[ri.i] END AS reached_on,
           rh.hour AS reached_at,
           nx.number AS next_pool, nx.min_views AS next_pool_views,
           {", ".join(f"r.{s}_rate" for s in SIGNALS)},
           (nx.number IS NOT NULL AND r.posted_on <= %(as_of)s::date - r.settle_days)
               AS stalled,
           COALESCE({_first_short("'{s}'")}, '') AS stopping_signal,
           {_first_short("r.{s}_rate")} AS stopping_actual,
           {_first_short("nx.{s}_bar")} AS stopping_bar,
           ({" + ".join(f"{_short(s)}::int" for s in SIGNALS)}) AS signals_short
    FROM rates r
    -- the highest pool whose entry views the video reached, and the next one
    JOIN pool p ON p.version_id = r.pool_version_id AND p.k = r.k
    LEFT JOIN pool nx ON nx.version_id = r.pool_version_id AND nx.k = p.k + 1
    -- the day the running views got to the pool (width_bucket: the days before it)
    CROSS JOIN LATERAL (SELECT width_bucket(p.min_views - 1, r.cum_views) + 1 AS i) ri
    LEFT JOIN LATERAL (  -- the hour it reached the pool, from the hourly rows of that day
        SELECT h.hour FROM (
            SELECT h.hour, SUM(h.views) OVER (ORDER BY h.hour) AS cum_views
            FROM creators_videohourlymetric h
            WHERE p.min_views > 0 AND r.dates[ri.i] IS NOT NULL
              AND h.video_id = r.video_id
              AND h.hour >= r.dates[ri.i]::timestamp AT TIME ZONE 'UTC'
              AND h.hour < (r.dates[ri.i] + 1)::timestamp AT TIME ZONE 'UTC'
        ) h
        WHERE COALESCE(r.cum_views[ri.i - 1], 0) + h.cum_views >= p.min_views
        ORDER BY h.hour LIMIT 1
    ) rh ON true
),
win AS (
    SELECT res.*, w.window_days
    FROM res CROSS JOIN unnest(%(windows)s::int[]) AS w(window_days)
    WHERE res.posted_on > %(as_of)s::date - w.window_days
),
by_pool AS (
    SELECT creator_id, window_days, SUM(n) AS videos, jsonb_object_agg(pool::text, n) AS by_pool
    FROM (SELECT creator_id, window_days, pool, COUNT(*) AS n FROM win
          GROUP BY creator_id, window_days, pool) t
    GROUP BY creator_id, window_days
),
stalls AS (
    SELECT creator_id, window_days, COUNT(*) AS stalled FROM win WHERE stalled
    GROUP BY creator_id, window_days
),
weakest AS (
    SELECT DISTINCT ON (creator_id, window_days) creator_id, window_days, stopping_signal, n
    FROM (SELECT creator_id, window_days, stopping_signal, COUNT(*) AS n FROM win
          WHERE stalled AND stopping_signal <> ''
          GROUP BY creator_id, window_days, stopping_signal) t
    ORDER BY creator_id, window_days, n DESC,
             array_position(%(signals)s::text[], stopping_signal::text)
),
cw AS (
    SELECT c.id AS creator_id, w.window_days
    FROM unnest(%(ids)s::bigint[]) AS c(id) CROSS JOIN unnest(%(windows)s::int[]) AS w(window_days)
),
ins_waves AS ({
    _upsert(
        "creators_videowave",
        "video_id",
        _WAVE_COLUMNS,
        f"SELECT video_id, {', '.join(_WAVE_COLUMNS)}, %(now)s FROM res",
    )
}),
ins_summary AS ({
    _upsert(
        "creators_creatorwavesummary",
        "creator_id, as_of, window_days",
        _SUMMARY_COLUMNS,
        '''SELECT cw.creator_id, %(as_of)s::date, cw.window_days, COALESCE(b.videos, 0),
                  COALESCE(b.by_pool, '{}'::jsonb), COALESCE(s.stalled, 0),
                  COALESCE(wk.stopping_signal, ''), COALESCE(wk.n, 0), %(now)s
           FROM cw
           LEFT JOIN by_pool b USING (creator_id, window_days)
           LEFT JOIN stalls s USING (creator_id, window_days)
           LEFT JOIN weakest wk USING (creator_id, window_days)''',
    )
})
SELECT (SELECT COUNT(*) FROM ins_waves), (SELECT COUNT(*) FROM ins_summary)
"""


@transaction.atomic
def waves_compute_chunk(*, as_of: dt.date, creator_ids: Sequence[int]) -> int:
    """Upsert the waves of these creators' recent videos and their summaries.

    Returns rows changed.
    """
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")  # compiling this statement costs more than it saves
        cursor.execute(
            CHUNK_SQL,
            {
                "as_of": as_of,
                "ids": list(creator_ids),
                "windows": list(WAVE_WINDOWS),
                "horizon": max(WAVE_WINDOWS),
                "signals": SIGNALS,
                "now": timezone.now(),
            },
        )
        videos, summaries = cursor.fetchone()
    return videos + summaries


def video_daily_retention_days() -> int:
    return settings.CREATORS_VIDEO_DAILY_RETENTION_DAYS


@transaction.atomic
def video_daily_purge(*, retention_days: int | None = None) -> int | None:
    """Delete daily and hourly video rows from day ``retention_days`` of a video's life on
    (the posting day is day 0). Returns rows deleted, or None when another purge holds the
    lock."""
    days = video_daily_retention_days() if retention_days is None else retention_days
    if not try_advisory_lock(*PURGE_LOCK):
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            """DELETE FROM creators_videodailymetric m USING creators_video v
               WHERE m.video_id = v.id
                 AND m.date >= (v.posted_at AT TIME ZONE 'UTC')::date + %s""",
            [days],
        )
        deleted = cursor.rowcount
        cursor.execute(  # hourly rows: the same days of the video's life (UTC)
            """DELETE FROM creators_videohourlymetric m USING creators_video v
               WHERE m.video_id = v.id
                 AND m.hour >= ((v.posted_at AT TIME ZONE 'UTC')::date + %s)::timestamp
                               AT TIME ZONE 'UTC'""",
            [days],
        )
        return deleted + cursor.rowcount
