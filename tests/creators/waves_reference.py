"""The waves statement before it read each video's daily rows in one pass: kept as the
reference the current one is compared with (tests/creators/test_waves_sql.py)."""

import datetime as dt
from collections.abc import Sequence

from django.db import connection, transaction
from django.utils import timezone

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
vid AS (
    SELECT a.creator_id, v.id AS video_id, (v.posted_at AT TIME ZONE 'UTC')::date AS posted_on,
           v.views, {_VIDEO_COUNTS}
    FROM creators_platformaccount a
    -- Per account an index range scan on (account, posted_at), as in the performance chunk.
    CROSS JOIN LATERAL (
        SELECT * FROM creators_video v
        WHERE v.account_id = a.id
          AND v.posted_at >= ((%(as_of)s::date - %(horizon)s + 1)::timestamp AT TIME ZONE 'UTC')
          AND v.posted_at < ((%(as_of)s::date + 1)::timestamp AT TIME ZONE 'UTC')
        OFFSET 0
    ) v
    WHERE a.creator_id = ANY(%(ids)s::bigint[])
),
daily AS (
    SELECT m.video_id, m.date, m.views, m.completed_views, m.replays, m.likes, m.comments,
           m.shares, m.saves,
           SUM(m.views) OVER (PARTITION BY m.video_id ORDER BY m.date) AS cum_views
    FROM vid
    -- Per video an index range scan on (video, date); OFFSET 0 keeps the planner from a
    -- merge join that would read the whole daily table for every chunk.
    CROSS JOIN LATERAL (
        SELECT * FROM creators_videodailymetric m
        WHERE m.video_id = vid.video_id AND m.date <= %(as_of)s::date
        OFFSET 0
    ) m
),
d AS (SELECT m.video_id, SUM(m.views) AS views, {_DAILY_SUMS} FROM daily m GROUP BY m.video_id),
rates AS (
    SELECT vid.creator_id, vid.video_id, vid.posted_on, pv.id AS pool_version_id,
           pv.settle_days, GREATEST(vid.views, COALESCE(d.views, 0)) AS views,
           {_RATES}
    FROM vid
    JOIN creators_trafficpoolversion pv
      ON vid.posted_on >= pv.effective_from
     AND (pv.effective_to IS NULL OR vid.posted_on < pv.effective_to)
    LEFT JOIN d ON d.video_id = vid.video_id
),
r AS (
    SELECT rates.*, p.number AS pool, p.min_views AS pool_views
    FROM rates
    CROSS JOIN LATERAL (
        SELECT p.number, p.min_views FROM creators_trafficpool p
        WHERE p.version_id = rates.pool_version_id AND p.min_views <= rates.views
        ORDER BY p.min_views DESC LIMIT 1
    ) p
),
reached AS (
    SELECT r.video_id,
           CASE WHEN r.pool_views = 0 THEN r.posted_on
                ELSE MIN(daily.date) FILTER (WHERE daily.cum_views >= r.pool_views) END
               AS reached_on,
           -- views before that day (running views only grow, so the first day's is least)
           MIN(daily.cum_views - daily.views) FILTER (WHERE daily.cum_views >= r.pool_views)
               AS views_before
    FROM r LEFT JOIN daily ON daily.video_id = r.video_id
    GROUP BY r.video_id, r.pool_views, r.posted_on
),
res AS (
    SELECT r.creator_id, r.video_id, r.posted_on, r.pool_version_id, r.views, r.pool,
           reached.reached_on, rh.hour AS reached_at,
           nx.number AS next_pool, nx.min_views AS next_pool_views,
           {", ".join(f"r.{s}_rate" for s in SIGNALS)},
           (nx.number IS NOT NULL AND r.posted_on <= %(as_of)s::date - r.settle_days)
               AS stalled,
           COALESCE({_first_short("'{s}'")}, '') AS stopping_signal,
           {_first_short("r.{s}_rate")} AS stopping_actual,
           {_first_short("nx.{s}_bar")} AS stopping_bar,
           ({" + ".join(f"{_short(s)}::int" for s in SIGNALS)}) AS signals_short
    FROM r
    JOIN reached ON reached.video_id = r.video_id
    LEFT JOIN LATERAL (  -- the hour it reached the pool, from the hourly rows of that day
        SELECT h.hour FROM (
            SELECT h.hour, SUM(h.views) OVER (ORDER BY h.hour) AS cum_views
            FROM creators_videohourlymetric h
            WHERE r.pool_views > 0 AND reached.views_before IS NOT NULL
              AND h.video_id = r.video_id
              AND h.hour >= reached.reached_on::timestamp AT TIME ZONE 'UTC'
              AND h.hour < (reached.reached_on + 1)::timestamp AT TIME ZONE 'UTC'
        ) h
        WHERE reached.views_before + h.cum_views >= r.pool_views
        ORDER BY h.hour LIMIT 1
    ) rh ON true
    LEFT JOIN LATERAL (
        SELECT * FROM creators_trafficpool n
        WHERE n.version_id = r.pool_version_id AND n.min_views > r.views
        ORDER BY n.min_views LIMIT 1
    ) nx ON true
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
