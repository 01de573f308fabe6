"""The SQL rules give exactly the results of the Python evaluator they replaced (kept in
eligibility_reference.py) on generated creators, accounts, metrics and rule sets; and a
re-run rewrites nothing. (The generated accounts carry no strike or throttling flag: the
good-standing rule came after the reference; test_eligibility_standing.py covers it.)"""

import datetime as dt
import random

import pytest

from creators.models import (
    DailyAccountMetric,
    EligibilityProgram,
    EligibilityResult,
    EligibilityRuleSet,
    Video,
    VideoDailyMetric,
)
from creators.services.eligibility import RULES, eligibility_evaluate_chunk
from tests.creators import eligibility_reference
from tests.factories.creators import CreatorFactory, PlatformAccountFactory

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 1, 31)
COUNTRIES = ["US", "GB", "DE", "JP", "BR", "VN", "FR"]
FIELDS = [
    "creator_id", "program_id", "as_of", "rule_set_id", "account_id", "eligible", "failures",
    "estimate_min_minor", "estimate_max_minor", "estimate_currency", "estimate_basis",
    "estimate_basis_views", "estimate_rate_min_minor", "estimate_rate_max_minor",
    "estimate_rate_per_views", "estimate_rate_country",
]  # fmt: skip


def _maybe(rng, value, p=0.5):
    return value if rng.random() < p else None


def _rule_sets(rng: random.Random) -> None:
    """Random rule sets for new programs, beside the seeded ones."""
    for i in range(12):
        program = EligibilityProgram.objects.create(
            code=f"gen{i}", name=f"Generated {i}", platform=rng.choice(["", "tiktok", "youtube"])
        )
        window = rng.choice([7, 28, 30, 90])
        alt = rng.random() < 0.4
        basis = rng.choice(["none", "views", "qualified_views", "for_you_views"])
        EligibilityRuleSet.objects.create(
            program=program,
            version=1,
            effective_from=dt.date(2020, 1, 1),
            min_age=_maybe(rng, rng.choice([13, 16, 18, 21])),
            min_followers=_maybe(rng, rng.randint(0, 5_000)),
            min_followers_business=_maybe(rng, rng.randint(0, 500), 0.3),
            views_window_days=window,
            min_views=_maybe(rng, rng.randint(0, 200_000)),
            min_qualified_views=_maybe(rng, rng.randint(0, 100_000)),
            watch_hours_window_days=rng.choice([30, 90, 365]),
            min_watch_hours=_maybe(rng, rng.randint(0, 50)),
            alt_views_window_days=90 if alt else None,
            alt_min_views=rng.randint(0, 300_000) if alt else None,
            video_longer_than_seconds=_maybe(rng, rng.choice([10, 30, 60]), 0.4),
            original_content_required=rng.random() < 0.4,
            countries=rng.sample(COUNTRIES, rng.randint(0, 4)),
            rate_basis=basis,
            rate_per_views=rng.choice([1_000, 1_000_000]),
            rate_min_minor=rng.randint(0, 500) if basis != "none" else None,
            rate_max_minor=rng.randint(500, 2_000) if basis != "none" else None,
            rate_currency="USD" if basis != "none" else "",
            country_rates={c: [rng.randint(0, 300), rng.randint(300, 900)] for c in COUNTRIES[:2]}
            if rng.random() < 0.5
            else {},
        )


def _creators(rng: random.Random) -> list[int]:
    ids = []
    for n in range(30):
        dob = rng.choice(
            [
                None,
                dt.date(2008, 2, 1),  # turns 18 days after AS_OF
                dt.date(2008, 1, 31),  # 18 on AS_OF itself
                dt.date(2008, 2, 29),  # a leap-day birthday
                dt.date(2010, 2, 28),
                dt.date(1990, 6, 1),
            ]
        )
        creator = CreatorFactory(date_of_birth=dob, country=rng.choice(COUNTRIES))
        ids.append(creator.pk)
        for k in range(rng.choice([0, 1, 1, 2, 3])):
            account = PlatformAccountFactory(
                creator=creator,
                platform=rng.choice(["tiktok", "youtube", "instagram"]),
                account_type=rng.choice(["creator", "business"]),
                handle=f"h{n}x{k}",
            )
            days = rng.sample(range(0, 120), rng.randint(0, 30))
            DailyAccountMetric.objects.bulk_create(
                DailyAccountMetric(
                    account=account,
                    date=AS_OF - dt.timedelta(days=d),
                    followers=rng.choice([0, 999, 1_000, rng.randint(0, 20_000)]),
                    views=(views := rng.randint(0, 20_000)),
                    qualified_views=rng.randint(0, views),
                    watch_time_seconds=rng.randint(0, 40_000),
                )
                for d in days
            )
            for v in range(rng.randint(0, 4)):
                video = Video.objects.create(
                    account=account,
                    platform_video_id=f"v{account.pk}-{v}",
                    posted_at=dt.datetime.combine(
                        AS_OF - dt.timedelta(days=rng.randint(0, 100)), dt.time(12), dt.UTC
                    ),
                    duration_seconds=rng.choice([5, 30, 31, 60, 61, 120]),
                    views=1_000,
                    qualified_views=500,
                    completed_views=300,
                    is_original=rng.random() < 0.8,
                )
                if rng.random() < 0.5:
                    day = max(video.posted_at.date(), AS_OF - dt.timedelta(days=3))
                    VideoDailyMetric.objects.create(
                        video=video, date=day, views=900, for_you_views=rng.randint(0, 600)
                    )
    return ids


def _results() -> list[tuple]:
    return sorted(EligibilityResult.objects.values_list(*FIELDS), key=repr)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sql_rules_match_the_python_evaluator(seed):
    rng = random.Random(seed)
    _rule_sets(rng)
    ids = _creators(rng)
    reference_changed = eligibility_reference.eligibility_evaluate_chunk(
        as_of=AS_OF, creator_ids=ids
    )
    expected = _results()
    EligibilityResult.objects.all().delete()
    assert eligibility_evaluate_chunk(as_of=AS_OF, creator_ids=ids) == reference_changed
    assert _results() == expected
    # Unchanged results are not rewritten, by either side.
    assert eligibility_evaluate_chunk(as_of=AS_OF, creator_ids=ids) == 0
    assert eligibility_reference.eligibility_evaluate_chunk(as_of=AS_OF, creator_ids=ids) == 0
    failed_rules = {f["rule"] for row in expected for f in row[FIELDS.index("failures")]}
    assert len(failed_rules) >= 6  # most kinds of rule were exercised
    assert any(row[FIELDS.index("estimate_min_minor")] is not None for row in expected)


def test_rules_are_named_and_in_the_order_failures_are_listed():
    names = [rule.name.strip("'") for rule in RULES]
    assert names[:4] == ["age", "age", "country", "account"]
    assert names[-4:] == ["watch_hours", "video_length", "original_content", "good_standing"]
