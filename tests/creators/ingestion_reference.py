"""The row serializers ingestion validated with before its column parser: the reference
the parser is compared with (tests/creators/test_ingestion_parser.py)."""

import datetime as dt

from django.utils import timezone
from rest_framework import serializers

from agency.validation import validate_date_in_range
from creators.models import Platform


def _today() -> dt.date:
    return timezone.now().date()


class _AccountRowSerializer(serializers.Serializer):
    platform = serializers.ChoiceField(choices=Platform.choices)
    platform_account_id = serializers.CharField(max_length=100, required=False, allow_blank=True)
    handle = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        help_text="Used (with the handle history) when platform_account_id is absent.",
    )

    def validate(self, attrs: dict) -> dict:
        attrs["handle"] = attrs.get("handle", "").lstrip("@")
        if not attrs.get("platform_account_id") and not attrs["handle"]:
            raise serializers.ValidationError(
                {"platform_account_id": ["Give platform_account_id or handle."]}
            )
        return attrs


def _count() -> serializers.IntegerField:
    return serializers.IntegerField(min_value=0, max_value=10**15)


class DailyMetricRowSerializer(_AccountRowSerializer):
    date = serializers.DateField(validators=[validate_date_in_range])
    followers = _count()
    views = _count()
    qualified_views = _count()
    watch_time_seconds = _count()
    videos_posted = serializers.IntegerField(min_value=0, max_value=100_000)
    guideline_strikes = serializers.IntegerField(
        min_value=0, max_value=100, default=0, help_text="Active community-guidelines strikes."
    )
    throttled = serializers.BooleanField(
        default=False, help_text="The platform limits the account's distribution."
    )

    def validate_date(self, value: dt.date) -> dt.date:
        if value > _today():
            raise serializers.ValidationError("Dates in the future are refused.")
        return value

    def validate(self, attrs: dict) -> dict:
        attrs = super().validate(attrs)
        if attrs["qualified_views"] > attrs["views"]:
            raise serializers.ValidationError({"qualified_views": ["Cannot exceed views."]})
        return attrs


class VideoRowSerializer(_AccountRowSerializer):
    platform_video_id = serializers.CharField(max_length=100)
    posted_at = serializers.DateTimeField(validators=[validate_date_in_range])
    duration_seconds = serializers.IntegerField(min_value=0, max_value=86_400)
    views = _count()
    qualified_views = _count()
    completed_views = _count()
    replays = _count()
    likes = _count()
    comments = _count()
    shares = _count()
    is_original = serializers.BooleanField(default=True)
    niche = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")

    def validate_posted_at(self, value: dt.datetime) -> dt.datetime:
        if value > timezone.now():
            raise serializers.ValidationError("Dates in the future are refused.")
        return value

    def validate(self, attrs: dict) -> dict:
        attrs = super().validate(attrs)
        for subset in ("completed_views", "qualified_views"):
            if attrs[subset] > attrs["views"]:
                raise serializers.ValidationError({subset: ["Cannot exceed views."]})
        return attrs


class VideoDailyRowSerializer(_AccountRowSerializer):
    """One day of one video's life: that day's counts (not running totals)."""

    platform_video_id = serializers.CharField(max_length=100)
    date = serializers.DateField(validators=[validate_date_in_range])
    views = _count()
    for_you_views = _count()
    follower_views = _count()
    completed_views = _count()
    replays = _count()
    likes = _count()
    comments = _count()
    shares = _count()
    saves = _count()
    watch_time_seconds = _count()

    validate_date = DailyMetricRowSerializer.validate_date  # the same date rules

    def validate(self, attrs: dict) -> dict:
        attrs = super().validate(attrs)
        if attrs["completed_views"] > attrs["views"]:
            raise serializers.ValidationError({"completed_views": ["Cannot exceed views."]})
        if attrs["for_you_views"] + attrs["follower_views"] > attrs["views"]:
            raise serializers.ValidationError(
                {"for_you_views": ["For You and follower views together cannot exceed views."]}
            )
        return attrs


REFERENCE = {
    "daily": DailyMetricRowSerializer,
    "videos": VideoRowSerializer,
    "video_daily": VideoDailyRowSerializer,
}
