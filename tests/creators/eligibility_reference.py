"""The Python rule evaluator eligibility used before its rules moved to SQL: kept as the
reference the SQL evaluation is compared with (tests/creators/test_eligibility_sql.py).

Monetisation eligibility: every program's rule set in force, for a chunk of creators.

Facts are read set-based (two queries per chunk: daily sums per window and videos per
window, plus the rule sets, creators and accounts), rules are evaluated in Python so each
failure can be explained, and results are upserted per (creator, program, as_of). Results
whose content is unchanged are not rewritten, so a re-run changes nothing.

Evaluated account: the creator's account on the program's platform with most followers
(any platform when the program names none). Windows end on ``as_of`` inclusive.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal
from fractions import Fraction
from typing import Any

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from agency.money import round_minor
from creators.models import (
    Creator,
    EligibilityResult,
    EligibilityRuleSet,
    Platform,
    PlatformAccount,
)


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


@dataclass
class AccountFacts:
    followers: int = 0
    views: dict[int, int] = field(default_factory=dict)  # window days -> sum
    qualified_views: dict[int, int] = field(default_factory=dict)
    watch_seconds: dict[int, int] = field(default_factory=dict)
    videos: dict[int, int] = field(default_factory=dict)
    longest_video: dict[int, int] = field(default_factory=dict)
    not_original: dict[int, int] = field(default_factory=dict)
    for_you_views: dict[int, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Estimate:
    """A monthly range in minor units of ``currency`` and what it was computed from."""

    low: int
    high: int
    currency: str
    basis: str
    basis_views: int
    window_days: int
    rate_min_minor: int
    rate_max_minor: int
    rate_per_views: int
    rate_country: str  # "" when the default rate applied


def rule_sets_in_force(*, as_of: dt.date) -> list[EligibilityRuleSet]:
    return list(
        EligibilityRuleSet.objects.filter(
            Q(effective_to__isnull=True) | Q(effective_to__gt=as_of), effective_from__lte=as_of
        )
        .select_related("program")
        .order_by("program__code")
    )


def _windows(rule_sets: Sequence[EligibilityRuleSet]) -> list[int]:
    windows = set()
    for rs in rule_sets:
        windows |= {rs.views_window_days, rs.watch_hours_window_days}
        if rs.alt_views_window_days:
            windows.add(rs.alt_views_window_days)
    return sorted(windows)


FACTS_SQL = """
SELECT a.id, w.days,
       COALESCE((SELECT m.followers FROM creators_dailyaccountmetric m
                 WHERE m.account_id = a.id AND m.date <= %(as_of)s::date
                 ORDER BY m.date DESC LIMIT 1), 0),
       COALESCE(d.views, 0), COALESCE(d.qualified_views, 0), COALESCE(d.watch, 0),
       COALESCE(v.videos, 0), COALESCE(v.longest, 0), COALESCE(v.not_original, 0),
       COALESCE(fy.views, 0)
FROM creators_platformaccount a
CROSS JOIN unnest(%(windows)s::int[]) AS w(days)
LEFT JOIN LATERAL (
    SELECT SUM(m.views)::bigint AS views, SUM(m.qualified_views)::bigint AS qualified_views,
           SUM(m.watch_time_seconds)::bigint AS watch
    FROM creators_dailyaccountmetric m
    WHERE m.account_id = a.id AND m.date BETWEEN %(as_of)s::date - w.days + 1 AND %(as_of)s::date
) d ON true
LEFT JOIN LATERAL (
    SELECT COUNT(*) AS videos, MAX(duration_seconds) AS longest,
           COUNT(*) FILTER (WHERE NOT is_original) AS not_original
    FROM creators_video v
    WHERE v.account_id = a.id
      AND v.posted_at >= ((%(as_of)s::date - w.days + 1)::timestamp AT TIME ZONE 'UTC')
      AND v.posted_at < ((%(as_of)s::date + 1)::timestamp AT TIME ZONE 'UTC')
) v ON true
LEFT JOIN LATERAL (  -- For You views: the daily video rows of the account's videos
    SELECT SUM(m.for_you_views)::bigint AS views
    FROM creators_video v JOIN creators_videodailymetric m ON m.video_id = v.id
    WHERE v.account_id = a.id
      AND m.date BETWEEN %(as_of)s::date - w.days + 1 AND %(as_of)s::date
) fy ON true
WHERE a.creator_id = ANY(%(ids)s::bigint[])
"""


def _account_facts(
    *, as_of: dt.date, creator_ids: Sequence[int], windows: list[int]
) -> dict[int, AccountFacts]:
    facts: dict[int, AccountFacts] = defaultdict(AccountFacts)
    with connection.cursor() as cursor:
        cursor.execute(FACTS_SQL, {"as_of": as_of, "ids": list(creator_ids), "windows": windows})
        for row in cursor:
            account_id, days, followers, views, qv, watch, videos, longest, not_orig, fy = row
            f = facts[account_id]
            f.for_you_views[days] = fy
            f.followers = followers
            f.views[days], f.qualified_views[days], f.watch_seconds[days] = views, qv, watch
            f.videos[days], f.longest_video[days], f.not_original[days] = videos, longest, not_orig
    return facts


def _failure(rule: str, required: Any, actual: Any, distance: Any, message: str) -> dict:
    return {
        "rule": rule,
        "required": required,
        "actual": actual,
        "distance": distance,
        "message": message,
    }


def _n(value: int | Decimal) -> str:
    return f"{value:,}"


def _count(value: int, noun: str) -> str:
    """``2,300 more followers``, ``1 more follower``."""
    return f"{value:,} {noun}{'' if value == 1 else 's'}"


def evaluate(
    *,
    rule_set: EligibilityRuleSet,
    creator: Creator,
    account: PlatformAccount | None,
    facts: AccountFacts | None,
    as_of: dt.date,
) -> tuple[list[dict], tuple[int, int, str] | None]:
    """Every failing rule (empty when eligible) and, when eligible, the monthly estimate."""
    failures: list[dict] = []
    rs = rule_set
    if rs.min_age is not None:
        if creator.date_of_birth is None:
            failures.append(
                _failure("age", rs.min_age, None, None, "date of birth unknown; needed for age")
            )
        else:
            age = age_on(creator.date_of_birth, as_of)
            if age < rs.min_age:
                turns = birthday(creator.date_of_birth, rs.min_age)
                days = (turns - as_of).days
                failures.append(
                    _failure(
                        "age",
                        rs.min_age,
                        age,
                        days,
                        f"needs to be {rs.min_age}: turns {rs.min_age} on {turns}"
                        f" (in {_count(days, 'day')})",
                    )
                )
    if rs.countries and creator.country not in rs.countries:
        failures.append(
            _failure(
                "country",
                sorted(rs.countries),
                creator.country,
                None,
                f"not offered in {creator.country} (only {', '.join(sorted(rs.countries))})",
            )
        )
    if account is None or facts is None:
        platform = Platform(rs.program.platform).label if rs.program.platform else "platform"
        failures.append(
            _failure(
                "account", rs.program.platform or "any", None, None, f"needs a {platform} account"
            )
        )
        return failures, None

    min_followers = rs.min_followers
    rule = "followers"
    if (
        rs.min_followers_business is not None
        and account.account_type == PlatformAccount.AccountType.BUSINESS
    ):
        min_followers, rule = rs.min_followers_business, "followers_business_account"
    if min_followers is not None and facts.followers < min_followers:
        gap = min_followers - facts.followers
        failures.append(
            _failure(
                rule, min_followers, facts.followers, gap, f"needs {_count(gap, 'more follower')}"
            )
        )

    w = rs.views_window_days
    for rule, minimum, actual, noun in (
        ("views", rs.min_views, facts.views.get(w, 0), "view"),
        (
            "qualified_views",
            rs.min_qualified_views,
            facts.qualified_views.get(w, 0),
            "qualified view",
        ),
    ):
        if minimum is not None and actual < minimum:
            gap = minimum - actual
            failures.append(
                _failure(
                    rule, minimum, actual, gap, f"needs {_count(gap, 'more ' + noun)} in {w} days"
                )
            )

    if rs.min_watch_hours is not None:
        hw = rs.watch_hours_window_days
        hours = (Decimal(facts.watch_seconds.get(hw, 0)) / 3600).quantize(
            Decimal("0.1"), rounding=ROUND_FLOOR
        )
        alt_ok = (
            rs.alt_min_views is not None
            and facts.views.get(rs.alt_views_window_days, 0) >= rs.alt_min_views
        )
        if hours < rs.min_watch_hours and not alt_ok:
            gap = rs.min_watch_hours - hours
            message = f"needs {_n(gap)} more watch hours in {hw} days"
            required: Any = rs.min_watch_hours
            if rs.alt_min_views is not None:
                alt_views = facts.views.get(rs.alt_views_window_days, 0)
                message += (
                    f", or {_n(rs.alt_min_views - alt_views)} more views"
                    f" in {rs.alt_views_window_days} days"
                )
                required = {
                    "watch_hours": rs.min_watch_hours,
                    f"views_{rs.alt_views_window_days}d": rs.alt_min_views,
                }
            failures.append(_failure("watch_hours", required, str(hours), str(gap), message))

    if rs.video_longer_than_seconds is not None:
        longest = facts.longest_video.get(w, 0)
        if longest <= rs.video_longer_than_seconds:
            needed = rs.video_longer_than_seconds + 1 - longest
            failures.append(
                _failure(
                    "video_length",
                    f"> {rs.video_longer_than_seconds} s",
                    longest,
                    needed,
                    f"needs a video longer than {rs.video_longer_than_seconds} s in {w} days"
                    f" (longest: {longest} s)",
                )
            )

    if rs.original_content_required:
        videos, not_original = facts.videos.get(w, 0), facts.not_original.get(w, 0)
        if videos == 0 or not_original:
            message = (
                f"no videos in {w} days"
                if videos == 0
                else f"{not_original} of {videos} videos in {w} days are not original"
            )
            failures.append(
                _failure(
                    "original_content", "all original", videos - not_original, not_original, message
                )
            )

    if failures:
        return failures, None
    estimate = estimate_for(rule_set=rs, creator=creator, facts=facts)
    return failures, estimate and (estimate.low, estimate.high, estimate.currency)


def estimate_for(
    *, rule_set: EligibilityRuleSet, creator: Creator, facts: AccountFacts | None
) -> Estimate | None:
    """The monthly estimate on the views the program pays on (views, qualified views or For
    You views over its views window, scaled to 30 days) at the creator's country rate when
    the rule set has one, else its default range. None for programs without a per-view rate.
    """
    rs = rule_set
    if rs.rate_basis == EligibilityRuleSet.RateBasis.NONE:
        return None
    facts = facts or AccountFacts()
    w = rs.views_window_days
    by_basis = {
        EligibilityRuleSet.RateBasis.VIEWS: facts.views,
        EligibilityRuleSet.RateBasis.QUALIFIED_VIEWS: facts.qualified_views,
        EligibilityRuleSet.RateBasis.FOR_YOU_VIEWS: facts.for_you_views,
    }
    basis = by_basis[rs.rate_basis].get(w, 0)
    country = creator.country if creator.country in (rs.country_rates or {}) else ""
    rate_min, rate_max = (
        rs.country_rates[country] if country else (rs.rate_min_minor, rs.rate_max_minor)
    )
    monthly_views = Fraction(basis * 30, w)
    return Estimate(
        low=round_minor(monthly_views * rate_min / rs.rate_per_views),
        high=round_minor(monthly_views * rate_max / rs.rate_per_views),
        currency=rs.rate_currency,
        basis=rs.rate_basis,
        basis_views=basis,
        window_days=w,
        rate_min_minor=rate_min,
        rate_max_minor=rate_max,
        rate_per_views=rs.rate_per_views,
        rate_country=country,
    )


def _best_accounts(
    accounts: Sequence[PlatformAccount], facts: dict[int, AccountFacts]
) -> dict[tuple[int, str], PlatformAccount]:
    """(creator id, platform or "") -> the account with most followers (then lowest id)."""
    best: dict[tuple[int, str], PlatformAccount] = {}
    for account in sorted(accounts, key=lambda a: (-facts[a.id].followers, a.id)):
        for key in ((account.creator_id, account.platform), (account.creator_id, "")):
            best.setdefault(key, account)
    return best


@transaction.atomic
def eligibility_evaluate_chunk(*, as_of: dt.date, creator_ids: Sequence[int]) -> int:
    """Evaluate every program in force on ``as_of`` for these creators. Returns rows changed."""
    rule_sets = rule_sets_in_force(as_of=as_of)
    if not rule_sets or not creator_ids:
        return 0
    creators = list(
        Creator.objects.filter(id__in=creator_ids).only("id", "date_of_birth", "country")
    )
    accounts = list(
        PlatformAccount.objects.filter(creator_id__in=creator_ids).only(
            "id", "creator_id", "platform", "account_type"
        )
    )
    facts = _account_facts(as_of=as_of, creator_ids=creator_ids, windows=_windows(rule_sets))
    best = _best_accounts(accounts, facts)
    existing = {
        (r.creator_id, r.program_id): r
        for r in EligibilityResult.objects.filter(creator_id__in=creator_ids, as_of=as_of)
    }
    now = timezone.now()
    to_write = []
    for creator in creators:
        for rs in rule_sets:
            account = best.get((creator.id, rs.program.platform))
            failures, estimate = evaluate(
                rule_set=rs,
                creator=creator,
                account=account,
                facts=facts.get(account.id) if account else None,
                as_of=as_of,
            )
            low, high, currency = estimate or (None, None, "")
            used = (
                estimate_for(rule_set=rs, creator=creator, facts=facts.get(account.id))
                if estimate and account
                else None
            )
            result = EligibilityResult(
                creator_id=creator.id,
                program_id=rs.program_id,
                rule_set_id=rs.id,
                account_id=account.id if account else None,
                as_of=as_of,
                eligible=not failures,
                failures=failures,
                estimate_min_minor=low,
                estimate_max_minor=high,
                estimate_currency=currency,
                estimate_basis=used.basis if used else "",
                estimate_basis_views=used.basis_views if used else None,
                estimate_rate_min_minor=used.rate_min_minor if used else None,
                estimate_rate_max_minor=used.rate_max_minor if used else None,
                estimate_rate_per_views=used.rate_per_views if used else None,
                estimate_rate_country=used.rate_country if used else "",
                computed_at=now,
            )
            if not _same(existing.get((creator.id, rs.program_id)), result):
                to_write.append(result)
    EligibilityResult.objects.bulk_create(
        to_write,
        update_conflicts=True,
        unique_fields=["creator", "program", "as_of"],
        update_fields=[*_RESULT_FIELDS, "computed_at"],
    )
    return len(to_write)


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


def _same(old: EligibilityResult | None, new: EligibilityResult) -> bool:
    return old is not None and all(getattr(old, f) == getattr(new, f) for f in _RESULT_FIELDS)
