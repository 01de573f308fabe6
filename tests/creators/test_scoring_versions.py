"""Scoring versions: weights and tier floors as data, chosen by the snapshot's date."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from agency.errors import ApplicationError
from creators.models import AccountPerformance, CreatorPerformance, ScoringVersion, Tier
from creators.models.performance import tier_for_median
from creators.services.performance import (
    performance_compute_chunk,
    performance_score,
    scoring_version_for,
)
from tests.factories.creators import (
    DailyAccountMetricFactory,
    PlatformAccountFactory,
    VideoDailyMetricFactory,
    VideoFactory,
)

pytestmark = pytest.mark.django_db

V1_DAY = dt.date(2026, 11, 30)
V2_DAY = dt.date(2026, 12, 15)
V2_FLOORS = [1_000, 10_000, 100_000, 1_000_000]


def at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(10), tzinfo=dt.UTC)


def account_with_median(views: int, day: dt.date):
    account = PlatformAccountFactory()
    VideoFactory(account=account, posted_at=at(day - dt.timedelta(days=3)), views=views,
                 qualified_views=0, completed_views=0)  # fmt: skip
    return account


def tier_on(account, day: dt.date) -> Tier:
    return AccountPerformance.objects.get(account=account, as_of=day, window_days=28).tier


@pytest.mark.parametrize(
    ("median", "tier"),
    [(999, Tier.L1), (1_000, Tier.L2), (9_999, Tier.L2), (10_000, Tier.L3), (99_999, Tier.L3),
     (100_000, Tier.L4), (1_000_000, Tier.L5)],
)  # fmt: skip
def test_version_2_tiers_follow_the_pools(median, tier):
    account = account_with_median(median, V2_DAY)
    performance_compute_chunk(as_of=V2_DAY, creator_ids=[account.creator_id])
    assert tier_on(account, V2_DAY) == tier == tier_for_median(median, V2_FLOORS)


def test_pool_2_and_pool_3_creators_differ_from_version_2_on_only():
    pool_2 = account_with_median(5_000, V1_DAY)
    pool_3 = account_with_median(50_000, V1_DAY)
    ids = [pool_2.creator_id, pool_3.creator_id]
    performance_compute_chunk(as_of=V1_DAY, creator_ids=ids)
    assert tier_on(pool_2, V1_DAY) == tier_on(pool_3, V1_DAY) == Tier.L3
    day = dt.date(2026, 12, 1)
    performance_compute_chunk(as_of=day, creator_ids=ids)
    assert (tier_on(pool_2, day), tier_on(pool_3, day)) == (Tier.L2, Tier.L3)
    v1_rows = AccountPerformance.objects.filter(as_of=V1_DAY)
    assert set(v1_rows.values_list("score_version", flat=True)) == {1}
    v2_rows = CreatorPerformance.objects.filter(as_of=day)
    assert set(v2_rows.values_list("score_version", flat=True)) == {2}


def test_a_new_version_never_rewrites_earlier_snapshots():
    account = account_with_median(5_000, V1_DAY)
    performance_compute_chunk(as_of=V1_DAY, creator_ids=[account.creator_id])
    performance_score(as_of=V1_DAY)
    before = list(AccountPerformance.objects.values_list("tier", "score", "computed_at"))
    v2 = ScoringVersion.objects.get(version=2)
    v2.effective_to = dt.date(2027, 1, 1)
    v2.save()
    ScoringVersion.objects.create(
        version=3, effective_from=dt.date(2027, 1, 1), tier_floors=[10, 20, 30, 40],
        weights={"completion_rate": "1"},
    )  # fmt: skip
    assert performance_compute_chunk(as_of=V1_DAY, creator_ids=[account.creator_id]) == 0
    assert performance_score(as_of=V1_DAY) == 0
    assert list(AccountPerformance.objects.values_list("tier", "score", "computed_at")) == before


def _twin(*, saves: int, watch: int):
    account = PlatformAccountFactory()
    video = VideoFactory(account=account, posted_at=at(V2_DAY), views=1_000, completed_views=500)
    VideoDailyMetricFactory(video=video, date=V2_DAY, views=1_000, saves=saves)
    DailyAccountMetricFactory(account=account, date=V2_DAY, views=1_000, watch_time_seconds=watch)
    return account


def test_version_2_weighs_saves_and_watch_time_version_1_does_not():
    plain = _twin(saves=1, watch=5_000)
    saver = _twin(saves=90, watch=5_000)
    watched = _twin(saves=1, watch=20_000)
    ids = [a.creator_id for a in (plain, saver, watched)]

    def scores() -> dict:
        performance_compute_chunk(as_of=V2_DAY, creator_ids=ids)
        performance_score(as_of=V2_DAY)
        rows = AccountPerformance.objects.filter(as_of=V2_DAY, window_days=28)
        return dict(rows.values_list("account_id", "score"))

    row_scores = scores()
    row = AccountPerformance.objects.get(account=saver, as_of=V2_DAY, window_days=28)
    assert (row.save_rate, row.watch_seconds_per_view) == (Decimal("0.09"), Decimal("5.00"))
    assert row_scores[saver.pk] > row_scores[plain.pk]
    assert row_scores[watched.pk] > row_scores[plain.pk]
    # The same data under version 1's weights (moved to cover the date): saves and watch
    # time count for nothing, so the three score alike.
    ScoringVersion.objects.filter(version=2).delete()
    ScoringVersion.objects.filter(version=1).update(effective_to=None)
    assert len(set(scores().values())) == 1


def test_no_version_in_force_is_a_clear_error():
    with pytest.raises(ApplicationError, match="No scoring version"):
        scoring_version_for(dt.date(1999, 1, 1))


@pytest.mark.parametrize(
    "weights",
    [{"completion_rate": "0.5"}, {"completion_rate": "1.2", "like_rate": "-0.2"},
     {"followers; DROP TABLE x": "1"}, {"completion_rate": "x"}, []],
)  # fmt: skip
def test_weights_must_be_known_signals_summing_to_one(weights):
    version = ScoringVersion(version=9, effective_from=dt.date(2030, 1, 1), weights=weights,
                             tier_floors=V2_FLOORS)  # fmt: skip
    with pytest.raises(ValidationError):
        version.full_clean()


def test_tier_floors_must_be_four_ascending_numbers():
    version = ScoringVersion(
        version=9,
        effective_from=dt.date(2030, 1, 1),
        weights={"completion_rate": "1"},
        tier_floors=[5, 4, 3, 2],
    )
    with pytest.raises(ValidationError):
        version.full_clean()


def test_scoring_versions_cannot_overlap():
    with pytest.raises(IntegrityError), transaction.atomic():
        ScoringVersion.objects.create(
            version=9, effective_from=dt.date(2026, 6, 1), weights={"completion_rate": "1"},
            tier_floors=V2_FLOORS,
        )  # fmt: skip


def test_admin_refuses_weights_that_do_not_sum_to_one(admin_client):
    from django.urls import reverse

    response = admin_client.post(
        reverse("admin:creators_scoringversion_add"),
        {"version": 9, "effective_from": "2030-01-01", "weights": '{"completion_rate": "0.5"}',
         "tier_floors": "[1, 2, 3, 4]", "notes": ""},
    )  # fmt: skip
    assert response.status_code == 200
    assert "sum to 1" in response.content.decode()
    assert not ScoringVersion.objects.filter(version=9).exists()
