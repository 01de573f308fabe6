"""Raw metrics pushed by data partners: one row per video and one per account and day.

Counts are never negative and subsets never exceed their whole (completed and qualified
views <= views); PostgreSQL enforces both, so a bad import cannot store them either.
``updated_at`` moves only when a row's values change; incremental recalculation reads it.
"""

from django.db import models
from django.db.models import F, Q

from creators.models.roster import PlatformAccount

VIDEO_COUNT_FIELDS = [
    "views",
    "qualified_views",
    "completed_views",
    "replays",
    "likes",
    "comments",
    "shares",
]
DAILY_COUNT_FIELDS = [
    "followers",
    "views",
    "qualified_views",
    "watch_time_seconds",
    "videos_posted",
]
# Rule-violation flags, sent with the daily metrics (programs require "no rule violations").
DAILY_FLAG_FIELDS = ["guideline_strikes", "throttled"]


def _non_negative(prefix: str, fields: list[str]) -> list[models.CheckConstraint]:
    return [
        models.CheckConstraint(
            name=f"{prefix}_{field}_non_negative",
            condition=Q(**{f"{field}__gte": 0}),
            violation_error_message=f"{field.replace('_', ' ').capitalize()} cannot be negative.",
        )
        for field in fields
    ]


class Video(models.Model):
    account = models.ForeignKey(PlatformAccount, on_delete=models.CASCADE, related_name="videos")
    platform_video_id = models.CharField("platform video id", max_length=100)
    posted_at = models.DateTimeField("posted at")
    duration_seconds = models.PositiveIntegerField("duration (seconds)")
    views = models.BigIntegerField("views", default=0)
    qualified_views = models.BigIntegerField(
        "qualified views", default=0, help_text="Views the platform counts for payment."
    )
    completed_views = models.BigIntegerField(
        "completed views", default=0, help_text="Views watched to the end."
    )
    replays = models.BigIntegerField("replays", default=0)
    likes = models.BigIntegerField("likes", default=0)
    comments = models.BigIntegerField("comments", default=0)
    shares = models.BigIntegerField("shares", default=0)
    is_original = models.BooleanField("original content", default=True)
    niche = models.CharField("niche", max_length=60, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["-posted_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "platform_video_id"],
                name="video_unique_account_platform_id",
                violation_error_message="This video is stored already.",
            ),
            *_non_negative("video", [*VIDEO_COUNT_FIELDS, "duration_seconds"]),
            models.CheckConstraint(
                name="video_completed_within_views",
                condition=Q(completed_views__lte=F("views")),
                violation_error_message="Completed views cannot exceed views.",
            ),
            models.CheckConstraint(
                name="video_qualified_within_views",
                condition=Q(qualified_views__lte=F("views")),
                violation_error_message="Qualified views cannot exceed views.",
            ),
        ]
        indexes = [models.Index(fields=["account", "posted_at"], name="video_by_account_posted")]

    def __str__(self) -> str:
        return f"{self.platform_video_id} ({self.account_id})"


class DailyAccountMetric(models.Model):
    account = models.ForeignKey(
        PlatformAccount, on_delete=models.CASCADE, related_name="daily_metrics"
    )
    date = models.DateField("date")
    followers = models.BigIntegerField("followers", default=0, help_text="At the end of the day.")
    views = models.BigIntegerField("views", default=0)
    qualified_views = models.BigIntegerField("qualified views", default=0)
    watch_time_seconds = models.BigIntegerField("watch time (seconds)", default=0)
    videos_posted = models.PositiveIntegerField("videos posted", default=0)
    guideline_strikes = models.PositiveSmallIntegerField(
        "community-guidelines strikes",
        default=0,
        db_default=0,  # rows loaded without the column (COPY, raw SQL) have none
        help_text="Active on that day.",
    )
    throttled = models.BooleanField(
        "throttled",
        default=False,
        db_default=False,
        help_text="The platform limited the account's distribution.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["account", "-date"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "date"],
                name="daily_metric_unique_account_date",
                violation_error_message="This account has metrics for that day already.",
            ),
            *_non_negative("daily_metric", DAILY_COUNT_FIELDS),
            models.CheckConstraint(
                name="daily_metric_qualified_within_views",
                condition=Q(qualified_views__lte=F("views")),
                violation_error_message="Qualified views cannot exceed views.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.date}"

    def restriction(self) -> str:
        """Why the account is marked ("" when it is not): strikes and throttling lower the
        distribution the platform gives its videos, so pools and score understate them."""
        parts = []
        if self.guideline_strikes:
            s = "s" if self.guideline_strikes > 1 else ""
            parts.append(f"{self.guideline_strikes} community-guidelines strike{s}")
        if self.throttled:
            parts.append("throttled")
        if not parts:
            return ""
        return (
            f"{' and '.join(parts)} on {self.date}: the platform limits this account's "
            "distribution, so its pools and score understate the content"
        )
