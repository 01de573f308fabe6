"""Monetisation eligibility: every program's rule set in force, for a chunk of creators.

One statement per chunk: the facts (latest followers, daily sums, videos and For You views
per account and window), the evaluated account, every rule of every rule set in force and
the estimate are computed in SQL and upserted with ``INSERT ... SELECT ... ON CONFLICT``;
a result whose content is unchanged is not rewritten (``IS DISTINCT FROM``), so a re-run
changes nothing.

Each kind of rule is a small named ``Rule`` (``RULES``, in the order failures are listed):
when the rule set asks for it, when it fails, and its failure as
``{"rule", "required", "actual", "distance", "message"}``, built with
``jsonb_build_object``; the message is rendered from the required and actual values.

An account whose latest day (on or before ``as_of``) carries a community-guidelines strike
or the throttling flag fails ``good_standing`` in every program: it is marked, and the
failure says which flags and since when.

Evaluated account: the creator's account on the program's platform with most followers,
then lowest id (any platform when the program names none). Windows end on ``as_of``
inclusive.
"""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from creators.models import EligibilityRuleSet, Platform, PlatformAccount


def age_on(date_of_birth: dt.date, on: dt.date) -> int:
    """Whole years between birth and ``on``; the age goes up on the birthday itself.

    A 29 February birthday is reached on 1 March in years without one.
    """
    before_birthday = (on.month, on.day) < (date_of_birth.month, date_of_birth.day)
    return on.year - date_of_birth.year - before_birthday


def birthday(date_of_birth: dt.date, years: int) -> dt.date:
    try:
        return date_of_birth.replace(year=date_of_birth.year + years)
    except ValueError:  # 29 February in a year without one
        return dt.date(date_of_birth.year + years, 3, 1)


def rule_sets_in_force(*, as_of: dt.date) -> list[EligibilityRuleSet]:
    return list(
        EligibilityRuleSet.objects.filter(
            Q(effective_to__isnull=True) | Q(effective_to__gt=as_of), effective_from__lte=as_of
        )
        .select_related("program")
        .order_by("program__code")
    )


# --- the rules ------------------------------------------------------------------------------
# Columns of the evaluated row ``e`` (see EVALUATE_SQL): the rule set's own columns, the
# creator's (dob, country, age, turns), the account's (account_id, account_type, followers)
# and the facts in the rule set's windows (views, qualified_views, videos, longest,
# not_original, for_you in the views window ``w``; watch in ``hw``; alt_views in ``alt_w``).


def _n(expr: str) -> str:
    """An integer with thousands separators (Python's ``f"{n:,}"``)."""
    return f"to_char({expr}, 'FM999,999,999,999,999,999,990')"


def _count(expr: str, noun: str) -> str:
    """``2,300 more followers``, ``1 more follower``."""
    return f"{_n(expr)} || ' {noun}' || CASE WHEN {expr} = 1 THEN '' ELSE 's' END"


def _tenths(expr: str, *, separators: bool) -> str:
    """Tenths as a one-decimal number: 123 -> "12.3" (or "1,234.5" with separators)."""
    whole = _n(f"({expr}) / 10") if separators else f"(({expr}) / 10)::text"
    return f"{whole} || '.' || mod({expr}, 10)::text"


@dataclass(frozen=True)
class Rule:
    """One kind of rule, as SQL over the evaluated row ``e``."""

    name: str  # the rule's name in failures (an SQL expression when it varies)
    checked: str  # the rule set asks for it and what it needs is known
    fails: str
    required: str
    actual: str
    distance: str
    message: str

    def failure_sql(self) -> str:
        return (
            f"CASE WHEN ({self.checked}) AND ({self.fails}) THEN jsonb_build_object("
            f"'rule', {self.name}, 'required', {self.required}, 'actual', {self.actual}, "
            f"'distance', {self.distance}, 'message', {self.message}) END"
        )


_HAS_ACCOUNT = "e.account_id IS NOT NULL"
_PLATFORM_LABEL = " ".join(f"WHEN '{value}' THEN '{label}'" for value, label in Platform.choices)
_MIN_FOLLOWERS = (
    "CASE WHEN e.min_followers_business IS NOT NULL AND e.account_type = "
    f"'{PlatformAccount.AccountType.BUSINESS.value}' "
    "THEN e.min_followers_business ELSE e.min_followers END"
)
_HOURS = "((e.watch * 10) / 3600)"  # watch hours in tenths, rounded down
_GAP_HOURS = f"(e.min_watch_hours * 10 - {_HOURS})"
_DAYS_TO_AGE = "(e.turns - e.as_of)"

AGE_UNKNOWN = Rule(
    name="'age'",
    checked="e.min_age IS NOT NULL",
    fails="e.dob IS NULL",
    required="e.min_age",
    actual="NULL",
    distance="NULL",
    message="'date of birth unknown; needed for age'",
)
AGE = Rule(
    name="'age'",
    checked="e.min_age IS NOT NULL AND e.dob IS NOT NULL",
    fails="e.age < e.min_age",
    required="e.min_age",
    actual="e.age",
    distance=_DAYS_TO_AGE,
    message=(
        "'needs to be ' || e.min_age || ': turns ' || e.min_age || ' on '"
        f" || to_char(e.turns, 'YYYY-MM-DD') || ' (in ' || {_count(_DAYS_TO_AGE, 'day')} || ')'"
    ),
)
COUNTRY = Rule(
    name="'country'",
    checked="coalesce(cardinality(e.countries), 0) > 0",
    fails="NOT (e.country = ANY(e.countries))",
    required="to_jsonb(e.sorted_countries)",
    actual="e.country",
    distance="NULL",
    message=(
        "'not offered in ' || e.country || ' (only '"
        " || array_to_string(e.sorted_countries, ', ') || ')'"
    ),
)
ACCOUNT = Rule(
    name="'account'",
    checked="true",
    fails="e.account_id IS NULL",
    required="coalesce(nullif(e.program_platform, ''), 'any')",
    actual="NULL",
    distance="NULL",
    message=(
        f"'needs a ' || CASE e.program_platform {_PLATFORM_LABEL} ELSE 'platform' END || ' account'"
    ),
)
FOLLOWERS = Rule(
    name=(
        "CASE WHEN e.min_followers_business IS NOT NULL AND e.account_type = "
        f"'{PlatformAccount.AccountType.BUSINESS.value}' "
        "THEN 'followers_business_account' ELSE 'followers' END"
    ),
    checked=f"{_HAS_ACCOUNT} AND {_MIN_FOLLOWERS} IS NOT NULL",
    fails=f"e.followers < {_MIN_FOLLOWERS}",
    required=_MIN_FOLLOWERS,
    actual="e.followers",
    distance=f"{_MIN_FOLLOWERS} - e.followers",
    message=f"'needs ' || {_count(f'({_MIN_FOLLOWERS} - e.followers)', 'more follower')}",
)


def _in_window(name: str, minimum: str, actual: str, noun: str) -> Rule:
    gap = f"({minimum} - {actual})"
    return Rule(
        name=f"'{name}'",
        checked=f"{_HAS_ACCOUNT} AND {minimum} IS NOT NULL",
        fails=f"{actual} < {minimum}",
        required=minimum,
        actual=actual,
        distance=gap,
        message=f"'needs ' || {_count(gap, 'more ' + noun)} || ' in ' || e.w || ' days'",
    )


VIEWS = _in_window("views", "e.min_views", "e.views", "view")
QUALIFIED_VIEWS = _in_window(
    "qualified_views", "e.min_qualified_views", "e.qualified_views", "qualified view"
)
WATCH_HOURS = Rule(
    name="'watch_hours'",
    checked=f"{_HAS_ACCOUNT} AND e.min_watch_hours IS NOT NULL",
    fails=(
        f"{_HOURS} < e.min_watch_hours * 10"
        " AND NOT coalesce(e.alt_min_views IS NOT NULL AND e.alt_views >= e.alt_min_views, false)"
    ),
    required=(
        "CASE WHEN e.alt_min_views IS NULL THEN to_jsonb(e.min_watch_hours) ELSE"
        " jsonb_build_object('watch_hours', e.min_watch_hours,"
        " 'views_' || e.alt_w || 'd', e.alt_min_views) END"
    ),
    actual=_tenths(_HOURS, separators=False),
    distance=_tenths(_GAP_HOURS, separators=False),
    message=(
        f"'needs ' || {_tenths(_GAP_HOURS, separators=True)} || ' more watch hours in '"
        " || e.hw || ' days' || CASE WHEN e.alt_min_views IS NULL THEN '' ELSE"
        f" ', or ' || {_n('e.alt_min_views - e.alt_views')} || ' more views in '"
        " || e.alt_w || ' days' END"
    ),
)
VIDEO_LENGTH = Rule(
    name="'video_length'",
    checked=f"{_HAS_ACCOUNT} AND e.video_longer_than_seconds IS NOT NULL",
    fails="e.longest <= e.video_longer_than_seconds",
    required="'> ' || e.video_longer_than_seconds || ' s'",
    actual="e.longest",
    distance="e.video_longer_than_seconds + 1 - e.longest",
    message=(
        "'needs a video longer than ' || e.video_longer_than_seconds || ' s in ' || e.w"
        " || ' days (longest: ' || e.longest || ' s)'"
    ),
)
ORIGINAL_CONTENT = Rule(
    name="'original_content'",
    checked=f"{_HAS_ACCOUNT} AND e.original_content_required",
    fails="e.videos = 0 OR e.not_original > 0",
    required="'all original'",
    actual="e.videos - e.not_original",
    distance="e.not_original",
    message=(
        "CASE WHEN e.videos = 0 THEN 'no videos in ' || e.w || ' days' ELSE e.not_original"
        " || ' of ' || e.videos || ' videos in ' || e.w || ' days are not original' END"
    ),
)

_STRIKES = (
    "e.guideline_strikes || ' community-guidelines strike'"
    " || CASE WHEN e.guideline_strikes > 1 THEN 's' ELSE '' END"
)
GOOD_STANDING = Rule(
    name="'good_standing'",
    checked=_HAS_ACCOUNT,
    fails="e.guideline_strikes > 0 OR e.throttled",
    required="jsonb_build_object('guideline_strikes', 0, 'throttled', false)",
    actual="jsonb_build_object('guideline_strikes', e.guideline_strikes, 'throttled', e.throttled)",
    distance="e.guideline_strikes",
    message=(
        "concat_ws(' and ', CASE WHEN e.guideline_strikes > 0 THEN "
        f"{_STRIKES} END, CASE WHEN e.throttled THEN 'throttled' END)"
        " || ' on ' || to_char(e.latest_date, 'YYYY-MM-DD')"
        " || ': the platform limits this account''s distribution; programs need an account"
        " in good standing'"
    ),
)

# In the order failures are listed. Without an account only the first three can fail.
RULES = [
    AGE_UNKNOWN,
    AGE,
    COUNTRY,
    ACCOUNT,
    FOLLOWERS,
    VIEWS,
    QUALIFIED_VIEWS,
    WATCH_HOURS,
    VIDEO_LENGTH,
    ORIGINAL_CONTENT,
    GOOD_STANDING,
]


# --- the statement --------------------------------------------------------------------------

# The facts per account and window. Each account's rows are read once, over the longest
# window (an index range scan per account; OFFSET 0 keeps the planner from a join over the
# whole table), and each window takes the rows since its start: no read per window.
FACTS_SQL = """
fd AS (  -- daily sums
    SELECT a.id AS account_id, w.days, SUM(m.views)::bigint AS views,
           SUM(m.qualified_views)::bigint AS qualified_views,
           SUM(m.watch_time_seconds)::bigint AS watch
    FROM creators_platformaccount a
    CROSS JOIN LATERAL (
        SELECT m.date, m.views, m.qualified_views, m.watch_time_seconds
        FROM creators_dailyaccountmetric m
        WHERE m.account_id = a.id
          AND m.date > %(as_of)s::date - (SELECT MAX(days) FROM windows)
          AND m.date <= %(as_of)s::date
        OFFSET 0
    ) m
    JOIN windows w ON m.date > %(as_of)s::date - w.days
    WHERE a.creator_id = ANY(%(ids)s::bigint[])
    GROUP BY a.id, w.days
), fv AS (  -- videos posted in the window
    SELECT a.id AS account_id, w.days, COUNT(*) AS videos, MAX(v.duration_seconds) AS longest,
           COUNT(*) FILTER (WHERE NOT v.is_original) AS not_original
    FROM creators_platformaccount a
    CROSS JOIN LATERAL (
        SELECT v.posted_at, v.duration_seconds, v.is_original
        FROM creators_video v
        WHERE v.account_id = a.id
          AND v.posted_at >= ((%(as_of)s::date - (SELECT MAX(days) FROM windows) + 1)::timestamp
                              AT TIME ZONE 'UTC')
          AND v.posted_at < ((%(as_of)s::date + 1)::timestamp AT TIME ZONE 'UTC')
        OFFSET 0
    ) v
    JOIN windows w
      ON v.posted_at >= ((%(as_of)s::date - w.days + 1)::timestamp AT TIME ZONE 'UTC')
    WHERE a.creator_id = ANY(%(ids)s::bigint[])
    GROUP BY a.id, w.days
), ffy AS (  -- For You views: the daily video rows of the account's videos, summed per day
    SELECT fy.account_id, w.days, SUM(fy.views)::bigint AS views
    FROM (
        SELECT a.id AS account_id, m.date, SUM(m.for_you_views) AS views
        FROM creators_platformaccount a
        JOIN creators_video v ON v.account_id = a.id
        CROSS JOIN LATERAL (
            SELECT m.date, m.for_you_views
            FROM creators_videodailymetric m
            WHERE m.video_id = v.id
              AND m.date > %(as_of)s::date - (SELECT MAX(days) FROM windows)
              AND m.date <= %(as_of)s::date
            OFFSET 0
        ) m
        WHERE a.creator_id = ANY(%(ids)s::bigint[])
        GROUP BY a.id, m.date
    ) fy
    JOIN windows w ON fy.date > %(as_of)s::date - w.days
    GROUP BY fy.account_id, w.days
), facts AS (
SELECT a.id AS account_id, w.days, COALESCE(latest.followers, 0) AS followers,
       COALESCE(latest.guideline_strikes, 0) AS guideline_strikes,
       COALESCE(latest.throttled, false) AS throttled, latest.date AS latest_date,
       COALESCE(d.views, 0) AS views, COALESCE(d.qualified_views, 0) AS qualified_views,
       COALESCE(d.watch, 0) AS watch,
       COALESCE(v.videos, 0) AS videos, COALESCE(v.longest, 0) AS longest,
       COALESCE(v.not_original, 0) AS not_original, COALESCE(fy.views, 0) AS for_you
FROM creators_platformaccount a
LEFT JOIN LATERAL (  -- the account's latest day: followers and the flags in force
    SELECT m.followers, m.guideline_strikes, m.throttled, m.date
    FROM creators_dailyaccountmetric m
    WHERE m.account_id = a.id AND m.date <= %(as_of)s::date
    ORDER BY m.date DESC LIMIT 1
) latest ON true
CROSS JOIN windows AS w
LEFT JOIN fd d ON d.account_id = a.id AND d.days = w.days
LEFT JOIN fv v ON v.account_id = a.id AND v.days = w.days
LEFT JOIN ffy fy ON fy.account_id = a.id AND fy.days = w.days
WHERE a.creator_id = ANY(%(ids)s::bigint[])
"""

_RESULT_FIELDS = [
    "rule_set_id",
    "account_id",
    "eligible",
    "failures",
    "estimate_min_minor",
    "estimate_max_minor",
    "estimate_currency",
    "estimate_basis",
    "estimate_basis_views",
    "estimate_rate_min_minor",
    "estimate_rate_max_minor",
    "estimate_rate_per_views",
    "estimate_rate_country",
]


def _half_even(numerator: str, denominator: str) -> str:
    """Integer division rounded half to even (``round_minor`` of the exact fraction)."""
    n, d = f"({numerator})::numeric", f"({denominator})::numeric"
    return (
        f"(div({n}, {d}) + CASE WHEN 2 * mod({n}, {d}) > {d}"
        f" OR (2 * mod({n}, {d}) = {d} AND mod(div({n}, {d}), 2) = 1) THEN 1 ELSE 0 END)::bigint"
    )


def _evaluate_sql() -> str:
    # Long on purpose: it builds one INSERT ... SELECT that evaluates every rule of a chunk
    # in a single statement; its parts read in the order the SQL runs them.
    failures = ",\n                ".join(rule.failure_sql() for rule in RULES)
    per_month = "j.basis_views::numeric * 30"
    per_window = "j.w * j.rate_per_views"
    stored = ", ".join(f"r.{f}" for f in _RESULT_FIELDS)
    excluded = ", ".join(f"EXCLUDED.{f}" for f in _RESULT_FIELDS)
    updates = ", ".join(f"{f} = EXCLUDED.{f}" for f in [*_RESULT_FIELDS, "computed_at"])
    return f"""
WITH rs AS (
    SELECT r.*, p.platform AS program_platform,
        ARRAY(SELECT x FROM unnest(r.countries) x ORDER BY x COLLATE "C") AS sorted_countries
    FROM creators_eligibilityruleset r
    JOIN creators_eligibilityprogram p ON p.id = r.program_id
    WHERE r.effective_from <= %(as_of)s::date
      AND (r.effective_to IS NULL OR r.effective_to > %(as_of)s::date)
), windows AS (
    SELECT DISTINCT days FROM rs, unnest(ARRAY[
        rs.views_window_days, rs.watch_hours_window_days, nullif(rs.alt_views_window_days, 0)
    ]) AS days WHERE days IS NOT NULL
), {FACTS_SQL}), accounts AS (
    SELECT DISTINCT ON (a.id) a.id, a.creator_id, a.platform, a.account_type, f.followers,
        f.guideline_strikes, f.throttled, f.latest_date
    FROM creators_platformaccount a JOIN facts f ON f.account_id = a.id
    ORDER BY a.id
), best AS (
    (SELECT DISTINCT ON (creator_id, platform) creator_id, platform, id FROM accounts
     ORDER BY creator_id, platform, followers DESC, id)
    UNION ALL
    (SELECT DISTINCT ON (creator_id) creator_id, '' AS platform, id FROM accounts
     ORDER BY creator_id, followers DESC, id)
), e AS (
    SELECT rs.*, rs.id AS rule_set, rs.views_window_days AS w,
        rs.watch_hours_window_days AS hw, rs.alt_views_window_days AS alt_w,
        c.id AS creator_id, c.date_of_birth AS dob, c.country, %(as_of)s::date AS as_of,
        %(year)s - extract(year FROM c.date_of_birth)::int
            - (to_char(c.date_of_birth, 'MMDD') COLLATE "C" > %(mmdd)s)::int AS age,
        CASE WHEN to_char(c.date_of_birth, 'MMDD') = '0229' AND NOT (
                (extract(year FROM c.date_of_birth)::int + rs.min_age) %% 4 = 0
                AND ((extract(year FROM c.date_of_birth)::int + rs.min_age) %% 100 <> 0
                     OR (extract(year FROM c.date_of_birth)::int + rs.min_age) %% 400 = 0))
            THEN make_date(extract(year FROM c.date_of_birth)::int + rs.min_age, 3, 1)
            ELSE make_date(extract(year FROM c.date_of_birth)::int + rs.min_age,
                           extract(month FROM c.date_of_birth)::int,
                           extract(day FROM c.date_of_birth)::int)
        END AS turns,
        b.id AS account_id, a.account_type, a.followers,
        a.guideline_strikes, a.throttled, a.latest_date,
        fw.views, fw.qualified_views, fw.videos, fw.longest, fw.not_original, fw.for_you,
        fh.watch, coalesce(fa.views, 0) AS alt_views
    FROM creators_creator c
    CROSS JOIN rs
    LEFT JOIN best b ON b.creator_id = c.id AND b.platform = rs.program_platform
    LEFT JOIN accounts a ON a.id = b.id
    LEFT JOIN facts fw ON fw.account_id = b.id AND fw.days = rs.views_window_days
    LEFT JOIN facts fh ON fh.account_id = b.id AND fh.days = rs.watch_hours_window_days
    LEFT JOIN facts fa ON fa.account_id = b.id AND fa.days = rs.alt_views_window_days
    WHERE c.id = ANY(%(ids)s::bigint[])
), judged AS (
    SELECT e.*,
        array_remove(ARRAY[
                {failures}
        ]::jsonb[], NULL) AS failed,
        CASE e.rate_basis WHEN 'views' THEN e.views WHEN 'qualified_views' THEN e.qualified_views
            WHEN 'for_you_views' THEN e.for_you END AS basis_views,
        CASE WHEN e.country_rates ? e.country THEN e.country ELSE '' END AS rate_country
    FROM e
), estimated AS (
    SELECT j.*,
        cardinality(j.failed) = 0 AND j.rate_basis <> 'none' AS estimated,
        CASE WHEN j.rate_country <> '' THEN (j.country_rates -> j.rate_country ->> 0)::bigint
            ELSE j.rate_min_minor END AS rate_min,
        CASE WHEN j.rate_country <> '' THEN (j.country_rates -> j.rate_country ->> 1)::bigint
            ELSE j.rate_max_minor END AS rate_max
    FROM judged j
)
INSERT INTO creators_eligibilityresult AS r (
    creator_id, program_id, as_of, {", ".join(_RESULT_FIELDS)}, computed_at
)
SELECT j.creator_id, j.program_id, j.as_of, j.rule_set, j.account_id,
    cardinality(j.failed) = 0, to_jsonb(j.failed),
    CASE WHEN j.estimated THEN {_half_even(f"{per_month} * j.rate_min", per_window)} END,
    CASE WHEN j.estimated THEN {_half_even(f"{per_month} * j.rate_max", per_window)} END,
    CASE WHEN j.estimated THEN j.rate_currency ELSE '' END,
    CASE WHEN j.estimated THEN j.rate_basis ELSE '' END,
    CASE WHEN j.estimated THEN j.basis_views END,
    CASE WHEN j.estimated THEN j.rate_min END,
    CASE WHEN j.estimated THEN j.rate_max END,
    CASE WHEN j.estimated THEN j.rate_per_views END,
    CASE WHEN j.estimated THEN j.rate_country ELSE '' END,
    %(now)s
FROM estimated j
ON CONFLICT (creator_id, program_id, as_of) DO UPDATE SET {updates}
WHERE ({stored}) IS DISTINCT FROM ({excluded})
"""


EVALUATE_SQL = _evaluate_sql()


@transaction.atomic
def eligibility_evaluate_chunk(*, as_of: dt.date, creator_ids: Sequence[int]) -> int:
    """Evaluate every program in force on ``as_of`` for these creators. Returns rows changed."""
    if not creator_ids:
        return 0
    params = {
        "as_of": as_of,
        "ids": list(creator_ids),
        "year": as_of.year,
        "mmdd": as_of.strftime("%m%d"),
        "now": timezone.now(),
    }
    with connection.cursor() as cursor:
        # The statement is cheap to run but large (every rule's expressions): compiling it
        # with JIT cost about a minute per chunk, a hundred times the run itself.
        cursor.execute("SET LOCAL jit = off")
        cursor.execute(EVALUATE_SQL, params)
        return cursor.rowcount
