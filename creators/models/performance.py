"""Performance snapshots, one row per (account or creator, as_of, window).

Rows are written only by ``creators.services.performance`` (set-based SQL upserts) and
read as history: comparing snapshots of different ``as_of`` dates shows a trend.
Rates are NUMERIC in [0, 1] (or a signed growth ratio), never floats.
"""

from django.db import models
from django.db.models import Q

from creators.models.roster import Creator, Platform, PlatformAccount

WINDOWS = (7, 28, 90)
TIER_WINDOW = 28


class Tier(models.IntegerChoices):
    """Traffic-pool tier from the median views per video over the last 28 days.

    The floors belong to the scoring version (``ScoringVersion.tier_floors``): version 1
    L2 1,000 · L3 5,000 · L4 100,000 · L5 1,000,000; version 2 follows the pools (L2 1,000 ·
    L3 10,000 · L4 100,000 · L5 1,000,000), so pool 2 and pool 3 creators differ.
    """

    L1 = 1, "L1"
    L2 = 2, "L2"
    L3 = 3, "L3"
    L4 = 4, "L4"
    L5 = 5, "L5"


# Version 1's floors (L2..L5): the Python twin of the SQL, used by tests and the benchmark.
TIER_FLOORS_V1 = [1_000, 5_000, 100_000, 1_000_000]


def tier_for_median(median_views: float | int | None, floors: list[int] = TIER_FLOORS_V1) -> Tier:
    """The tier of a median under ``floors`` (lowest median of L2, L3, L4, L5)."""
    tier = Tier.L1
    for level, floor in enumerate(floors, start=2):
        if median_views is not None and median_views >= floor:
            tier = Tier(level)
    return tier


def _rate(verbose: str) -> models.DecimalField:
    return models.DecimalField(verbose, max_digits=9, decimal_places=6, null=True, blank=True)


class PerformanceFields(models.Model):
    as_of = models.DateField("as of")
    window_days = models.PositiveSmallIntegerField(
        "window (days)", choices=[(w, f"{w} days") for w in WINDOWS]
    )
    views = models.BigIntegerField("views", default=0)
    qualified_views = models.BigIntegerField("qualified views", default=0)
    watch_time_seconds = models.BigIntegerField("watch time (seconds)", default=0)
    videos = models.PositiveIntegerField("videos posted", default=0)
    video_views = models.BigIntegerField("views of videos posted in the window", default=0)
    median_views = models.DecimalField(
        "median views per video", max_digits=14, decimal_places=1, null=True, blank=True
    )
    completion_rate = _rate("completion rate")
    replay_rate = _rate("replay rate")
    like_rate = _rate("like rate")
    comment_rate = _rate("comment rate")
    share_rate = _rate("share rate")
    engagement_rate = _rate("engagement rate")
    followers = models.BigIntegerField("followers at the end", default=0)
    follower_growth = models.BigIntegerField("follower growth", default=0)
    follower_growth_rate = models.DecimalField(
        "follower growth rate", max_digits=12, decimal_places=6, null=True, blank=True
    )
    videos_per_week = models.DecimalField(
        "videos per week", max_digits=8, decimal_places=2, default=0
    )
    posting_gap_stddev_days = models.DecimalField(
        "posting gap std. dev. (days)",
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Regularity: lower is steadier. Needs at least three videos.",
    )
    niche_consistency = _rate("niche consistency")
    save_rate = _rate("save rate")
    watch_seconds_per_view = models.DecimalField(
        "watch time per view (seconds)", max_digits=12, decimal_places=2, null=True, blank=True
    )
    score_version = models.PositiveSmallIntegerField(
        "scoring version", default=1, help_text="The weights and tier floors used."
    )
    tier = models.PositiveSmallIntegerField("tier", choices=Tier.choices, default=Tier.L1)
    score = models.DecimalField(
        "score (0-100)", max_digits=5, decimal_places=2, null=True, blank=True
    )
    computed_at = models.DateTimeField("computed at")

    class Meta:
        abstract = True


class AccountPerformance(PerformanceFields):
    # No index of its own: the unique (account, as_of, window) index starts with it.
    account = models.ForeignKey(
        PlatformAccount, on_delete=models.CASCADE, related_name="performance", db_index=False
    )
    platform = models.CharField(max_length=20, choices=Platform.choices)  # the score's cohort

    class Meta:
        ordering = ["account", "-as_of", "window_days"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "as_of", "window_days"],
                name="account_performance_unique",
                violation_error_message="One snapshot per account, date and window.",
            ),
            models.CheckConstraint(
                name="account_performance_score_range",
                condition=Q(score__isnull=True) | Q(score__gte=0, score__lte=100),
                violation_error_message="A score is between 0 and 100.",
            ),
        ]
        indexes = [
            models.Index(fields=["as_of", "platform", "window_days"], name="account_perf_cohort")
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.as_of} {self.window_days}d"


class CreatorPerformance(PerformanceFields):
    """A creator's accounts added up; score and tier are those of the creator's best account."""

    # No index of its own: the unique (creator, as_of, window) index starts with it.
    creator = models.ForeignKey(
        Creator, on_delete=models.CASCADE, related_name="performance", db_index=False
    )

    class Meta:
        ordering = ["creator", "-as_of", "window_days"]
        constraints = [
            models.UniqueConstraint(
                fields=["creator", "as_of", "window_days"],
                name="creator_performance_unique",
                violation_error_message="One snapshot per creator, date and window.",
            ),
            models.CheckConstraint(
                name="creator_performance_score_range",
                condition=Q(score__isnull=True) | Q(score__gte=0, score__lte=100),
                violation_error_message="A score is between 0 and 100.",
            ),
        ]
        indexes = [
            models.Index(fields=["as_of", "window_days"], name="creator_perf_by_date"),
        ]

    def __str__(self) -> str:
        return f"{self.creator_id} {self.as_of} {self.window_days}d"
