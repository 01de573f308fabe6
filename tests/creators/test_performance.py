"""Performance snapshots: windows, rates, tiers at every threshold, the score's ordering."""

import datetime as dt
from decimal import Decimal

import pytest

from creators.models import AccountPerformance, CreatorPerformance, Platform, Tier
from creators.models.performance import tier_for_median
from creators.services.performance import performance_compute_chunk, performance_score
from tests.factories.creators import (
    CreatorFactory,
    DailyAccountMetricFactory,
    PlatformAccountFactory,
    VideoFactory,
)

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 1, 31)


def at(day: dt.date, hour: int = 12) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=dt.UTC)


def snapshot(account, window=28) -> AccountPerformance:
    return AccountPerformance.objects.get(account=account, as_of=AS_OF, window_days=window)


def test_windows_sum_daily_metrics_and_follower_growth():
    account = PlatformAccountFactory()
    for offset in range(0, 100):
        DailyAccountMetricFactory(
            account=account,
            date=AS_OF - dt.timedelta(days=offset),
            followers=10_000 - offset * 10,  # 10 new followers a day
            views=100,
            qualified_views=60,
            watch_time_seconds=36,
        )
    performance_compute_chunk(as_of=AS_OF, creator_ids=[account.creator_id])
    for window in (7, 28, 90):
        row = snapshot(account, window)
        assert row.views == 100 * window
        assert row.qualified_views == 60 * window
        assert row.watch_time_seconds == 36 * window
        assert row.followers == 10_000
        assert row.follower_growth == 10 * window
    assert snapshot(account, 7).follower_growth_rate == Decimal("0.007049")  # 70 / 9,930


def test_rates_are_decimals_from_video_sums():
    account = PlatformAccountFactory()
    VideoFactory(account=account, posted_at=at(AS_OF), views=1_000, completed_views=400,
                 replays=50, likes=100, comments=10, shares=5)  # fmt: skip
    VideoFactory(account=account, posted_at=at(AS_OF - dt.timedelta(days=3)), views=3_000,
                 completed_views=600, replays=150, likes=300, comments=30, shares=15)  # fmt: skip
    performance_compute_chunk(as_of=AS_OF, creator_ids=[account.creator_id])
    row = snapshot(account, 7)
    assert isinstance(row.completion_rate, Decimal)
    assert row.videos == 2
    assert row.video_views == 4_000
    assert row.completion_rate == Decimal("0.25")
    assert row.replay_rate == Decimal("0.05")
    assert row.like_rate == Decimal("0.1")
    assert row.comment_rate == Decimal("0.01")
    assert row.share_rate == Decimal("0.005")
    assert row.engagement_rate == Decimal("0.115")
    assert row.median_views == Decimal("2000.0")
    assert row.videos_per_week == Decimal("2.00")


def test_video_after_as_of_or_before_window_is_not_counted():
    account = PlatformAccountFactory()
    VideoFactory(account=account, posted_at=at(AS_OF + dt.timedelta(days=1), 0))
    VideoFactory(account=account, posted_at=at(AS_OF - dt.timedelta(days=7), 23))
    VideoFactory(account=account, posted_at=at(AS_OF - dt.timedelta(days=6), 0))
    performance_compute_chunk(as_of=AS_OF, creator_ids=[account.creator_id])
    assert snapshot(account, 7).videos == 1
    assert snapshot(account, 28).videos == 2


def test_posting_rhythm_and_niche_consistency():
    steady = PlatformAccountFactory()
    bursty = PlatformAccountFactory()
    for i in range(4):  # every 2 days
        VideoFactory(account=steady, posted_at=at(AS_OF - dt.timedelta(days=2 * i)),
                     niche="beauty" if i < 3 else "food")  # fmt: skip
    for days in (0, 1, 10, 11):
        VideoFactory(account=bursty, posted_at=at(AS_OF - dt.timedelta(days=days)))
    performance_compute_chunk(as_of=AS_OF, creator_ids=[steady.creator_id, bursty.creator_id])
    assert snapshot(steady).posting_gap_stddev_days == Decimal("0.00")
    assert snapshot(bursty).posting_gap_stddev_days > Decimal("4")
    assert snapshot(steady).niche_consistency == Decimal("0.75")
    assert snapshot(bursty).niche_consistency == Decimal("1")


@pytest.mark.parametrize(
    ("median", "tier"),
    [
        (0, Tier.L1),
        (999, Tier.L1),
        (1_000, Tier.L2),
        (4_999, Tier.L2),
        (5_000, Tier.L3),
        (99_999, Tier.L3),
        (100_000, Tier.L4),
        (999_999, Tier.L4),
        (1_000_000, Tier.L5),
    ],
)
def test_tier_at_each_threshold_in_sql(median, tier):
    account = PlatformAccountFactory()
    VideoFactory(account=account, posted_at=at(AS_OF - dt.timedelta(days=20)), views=median,
                 qualified_views=0, completed_views=0)  # fmt: skip
    performance_compute_chunk(as_of=AS_OF, creator_ids=[account.creator_id])
    assert tier_for_median(median) == tier
    # The tier comes from the 28-day median on every window's row, 7 days included.
    assert {row.tier for row in AccountPerformance.objects.filter(account=account)} == {tier}
    assert CreatorPerformance.objects.get(creator=account.creator, window_days=28).tier == tier


def test_tier_uses_the_median_not_the_mean():
    account = PlatformAccountFactory()
    for views in (500, 600, 2_000_000):  # mean ~667k (L4); median 600 (L1)
        VideoFactory(account=account, posted_at=at(AS_OF), views=views, qualified_views=0,
                     completed_views=0)  # fmt: skip
    performance_compute_chunk(as_of=AS_OF, creator_ids=[account.creator_id])
    assert snapshot(account).median_views == Decimal("600.0")
    assert snapshot(account).tier == Tier.L1


def _account_with(completion: int, replays: int, likes: int, platform=Platform.TIKTOK):
    account = PlatformAccountFactory(platform=platform)
    VideoFactory(account=account, posted_at=at(AS_OF), views=1_000, completed_views=completion,
                 replays=replays, likes=likes, comments=10, shares=5)  # fmt: skip
    return account


def test_score_orders_by_signal_weight_within_the_platform_cohort():
    strong_completion = _account_with(completion=900, replays=10, likes=10)
    strong_replays = _account_with(completion=100, replays=300, likes=10)
    strong_likes = _account_with(completion=100, replays=10, likes=300)
    youtube = _account_with(completion=50, replays=5, likes=5, platform=Platform.YOUTUBE)
    accounts = [strong_completion, strong_replays, strong_likes, youtube]
    performance_compute_chunk(as_of=AS_OF, creator_ids=[a.creator_id for a in accounts])
    performance_score(as_of=AS_OF)
    scores = {a: snapshot(a).score for a in accounts}
    assert scores[strong_completion] > scores[strong_replays] > scores[strong_likes]
    assert all(Decimal(0) <= s <= Decimal(100) for s in scores.values())
    # Alone in its cohort, the YouTube account ranks first on every signal it has.
    assert scores[youtube] > scores[strong_completion]
    creator = CreatorPerformance.objects.get(
        creator=strong_completion.creator, as_of=AS_OF, window_days=28
    )
    assert creator.score == scores[strong_completion]


def test_account_without_videos_scores_low_but_not_null():
    idle = PlatformAccountFactory()
    active = _account_with(completion=500, replays=50, likes=50)
    performance_compute_chunk(as_of=AS_OF, creator_ids=[idle.creator_id, active.creator_id])
    performance_score(as_of=AS_OF)
    assert snapshot(idle).completion_rate is None
    assert snapshot(idle).score is not None
    assert snapshot(idle).score < snapshot(active).score


def test_creator_rollup_adds_accounts_and_takes_best_tier():
    creator = CreatorFactory()
    tiktok = PlatformAccountFactory(creator=creator)
    youtube = PlatformAccountFactory(creator=creator, platform=Platform.YOUTUBE)
    VideoFactory(account=tiktok, posted_at=at(AS_OF), views=200_000, qualified_views=0,
                 completed_views=0)  # fmt: skip
    VideoFactory(account=youtube, posted_at=at(AS_OF), views=2_000, qualified_views=0,
                 completed_views=0)  # fmt: skip
    DailyAccountMetricFactory(account=tiktok, date=AS_OF, followers=5_000, views=10)
    DailyAccountMetricFactory(account=youtube, date=AS_OF, followers=700, views=20)
    performance_compute_chunk(as_of=AS_OF, creator_ids=[creator.id])
    row = CreatorPerformance.objects.get(creator=creator, as_of=AS_OF, window_days=28)
    assert row.followers == 5_700
    assert row.views == 30
    assert row.videos == 2
    assert row.tier == Tier.L4


def test_rerun_changes_nothing():
    account = _account_with(completion=500, replays=50, likes=50)
    DailyAccountMetricFactory(account=account, date=AS_OF)
    first = performance_compute_chunk(as_of=AS_OF, creator_ids=[account.creator_id])
    performance_score(as_of=AS_OF)
    stamps = list(AccountPerformance.objects.values_list("computed_at", flat=True))
    assert first == 6  # 3 windows x (account + creator)
    assert performance_compute_chunk(as_of=AS_OF, creator_ids=[account.creator_id]) == 0
    assert performance_score(as_of=AS_OF) == 0
    assert list(AccountPerformance.objects.values_list("computed_at", flat=True)) == stamps
