"""Performance snapshots computed set-based in PostgreSQL.

Two steps, both single SQL statements:

1. ``performance_compute_chunk``: for a chunk of creator ids, one statement aggregates the
   daily metrics and videos of every account over 7, 28 and 90 days ending on ``as_of``
   (window functions for posting gaps and the 28-day median, ``percentile_cont`` for
   medians) and upserts one row per (account, as_of, window) and per (creator, as_of,
   window) with ``INSERT ... ON CONFLICT DO UPDATE ... WHERE IS DISTINCT FROM``, so an
   unchanged row is not rewritten and a re-run changes nothing.
2. ``performance_score``: once every chunk of a run is done, one statement ranks every
   account of the date within its platform cohort and window (``cume_dist``) and writes the
   0-100 score; a second copies each creator's best account score. Ranks need the whole
   cohort, which is why they are not computed per chunk.

Weights and tier floors are data (``ScoringVersion``): a snapshot uses the version in force
on its ``as_of`` and records its number, so a new version never rewrites history. Version 1
(``SCORE_WEIGHTS_V1``): completion > replays > likes > comments > shares, then follower
growth and posting rhythm; tiers L3 5,000-99,999. Version 2 (``SCORE_WEIGHTS_V2``) adds
saves, watch time per view and niche consistency and maps tiers to the traffic pools. A
missing signal (no videos in the window) ranks 0.
"""

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from agency.errors import ApplicationError
from creators.models.performance import TIER_WINDOW, WINDOWS
from creators.models.scoring import ScoringVersion

SCORE_WEIGHTS_V1: dict[str, Decimal] = {
    "completion_rate": Decimal("0.30"),
    "replay_rate": Decimal("0.20"),
    "like_rate": Decimal("0.15"),
    "comment_rate": Decimal("0.10"),
    "share_rate": Decimal("0.08"),
    "follower_growth_rate": Decimal("0.10"),
    "videos_per_week": Decimal("0.04"),
    "regularity": Decimal("0.03"),  # rank of the posting-gap std. dev., lower is better
}
assert sum(SCORE_WEIGHTS_V1.values()) == 1
# Version 2 (the platform's signal order, then saves, watch time and niche consistency):
SCORE_WEIGHTS_V2: dict[str, Decimal] = {
    "completion_rate": Decimal("0.28"),
    "replay_rate": Decimal("0.18"),
    "like_rate": Decimal("0.13"),
    "comment_rate": Decimal("0.09"),
    "share_rate": Decimal("0.07"),
    "save_rate": Decimal("0.07"),
    "watch_seconds_per_view": Decimal("0.08"),
    "niche_consistency": Decimal("0.05"),
    "follower_growth_rate": Decimal("0.03"),
    "videos_per_week": Decimal("0.01"),
    "regularity": Decimal("0.01"),
}
assert sum(SCORE_WEIGHTS_V2.values()) == 1

METRIC_COLUMNS = [
    "views",
    "qualified_views",
    "watch_time_seconds",
    "videos",
    "video_views",
    "median_views",
    "completion_rate",
    "replay_rate",
    "like_rate",
    "comment_rate",
    "share_rate",
    "engagement_rate",
    "followers",
    "follower_growth",
    "follower_growth_rate",
    "videos_per_week",
    "posting_gap_stddev_days",
    "niche_consistency",
    "save_rate",
    "watch_seconds_per_view",
    "score_version",
    "tier",
]


def _tier_case(expr: str) -> str:
    """The tier of ``expr`` under the floors passed as parameters (the scoring version's)."""
    whens = " ".join(f"WHEN {expr} >= %(tier_floor_{t})s THEN {t}" for t in (5, 4, 3, 2))
    return f"CASE {whens} ELSE 1 END"


def _video_aggregate(key: str, gap: str) -> str:
    return f"""
        SELECT {key}, window_days, COUNT(*) AS videos,
               SUM(views) AS video_views, SUM(completed_views) AS completed_views,
               SUM(replays) AS replays, SUM(likes) AS likes, SUM(comments) AS comments,
               SUM(shares) AS shares, SUM(saves) AS saves, SUM(daily_views) AS daily_views,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY views) AS median_views,
               stddev_samp({gap}) AS gap_stddev
        FROM vids GROUP BY {key}, window_days"""


def _niche_aggregate(key: str) -> str:
    return f"""
        SELECT {key}, window_days, MAX(n)::numeric / NULLIF(SUM(n), 0) AS consistency
        FROM (SELECT {key}, window_days, niche, COUNT(*) AS n FROM vids
              WHERE niche <> '' GROUP BY {key}, window_days, niche) t
        GROUP BY {key}, window_days"""


def _metrics_select(d: str, v: str, n: str) -> str:
    """The derived columns (named as in METRIC_COLUMNS, tier aside) from daily sums ``d``,
    video sums ``v`` and niche shares ``n``."""

    def rate(numerator: str) -> str:
        return f"ROUND(({numerator})::numeric / NULLIF({v}.video_views, 0), 6)"

    return f"""
        {d}.views, {d}.qualified_views, {d}.watch_time_seconds,
        COALESCE({v}.videos, 0) AS videos, COALESCE({v}.video_views, 0) AS video_views,
        ROUND({v}.median_views::numeric, 1) AS median_views,
        {rate(f"{v}.completed_views")} AS completion_rate,
        {rate(f"{v}.replays")} AS replay_rate,
        {rate(f"{v}.likes")} AS like_rate,
        {rate(f"{v}.comments")} AS comment_rate,
        {rate(f"{v}.shares")} AS share_rate,
        {rate(f"{v}.likes + {v}.comments + {v}.shares")} AS engagement_rate,
        {d}.followers, {d}.growth AS follower_growth,
        ROUND({d}.growth::numeric / NULLIF({d}.start_followers, 0), 6) AS follower_growth_rate,
        ROUND(COALESCE({v}.videos, 0) * 7.0 / {d}.window_days, 2) AS videos_per_week,
        ROUND({v}.gap_stddev::numeric, 2) AS posting_gap_stddev_days,
        ROUND({n}.consistency, 6) AS niche_consistency,
        ROUND({v}.saves::numeric / NULLIF({v}.daily_views, 0), 6) AS save_rate,
        ROUND({d}.watch_time_seconds::numeric / NULLIF({d}.views, 0), 2)
            AS watch_seconds_per_view,
        %(score_version)s::smallint AS score_version"""


def _upsert(table: str, key: str) -> str:
    columns = ", ".join(METRIC_COLUMNS)
    changed = ", ".join(f"t.{c}" for c in METRIC_COLUMNS)
    excluded = ", ".join(f"EXCLUDED.{c}" for c in METRIC_COLUMNS)
    sets = ", ".join(f"{c} = EXCLUDED.{c}" for c in METRIC_COLUMNS)
    return f"""
        INSERT INTO {table} AS t ({key}, as_of, window_days, {columns}, computed_at{{extra}})
        {{select}}
        ON CONFLICT ({key}, as_of, window_days) DO UPDATE
        SET {sets}, computed_at = EXCLUDED.computed_at
        WHERE ({changed}) IS DISTINCT FROM ({excluded})
        RETURNING 1"""


_BASE_COLUMNS = ", ".join(METRIC_COLUMNS[:-1])
_UPSERT_ACCOUNT = _upsert("creators_accountperformance", "account_id").format(
    extra=", platform",
    select=f"""SELECT account_id, %(as_of)s::date, window_days, {_BASE_COLUMNS},
        {_tier_case("tier_median")}, %(now)s, platform FROM acc""",
)
_UPSERT_CREATOR = _upsert("creators_creatorperformance", "creator_id").format(
    extra="",
    select=f"""SELECT creator_id, %(as_of)s::date, window_days, {_BASE_COLUMNS},
        best_tier, %(now)s FROM cre""",
)

_LONGEST = max(WINDOWS)


def _in_window(days: int) -> str:
    """The daily rows of the ``days``-day window ending on ``as_of`` (within the longest)."""
    return f"m.date > %(as_of)s::date - {days}"


def _daily_windows() -> str:
    """Per account, one read of the longest window's daily rows; each window's sums, first
    followers and followers before it derived with FILTER."""
    columns = []
    for w in WINDOWS:
        columns += [
            f"COALESCE(SUM(m.views) FILTER (WHERE {_in_window(w)}), 0) AS views_{w}",
            f"COALESCE(SUM(m.qualified_views) FILTER (WHERE {_in_window(w)}), 0) AS qv_{w}",
            f"COALESCE(SUM(m.watch_time_seconds) FILTER (WHERE {_in_window(w)}), 0) AS wt_{w}",
            f"(array_agg(m.followers ORDER BY m.date) FILTER (WHERE {_in_window(w)}))[1]"
            f" AS first_{w}",
            f"(array_agg(m.followers ORDER BY m.date DESC) FILTER (WHERE NOT {_in_window(w)}))[1]"
            f" AS before_{w}",
        ]
    rows = ", ".join(
        f"({w}, d.views_{w}, d.qv_{w}, d.wt_{w}, d.first_{w}, d.before_{w})" for w in WINDOWS
    )
    return f"""
    CROSS JOIN LATERAL (
        SELECT {", ".join(columns)}
        FROM creators_dailyaccountmetric m
        WHERE m.account_id = a.account_id
          AND m.date > %(as_of)s::date - {_LONGEST} AND m.date <= %(as_of)s::date
    ) d
    CROSS JOIN LATERAL (VALUES {rows})
        AS w(window_days, views, qualified_views, watch_time_seconds, first_followers,
             before_in_range)"""


CHUNK_SQL = f"""
WITH
a AS (
    SELECT a.id AS account_id, a.creator_id, a.platform
    FROM creators_platformaccount a
    WHERE a.creator_id = ANY(%(ids)s::bigint[])
),
accw AS (
    SELECT a.account_id, a.creator_id, a.platform, w.window_days,
           w.views, w.qualified_views, w.watch_time_seconds,
           COALESCE(f_end.followers, 0) AS followers,
           COALESCE(f_end.followers, 0) - COALESCE(
               w.before_in_range, f_before.followers, w.first_followers, f_end.followers, 0
           ) AS growth,
           COALESCE(w.before_in_range, f_before.followers, w.first_followers) AS start_followers
    FROM a
    {_daily_windows()}
    LEFT JOIN LATERAL (
        SELECT m.followers FROM creators_dailyaccountmetric m
        WHERE m.account_id = a.account_id AND m.date <= %(as_of)s::date
        ORDER BY m.date DESC LIMIT 1
    ) f_end ON true
    LEFT JOIN LATERAL (  -- followers before the longest window (a shorter one's fallback)
        SELECT m.followers FROM creators_dailyaccountmetric m
        WHERE m.account_id = a.account_id AND m.date <= %(as_of)s::date - {_LONGEST}
        ORDER BY m.date DESC LIMIT 1
    ) f_before ON true
),
vids AS (
    SELECT a.account_id, a.creator_id, w.window_days, v.views, v.completed_views,
           v.replays, v.likes, v.comments, v.shares, v.niche, vd.saves, vd.daily_views,
           EXTRACT(EPOCH FROM v.posted_at - LAG(v.posted_at) OVER (
               PARTITION BY a.account_id, w.window_days ORDER BY v.posted_at)) / 86400.0
               AS account_gap,
           EXTRACT(EPOCH FROM v.posted_at - LAG(v.posted_at) OVER (
               PARTITION BY a.creator_id, w.window_days ORDER BY v.posted_at)) / 86400.0
               AS creator_gap
    FROM a
    -- The longest window's videos once per account (an index range scan on (account,
    -- posted_at); OFFSET 0 keeps the planner from a hash join over the whole video table),
    -- then each window takes the videos posted since its start.
    CROSS JOIN LATERAL (
        SELECT * FROM creators_video v
        WHERE v.account_id = a.account_id
          AND v.posted_at >= ((%(as_of)s::date - {_LONGEST - 1})::timestamp AT TIME ZONE 'UTC')
          AND v.posted_at < ((%(as_of)s::date + 1)::timestamp AT TIME ZONE 'UTC')
        OFFSET 0
    ) v
    -- Saves exist only in a video's daily rows: their rate is over those rows' views.
    LEFT JOIN LATERAL (
        SELECT SUM(m.saves) AS saves, SUM(m.views) AS daily_views
        FROM creators_videodailymetric m
        WHERE m.video_id = v.id AND m.date <= %(as_of)s::date
    ) vd ON true
    JOIN unnest(%(windows)s::int[]) AS w(window_days)
        ON v.posted_at >= ((%(as_of)s::date - w.window_days + 1)::timestamp AT TIME ZONE 'UTC')
),
va AS ({_video_aggregate("account_id", "account_gap")}),
vc AS ({_video_aggregate("creator_id", "creator_gap")}),
na AS ({_niche_aggregate("account_id")}),
nc AS ({_niche_aggregate("creator_id")}),
acc AS (
    SELECT accw.account_id, accw.creator_id, accw.platform, accw.window_days,
           {_metrics_select("accw", "va", "na")},
           MAX(va.median_views) FILTER (WHERE accw.window_days = {TIER_WINDOW})
               OVER (PARTITION BY accw.account_id) AS tier_median
    FROM accw
    LEFT JOIN va ON va.account_id = accw.account_id AND va.window_days = accw.window_days
    LEFT JOIN na ON na.account_id = accw.account_id AND na.window_days = accw.window_days
),
cw AS (
    SELECT accw.creator_id, accw.window_days, SUM(accw.views) AS views,
           SUM(accw.qualified_views) AS qualified_views,
           SUM(accw.watch_time_seconds) AS watch_time_seconds,
           SUM(accw.followers) AS followers, SUM(accw.growth) AS growth,
           SUM(accw.start_followers) AS start_followers
    FROM accw GROUP BY accw.creator_id, accw.window_days
),
best AS (
    SELECT creator_id, MAX({_tier_case("tier_median")}) AS best_tier
    FROM acc GROUP BY creator_id
),
cre AS (
    SELECT cw.creator_id, cw.window_days, {_metrics_select("cw", "vc", "nc")},
           best.best_tier
    FROM cw
    JOIN best ON best.creator_id = cw.creator_id
    LEFT JOIN vc ON vc.creator_id = cw.creator_id AND vc.window_days = cw.window_days
    LEFT JOIN nc ON nc.creator_id = cw.creator_id AND nc.window_days = cw.window_days
),
ins_acc AS ({_UPSERT_ACCOUNT}),
ins_cre AS ({_UPSERT_CREATOR})
SELECT (SELECT COUNT(*) FROM ins_acc), (SELECT COUNT(*) FROM ins_cre)
"""


def _rank(column: str, weight: Decimal) -> str:
    if column == "regularity":  # a lower posting-gap std. dev. ranks higher
        return (
            f"{weight} * COALESCE(CASE WHEN p.posting_gap_stddev_days IS NOT NULL THEN "
            f"cume_dist() OVER (PARTITION BY p.platform, p.window_days "
            f"ORDER BY p.posting_gap_stddev_days DESC NULLS FIRST) END, 0)"
        )
    return (
        f"{weight} * COALESCE(CASE WHEN p.{column} IS NOT NULL AND p.videos > 0 "
        f"THEN cume_dist() OVER ("
        f"PARTITION BY p.platform, p.window_days ORDER BY p.{column} NULLS FIRST) END, 0)"
    )


def score_accounts_sql(weights: dict[str, Decimal]) -> str:
    """The ranking statement for these weights. Names come from ``SCORABLE`` only and weights
    are Decimals (``ScoringVersion.parsed_weights``), so nothing else reaches the SQL."""
    return f"""
WITH ranked AS (
    SELECT p.id, ROUND(100 * ({" + ".join(_rank(c, Decimal(w)) for c, w in weights.items())}
    )::numeric, 2) AS score
    FROM creators_accountperformance p
    WHERE p.as_of = %(as_of)s::date
)
UPDATE creators_accountperformance p SET score = ranked.score
FROM ranked WHERE p.id = ranked.id AND p.score IS DISTINCT FROM ranked.score
"""


SCORE_CREATORS_SQL = """
WITH best AS (
    SELECT a.creator_id, p.window_days, MAX(p.score) AS score
    FROM creators_accountperformance p
    JOIN creators_platformaccount a ON a.id = p.account_id
    WHERE p.as_of = %(as_of)s::date
    GROUP BY a.creator_id, p.window_days
)
UPDATE creators_creatorperformance c SET score = best.score
FROM best
WHERE c.as_of = %(as_of)s::date AND c.creator_id = best.creator_id
  AND c.window_days = best.window_days AND c.score IS DISTINCT FROM best.score
"""


def scoring_version_for(as_of: dt.date) -> ScoringVersion:
    """The scoring version in force on ``as_of`` (a 400-class error when none is)."""
    in_force = ScoringVersion.objects.filter(
        Q(effective_to__isnull=True) | Q(effective_to__gt=as_of), effective_from__lte=as_of
    ).first()
    if in_force is None:
        raise ApplicationError(f"No scoring version is in force on {as_of}.", code="no_scoring")
    return in_force


@transaction.atomic
def performance_compute_chunk(*, as_of: dt.date, creator_ids: Sequence[int]) -> int:
    """Upsert the snapshots of these creators and their accounts. Returns rows changed."""
    scoring = scoring_version_for(as_of)
    floors = dict(zip((2, 3, 4, 5), scoring.parsed_floors(), strict=True))
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")  # compiling this statement costs more than it saves
        cursor.execute(
            CHUNK_SQL,
            {
                "as_of": as_of,
                "ids": list(creator_ids),
                "windows": list(WINDOWS),
                "now": timezone.now(),
                "score_version": scoring.version,
                **{f"tier_floor_{tier}": floor for tier, floor in floors.items()},
            },
        )
        accounts, creators = cursor.fetchone()
    return accounts + creators


@transaction.atomic
def performance_score(*, as_of: dt.date) -> int:
    """Rank every account of ``as_of`` in its platform cohort; creators take their best.

    Deterministic for the same snapshots, and rows whose score is unchanged are not
    written. Returns rows changed.
    """
    weights = scoring_version_for(as_of).parsed_weights()
    with connection.cursor() as cursor:
        cursor.execute(score_accounts_sql(weights), {"as_of": as_of})
        changed = cursor.rowcount
        cursor.execute(SCORE_CREATORS_SQL, {"as_of": as_of})
        changed += cursor.rowcount
    return changed
