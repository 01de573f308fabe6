"""Traffic-pool waves: pool per video, when, the stopping signal, summaries, versions, purge."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from creators.models import (
    CreatorWaveSummary,
    TrafficPool,
    TrafficPoolVersion,
    VideoDailyMetric,
    VideoWave,
)
from creators.services import recalc, waves
from tests.factories.creators import (
    PlatformAccountFactory,
    VideoDailyMetricFactory,
    VideoFactory,
)

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 1, 31)


def posted(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)


def video(account, *, views, completion="0.60", replays="0.20", likes="0.12", comments="0.02",
          shares="0.02", day=dt.date(2026, 1, 20), **fields):  # fmt: skip
    """A video whose signal rates (per view) are given; defaults beat every seeded bar."""
    return VideoFactory(
        account=account,
        posted_at=posted(day),
        views=views,
        qualified_views=views,
        completed_views=int(views * Decimal(completion)),
        replays=int(views * Decimal(replays)),
        likes=int(views * Decimal(likes)),
        comments=int(views * Decimal(comments)),
        shares=int(views * Decimal(shares)),
        **fields,
    )


def compute(account) -> None:
    waves.waves_compute_chunk(as_of=AS_OF, creator_ids=[account.creator_id])


@pytest.mark.parametrize(
    ("views", "pool"),
    [
        (0, 1),
        (999, 1),
        (1_000, 2),
        (9_999, 2),
        (10_000, 3),
        (99_999, 3),
        (100_000, 4),
        (999_999, 4),
        (1_000_000, 5),
    ],
)
def test_pool_boundaries_last_view_below_and_first_at_the_threshold(views, pool):
    account = PlatformAccountFactory()
    v = video(account, views=views)
    compute(account)
    wave = VideoWave.objects.get(video=v)
    assert wave.pool == pool
    assert wave.next_pool == (pool + 1 if pool < 5 else None)


def test_stalled_video_names_the_first_signal_short_in_platform_order():
    account = PlatformAccountFactory()
    # Pool 2 (5,000 views); pool 3's bars: completion 0.45, replays 0.08, likes 0.06 ...
    both_short = video(account, views=5_000, completion="0.31", likes="0.05")
    likes_only = video(account, views=5_000, likes="0.05")
    none_short = video(account, views=5_000)
    compute(account)
    wave = VideoWave.objects.get(video=both_short)
    assert (wave.pool, wave.next_pool, wave.stalled) == (2, 3, True)
    assert wave.stopping_signal == "completion"
    assert wave.stopping_actual == Decimal("0.31")
    assert wave.stopping_bar == Decimal("0.45")
    assert wave.signals_short == 2
    wave = VideoWave.objects.get(video=likes_only)
    assert (wave.stopping_signal, wave.signals_short) == ("likes", 1)
    assert (wave.stopping_actual, wave.stopping_bar) == (Decimal("0.05"), Decimal("0.06"))
    wave = VideoWave.objects.get(video=none_short)
    assert (wave.stopping_signal, wave.signals_short, wave.stopping_actual) == ("", 0, None)


def test_a_video_younger_than_the_settle_days_has_not_stalled():
    account = PlatformAccountFactory()
    fresh = video(account, views=500, completion="0.10", day=AS_OF - dt.timedelta(days=2))
    settled = video(account, views=500, completion="0.10", day=AS_OF - dt.timedelta(days=3))
    top = video(account, views=2_000_000, day=dt.date(2026, 1, 1))
    compute(account)
    assert VideoWave.objects.get(video=fresh).stalled is False
    assert VideoWave.objects.get(video=fresh).stopping_signal == "completion"
    assert VideoWave.objects.get(video=settled).stalled is True
    wave = VideoWave.objects.get(video=top)
    assert (wave.pool, wave.next_pool, wave.stalled) == (5, None, False)


def test_reached_on_is_the_first_day_the_running_daily_views_reach_the_pool():
    account = PlatformAccountFactory()
    v = video(account, views=0, day=dt.date(2026, 1, 10))
    for offset, views in enumerate([600, 399, 1, 8_000, 1_000]):
        VideoDailyMetricFactory(video=v, date=dt.date(2026, 1, 10 + offset), views=views)
    compute(account)
    wave = VideoWave.objects.get(video=v)
    # 600, 999, 1,000 (pool 2 on day 3), 9,000, 10,000 (pool 3 on day 5)
    assert wave.views == 10_000
    assert (wave.pool, wave.reached_on) == (3, dt.date(2026, 1, 14))
    # As of the third day, the daily rows up to then count: pool 2, reached that day.
    waves.waves_compute_chunk(as_of=dt.date(2026, 1, 12), creator_ids=[account.creator_id])
    wave.refresh_from_db()
    assert (wave.views, wave.pool, wave.reached_on) == (1_000, 2, dt.date(2026, 1, 12))


def test_daily_rows_give_the_rates_including_saves():
    account = PlatformAccountFactory()
    v = video(account, views=0, day=dt.date(2026, 1, 10))
    VideoDailyMetricFactory(
        video=v, date=dt.date(2026, 1, 10), views=2_000, completed_views=1_000, replays=400,
        likes=200, comments=40, shares=20, saves=2,
    )  # fmt: skip
    compute(account)
    wave = VideoWave.objects.get(video=v)
    assert wave.completion_rate == Decimal("0.5")
    assert wave.saves_rate == Decimal("0.001")
    # Every platform signal beats pool 3's bar; saves (0.1 % < 0.4 %) is the one short.
    assert (wave.pool, wave.stopping_signal, wave.signals_short) == (2, "saves", 1)


def test_creator_summary_counts_videos_by_pool_and_names_the_weakest_signal():
    account = PlatformAccountFactory()
    video(account, views=500, completion="0.20")  # pool 1, completion
    video(account, views=5_000, likes="0.01")  # pool 2, likes
    video(account, views=6_000, likes="0.01")  # pool 2, likes
    video(account, views=50_000)  # pool 3, nothing short
    video(account, views=500, completion="0.20", day=dt.date(2025, 12, 1))  # 90 days only
    compute(account)
    s28 = CreatorWaveSummary.objects.get(creator=account.creator, as_of=AS_OF, window_days=28)
    assert s28.videos == 4
    assert s28.videos_by_pool == {"1": 1, "2": 2, "3": 1}
    assert s28.reach_shares() == {1: Decimal("1"), 2: Decimal("0.75"), 3: Decimal("0.25")}
    assert (s28.stalled_videos, s28.weakest_signal, s28.weakest_signal_videos) == (4, "likes", 2)
    s90 = CreatorWaveSummary.objects.get(creator=account.creator, as_of=AS_OF, window_days=90)
    assert s90.videos == 5
    # two completion, two likes: the tie goes to the signal the platform weighs most
    assert (s90.weakest_signal, s90.weakest_signal_videos) == ("completion", 2)


def test_creator_with_no_recent_video_gets_an_empty_summary():
    account = PlatformAccountFactory()
    compute(account)
    summary = CreatorWaveSummary.objects.get(creator=account.creator, window_days=28)
    assert (summary.videos, summary.videos_by_pool, summary.weakest_signal) == (0, {}, "")
    assert summary.reach_shares() == {}


def test_rerun_changes_nothing():
    account = PlatformAccountFactory()
    video(account, views=5_000, likes="0.01")
    first = waves.waves_compute_chunk(as_of=AS_OF, creator_ids=[account.creator_id])
    assert first == 1 + 2
    assert waves.waves_compute_chunk(as_of=AS_OF, creator_ids=[account.creator_id]) == 0


def test_a_video_is_judged_by_the_pool_version_in_force_when_it_was_posted():
    account = PlatformAccountFactory()
    old = video(account, views=3_000, day=dt.date(2026, 1, 9))
    new = video(account, views=3_000, day=dt.date(2026, 1, 10))
    v1 = TrafficPoolVersion.objects.get(version=1)
    v1.effective_to = dt.date(2026, 1, 10)
    v1.save()
    v2 = TrafficPoolVersion.objects.create(version=2, effective_from=dt.date(2026, 1, 10))
    TrafficPool.objects.create(version=v2, number=1, min_views=0)
    TrafficPool.objects.create(version=v2, number=2, min_views=5_000, completion_bar="0.5")
    compute(account)
    assert VideoWave.objects.get(video=old).pool == 2
    assert VideoWave.objects.get(video=old).pool_version == v1
    assert VideoWave.objects.get(video=new).pool == 1
    assert VideoWave.objects.get(video=new).pool_version == v2


def test_pool_versions_cannot_overlap():
    with pytest.raises(IntegrityError), transaction.atomic():
        TrafficPoolVersion.objects.create(version=2, effective_from=dt.date(2026, 1, 1))


def test_the_nightly_chunks_compute_waves():
    account = PlatformAccountFactory()
    v = video(account, views=20_000, completion="0.40")
    run = recalc.recalc_run_inline(as_of=AS_OF)
    assert run.status == "succeeded"
    wave = VideoWave.objects.get(video=v)
    assert (wave.pool, wave.stopping_signal) == (3, "completion")


def test_incremental_run_takes_creators_whose_daily_video_rows_changed():
    account = PlatformAccountFactory()
    other = PlatformAccountFactory()
    v = video(account, views=100)
    video(other, views=100)
    recalc.recalc_run_inline(as_of=AS_OF)
    VideoDailyMetricFactory(video=v, date=dt.date(2026, 1, 21), views=5_000)
    ids = recalc.recalc_creator_ids(as_of=AS_OF, mode="incremental")
    assert ids == [account.creator_id]


def test_purge_keeps_the_first_days_of_each_videos_life(settings):
    settings.CREATORS_VIDEO_DAILY_RETENTION_DAYS = 14
    account = PlatformAccountFactory()
    v = video(account, views=100, day=dt.date(2026, 1, 1))
    for day in (dt.date(2026, 1, 1), dt.date(2026, 1, 14), dt.date(2026, 1, 15)):
        VideoDailyMetricFactory(video=v, date=day)
    assert waves.video_daily_purge() == 1
    assert sorted(VideoDailyMetric.objects.values_list("date", flat=True)) == [
        dt.date(2026, 1, 1),
        dt.date(2026, 1, 14),
    ]
    assert waves.video_daily_purge(retention_days=1) == 1
    assert waves.video_daily_purge(retention_days=1) == 0


def test_purge_task_runs_the_service(settings):
    from creators.tasks import video_daily_purge

    settings.CREATORS_VIDEO_DAILY_RETENTION_DAYS = 0
    v = VideoFactory()
    VideoDailyMetricFactory(video=v)
    assert video_daily_purge() == 1
