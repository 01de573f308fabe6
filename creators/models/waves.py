"""Traffic-pool waves: how platforms distribute a video's traffic in widening pools.

- ``VideoDailyMetric``: what a video did on one day of its life (increments, not running
  totals), pushed by data partners like the other metrics. Rows are kept for the first
  ``CREATORS_VIDEO_DAILY_RETENTION_DAYS`` days after posting (a periodic purge), so storage
  grows with the number of videos, not with their age.
- ``VideoHourlyMetric``: the same counts for one hour (increments), when a data partner
  sends intraday rows. A day with hourly rows has its daily row derived from them (their
  sum, written by the ingestion), so every reader of daily rows sees them; waves read the
  hours of the day a video reached its pool for the hour it got there. Same retention.
- ``TrafficPoolVersion`` / ``TrafficPool``: versioned, effective-dated pool definitions
  (entry views per pool and the signal bars typical of videos promoted into it). Periods
  never overlap (exclusion constraint); a video is judged by the version in force on the
  day it was posted, so a new version never rewrites an old video's result.
- ``VideoWave``: per video, the highest pool reached, when, and for a stalled video the
  signal that fell short of the next pool's bar. ``CreatorWaveSummary``: per creator, date
  and window, how many videos stopped at each pool and the weakest signal. Both are written
  only by ``creators.services.waves`` (set-based SQL in the recalculation chunks).
"""

from decimal import Decimal

from django.db import models
from django.db.models import F, Func, Q, Value

from creators.models.metrics import Video, _non_negative
from creators.models.periods import effective_period_constraints
from creators.models.roster import Creator


class Signal(models.TextChoices):
    """The signals in the order the platform weighs them (completion first), then saves."""

    COMPLETION = "completion", "completion"
    REPLAYS = "replays", "replays"
    LIKES = "likes", "likes"
    COMMENTS = "comments", "comments"
    SHARES = "shares", "shares"
    SAVES = "saves", "saves"


VIDEO_DAILY_COUNT_FIELDS = [
    "views",
    "for_you_views",
    "follower_views",
    "completed_views",
    "replays",
    "likes",
    "comments",
    "shares",
    "saves",
    "watch_time_seconds",
]


class VideoCounts(models.Model):
    """What a video did over one period of its life (a day, an hour): increments, not
    running totals. Subsets never exceed views (PostgreSQL checks, ``_counts_constraints``)."""

    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="+")
    views = models.BigIntegerField("views", default=0)
    for_you_views = models.BigIntegerField(
        "For You views", default=0, help_text="Views from the recommendation feed."
    )
    follower_views = models.BigIntegerField(
        "follower views", default=0, help_text="Views from the account's followers."
    )
    completed_views = models.BigIntegerField(
        "completed views", default=0, help_text="Views watched to the end."
    )
    replays = models.BigIntegerField("replays", default=0)
    likes = models.BigIntegerField("likes", default=0)
    comments = models.BigIntegerField("comments", default=0)
    shares = models.BigIntegerField("shares", default=0)
    saves = models.BigIntegerField("saves", default=0)
    watch_time_seconds = models.BigIntegerField("watch time (seconds)", default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True


def _counts_constraints(prefix: str, *, key: str, noun: str) -> list:
    return [
        models.UniqueConstraint(
            fields=["video", key],
            name=f"{prefix}_unique_video_{key}",
            violation_error_message=f"This video has metrics for that {noun} already.",
        ),
        *_non_negative(prefix, VIDEO_DAILY_COUNT_FIELDS),
        models.CheckConstraint(
            name=f"{prefix}_completed_within_views",
            condition=Q(completed_views__lte=F("views")),
            violation_error_message="Completed views cannot exceed views.",
        ),
        models.CheckConstraint(
            name=f"{prefix}_sources_within_views",
            condition=Q(for_you_views__lte=F("views") - F("follower_views")),
            violation_error_message="For You and follower views cannot exceed views.",
        ),
    ]


class VideoDailyMetric(VideoCounts):
    # No index of its own: the unique (video, date) index starts with it (and gives a video's
    # days in date order).
    video = models.ForeignKey(
        Video, on_delete=models.CASCADE, related_name="daily_metrics", db_index=False
    )
    date = models.DateField("date")
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["video", "date"]
        constraints = _counts_constraints("video_daily", key="date", noun="day")

    def __str__(self) -> str:
        return f"{self.video_id} {self.date}"


class VideoHourlyMetric(VideoCounts):
    """One hour of a video's life (UTC, the hour's start), under the daily rows' rules."""

    # No index of its own either: the unique (video, hour) index starts with it.
    video = models.ForeignKey(
        Video, on_delete=models.CASCADE, related_name="hourly_metrics", db_index=False
    )
    hour = models.DateTimeField("hour", help_text="The hour's start (UTC).")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["video", "hour"]
        constraints = [
            *_counts_constraints("video_hourly", key="hour", noun="hour"),
            models.CheckConstraint(
                name="video_hourly_on_the_hour",
                condition=Q(
                    hour=Func(
                        Value("hour"),
                        F("hour"),
                        Value("UTC"),
                        function="date_trunc",
                        output_field=models.DateTimeField(),
                    )
                ),
                violation_error_message="An hourly row starts on the hour.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.video_id} {self.hour:%Y-%m-%d %H:00}"


def _rate(verbose: str, max_digits: int = 9, **kwargs) -> models.DecimalField:
    return models.DecimalField(verbose, max_digits=max_digits, decimal_places=6, **kwargs)


def _bar(signal: str) -> models.DecimalField:
    return _rate(
        f"{signal} bar",
        null=True,
        blank=True,
        help_text=f"Typical {signal} rate (per view) of videos promoted into this pool.",
    )


class TrafficPoolVersion(models.Model):
    version = models.PositiveSmallIntegerField("version", unique=True)
    effective_from = models.DateField("effective from", help_text="Videos posted on or after.")
    effective_to = models.DateField(
        "effective to", null=True, blank=True, help_text="Exclusive; empty while in force."
    )
    settle_days = models.PositiveSmallIntegerField(
        "settled after (days)",
        default=3,
        help_text="A video this many days old that has not reached the top pool has stalled.",
    )
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["-effective_from"]
        constraints = [
            *effective_period_constraints(name="pool_version", label="pool version"),
        ]

    def __str__(self) -> str:
        return f"pools v{self.version} from {self.effective_from}"


class TrafficPool(models.Model):
    """One pool of a version: a video is in it once its views reach ``min_views``."""

    version = models.ForeignKey(TrafficPoolVersion, on_delete=models.CASCADE, related_name="pools")
    number = models.PositiveSmallIntegerField("pool")
    min_views = models.PositiveBigIntegerField("entry views", help_text="Reached at this many.")
    completion_bar = _bar("completion")
    replays_bar = _bar("replays")
    likes_bar = _bar("likes")
    comments_bar = _bar("comments")
    shares_bar = _bar("shares")
    saves_bar = _bar("saves")

    class Meta:
        ordering = ["version", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "number"],
                name="pool_unique_number",
                violation_error_message="This version has that pool already.",
            ),
            models.UniqueConstraint(
                fields=["version", "min_views"],
                name="pool_unique_entry_views",
                violation_error_message="Two pools of a version cannot start at the same views.",
            ),
            models.CheckConstraint(
                name="pool_number_positive",
                condition=Q(number__gte=1),
                violation_error_message="Pools are numbered from 1.",
            ),
            *[
                models.CheckConstraint(
                    name=f"pool_{signal.value}_bar_rate",
                    condition=Q(**{f"{signal.value}_bar__isnull": True})
                    | Q(**{f"{signal.value}_bar__gte": 0, f"{signal.value}_bar__lte": 1}),
                    violation_error_message="A bar is a rate between 0 and 1.",
                )
                for signal in Signal
                if signal != Signal.REPLAYS
            ],
            models.CheckConstraint(
                name="pool_replays_bar_non_negative",
                condition=Q(replays_bar__isnull=True) | Q(replays_bar__gte=0),
                violation_error_message="A replay bar cannot be negative.",
            ),
        ]

    def __str__(self) -> str:
        return f"pool {self.number} (>= {self.min_views:,} views)"


class VideoWave(models.Model):
    """A video's progression through the pools (the latest computation)."""

    video = models.OneToOneField(
        Video, on_delete=models.CASCADE, primary_key=True, related_name="wave"
    )
    # No index of its own: video_wave_by_creator (creator, posted_on) starts with it.
    creator = models.ForeignKey(
        Creator, on_delete=models.CASCADE, related_name="video_waves", db_index=False
    )
    posted_on = models.DateField("posted on")
    pool_version = models.ForeignKey(
        TrafficPoolVersion, on_delete=models.PROTECT, related_name="+", verbose_name="pools"
    )
    views = models.BigIntegerField("views")
    pool = models.PositiveSmallIntegerField("highest pool")
    reached_on = models.DateField(
        "reached on", null=True, blank=True, help_text="Empty without daily rows that show it."
    )
    reached_at = models.DateTimeField(
        "reached at",
        null=True,
        blank=True,
        help_text="The hour it got there (UTC), when hourly rows show it.",
    )
    next_pool = models.PositiveSmallIntegerField("next pool", null=True, blank=True)
    next_pool_views = models.BigIntegerField("next pool's entry views", null=True, blank=True)
    completion_rate = _rate("completion rate", null=True, blank=True)
    replays_rate = _rate("replays per view", max_digits=12, null=True, blank=True)
    likes_rate = _rate("like rate", null=True, blank=True)
    comments_rate = _rate("comment rate", null=True, blank=True)
    shares_rate = _rate("share rate", null=True, blank=True)
    saves_rate = _rate("save rate", null=True, blank=True, help_text="Needs daily rows.")
    stalled = models.BooleanField(
        "stalled", help_text="Settled below the top pool (older than the version's settle days)."
    )
    stopping_signal = models.CharField(
        "stopping signal", max_length=20, choices=Signal.choices, blank=True
    )
    stopping_actual = _rate("its value", max_digits=12, null=True, blank=True)
    stopping_bar = _rate("next pool's bar", null=True, blank=True)
    signals_short = models.PositiveSmallIntegerField(
        "signals short of the next bar", default=0, help_text="1: one step short."
    )
    computed_at = models.DateTimeField("computed at")

    class Meta:
        ordering = ["-posted_on", "video"]
        indexes = [
            models.Index(fields=["creator", "posted_on"], name="video_wave_by_creator"),
            models.Index(
                fields=["creator", "posted_on"],
                name="video_wave_one_short",
                condition=Q(stalled=True, signals_short=1),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.video_id}: pool {self.pool}"

    def explanation(self) -> str:
        """Why the video is where it is, e.g. "completion 31.0 % vs ~45.0 % typical for pool
        3" (rates per view, as percentages)."""
        if self.next_pool is None:
            return f"Reached the top pool ({self.pool})."
        if not self.stopping_signal:
            return (
                f"Every signal meets pool {self.next_pool}'s bars; "
                f"{self.next_pool_views - self.views:,} more views reach it."
            )
        short = (
            f"{self.get_stopping_signal_display()} {percent(self.stopping_actual)} vs "
            f"~{percent(self.stopping_bar)} typical for pool {self.next_pool}"
        )
        if self.signals_short > 1:
            short += f" (and {self.signals_short - 1} more signal(s) short)"
        return short


def percent(rate: Decimal | None) -> str:
    return "-" if rate is None else f"{rate * 100:.1f} %"


class CreatorWaveSummary(models.Model):
    """Per creator, date and window: videos posted in the window by the pool they stopped at.

    ``videos_by_pool`` maps pool number (as text) to the number of videos whose highest pool
    it is; the share reaching at least pool N is derived from it (``reach_shares``).
    """

    # No index of its own: the unique (creator, as_of, window) index starts with it.
    creator = models.ForeignKey(
        Creator, on_delete=models.CASCADE, related_name="wave_summaries", db_index=False
    )
    as_of = models.DateField("as of")
    window_days = models.PositiveSmallIntegerField("window (days)")
    videos = models.PositiveIntegerField("videos posted", default=0)
    videos_by_pool = models.JSONField("videos by highest pool", default=dict, blank=True)
    stalled_videos = models.PositiveIntegerField("stalled videos", default=0)
    weakest_signal = models.CharField(
        "weakest signal", max_length=20, choices=Signal.choices, blank=True
    )
    weakest_signal_videos = models.PositiveIntegerField("videos it stopped", default=0)
    computed_at = models.DateTimeField("computed at")

    class Meta:
        ordering = ["creator", "-as_of", "window_days"]
        constraints = [
            models.UniqueConstraint(
                fields=["creator", "as_of", "window_days"],
                name="creator_wave_summary_unique",
                violation_error_message="One wave summary per creator, date and window.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.creator_id} {self.as_of} {self.window_days}d"

    def reach_shares(self) -> dict[int, Decimal]:
        """Pool number -> share of the window's videos that reached at least that pool."""
        counts = {int(k): v for k, v in self.videos_by_pool.items()}
        if not self.videos or not counts:
            return {}
        shares, reached = {}, 0
        for number in range(max(counts), 0, -1):
            reached += counts.get(number, 0)
            shares[number] = (Decimal(reached) / self.videos).quantize(Decimal("0.0001"))
        return dict(sorted(shares.items()))
