"""Traffic-pool waves in the partner API: per-video reads and the creator's summary shapes.

``/videos/`` and ``/videos/{id}/`` are scoped like ``/creators/`` (a sub-agency sees its own
creators' videos, a brand the videos of active creators, a data partner nothing); another
partner's video is a 404.
"""

import django_filters
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers

from agency.api.views import PartnerListAPIView, PartnerRetrieveAPIView
from agency.models import Partner
from creators import selectors
from creators.api.serializers import PerformanceOutputSerializer
from creators.models import CreatorWaveSummary, Signal, Video, VideoDailyMetric, VideoWave
from creators.models.waves import VIDEO_DAILY_COUNT_FIELDS

READERS = (Partner.Kind.BRAND.value, Partner.Kind.SUB_AGENCY.value)
# A signal, or "" for none; one enum in the schema (settings' ENUM_NAME_OVERRIDES).
SIGNAL_OR_NONE = [("", "none"), *Signal.choices]


class SignalRatesSerializer(serializers.Serializer):
    completion = serializers.DecimalField(
        source="completion_rate", max_digits=9, decimal_places=6, allow_null=True
    )
    replays = serializers.DecimalField(
        source="replays_rate", max_digits=12, decimal_places=6, allow_null=True
    )
    likes = serializers.DecimalField(
        source="likes_rate", max_digits=9, decimal_places=6, allow_null=True
    )
    comments = serializers.DecimalField(
        source="comments_rate", max_digits=9, decimal_places=6, allow_null=True
    )
    shares = serializers.DecimalField(
        source="shares_rate", max_digits=9, decimal_places=6, allow_null=True
    )
    saves = serializers.DecimalField(
        source="saves_rate", max_digits=9, decimal_places=6, allow_null=True
    )


class VideoWaveSerializer(serializers.ModelSerializer):
    """Rates are per view (completion 0.31 = 31 %); the bar is the next pool's typical rate."""

    pool_version = serializers.IntegerField(source="pool_version.version")
    signals = SignalRatesSerializer(source="*")
    stopping_signal = serializers.ChoiceField(
        choices=SIGNAL_OR_NONE, help_text="Empty when no bar is missed."
    )
    explanation = serializers.CharField()

    class Meta:
        model = VideoWave
        fields = [
            "pool",
            "reached_on",
            "reached_at",
            "next_pool",
            "next_pool_views",
            "stalled",
            "stopping_signal",
            "stopping_actual",
            "stopping_bar",
            "signals_short",
            "explanation",
            "signals",
            "pool_version",
            "computed_at",
        ]


class VideoSerializer(serializers.ModelSerializer):
    creator_id = serializers.IntegerField(source="account.creator_id")
    platform = serializers.CharField(source="account.platform")
    wave = serializers.SerializerMethodField(help_text="Empty until the next recalculation.")

    class Meta:
        model = Video
        fields = [
            "id",
            "creator_id",
            "account_id",
            "platform",
            "platform_video_id",
            "posted_at",
            "duration_seconds",
            "views",
            "wave",
        ]

    @extend_schema_field(VideoWaveSerializer(allow_null=True))
    def get_wave(self, video: Video) -> dict | None:
        wave = getattr(video, "wave", None)
        if wave is None:
            return None
        return VideoWaveSerializer(wave, context=self.context).data


class VideoDayShape(serializers.ModelSerializer):
    class Meta:
        model = VideoDailyMetric
        fields = ["date", *VIDEO_DAILY_COUNT_FIELDS]


class VideoDetailSerializer(VideoSerializer):
    daily = serializers.SerializerMethodField(help_text="The video's first days, oldest first.")

    class Meta(VideoSerializer.Meta):
        fields = [*VideoSerializer.Meta.fields, "daily"]

    @extend_schema_field(VideoDayShape(many=True))
    def get_daily(self, video: Video) -> list[dict]:
        return VideoDayShape(selectors.video_daily_series(video=video), many=True).data


class PoolReachSerializer(serializers.Serializer):
    pool = serializers.IntegerField()
    videos_stopped_here = serializers.IntegerField()
    share_reaching = serializers.DecimalField(
        max_digits=5, decimal_places=4, help_text="Share of the window's videos reaching it."
    )


class WaveSummarySerializer(serializers.ModelSerializer):
    pools = serializers.SerializerMethodField()
    weakest_signal = serializers.ChoiceField(choices=SIGNAL_OR_NONE)

    class Meta:
        model = CreatorWaveSummary
        fields = [
            "window_days",
            "videos",
            "pools",
            "stalled_videos",
            "weakest_signal",
            "weakest_signal_videos",
        ]

    @extend_schema_field(PoolReachSerializer(many=True))
    def get_pools(self, summary: CreatorWaveSummary) -> list[dict]:
        stopped = {int(k): v for k, v in summary.videos_by_pool.items()}
        rows = [
            {"pool": pool, "videos_stopped_here": stopped.get(pool, 0), "share_reaching": share}
            for pool, share in summary.reach_shares().items()
        ]
        return PoolReachSerializer(rows, many=True).data


class WaveTrendSerializer(serializers.ModelSerializer):
    pools = serializers.SerializerMethodField()

    class Meta:
        model = CreatorWaveSummary
        fields = ["as_of", "videos", "pools", "weakest_signal"]

    @extend_schema_field(PoolReachSerializer(many=True))
    def get_pools(self, summary: CreatorWaveSummary) -> list[dict]:
        return WaveSummarySerializer().get_pools(summary)


class WavesSerializer(serializers.Serializer):
    windows = WaveSummarySerializer(many=True, help_text="28 and 90 days up to the snapshot.")
    trend = WaveTrendSerializer(many=True, help_text="28-day summaries by date, oldest first.")


class RestrictionSerializer(serializers.Serializer):
    account_id = serializers.IntegerField()
    handle = serializers.CharField(source="account.handle")
    date = serializers.DateField(help_text="The latest daily row, on or before the snapshot.")
    guideline_strikes = serializers.IntegerField()
    throttled = serializers.BooleanField()
    message = serializers.CharField(source="restriction")


class PerformanceWithWavesSerializer(PerformanceOutputSerializer):
    waves = WavesSerializer(allow_null=True, help_text="Empty until waves are computed.")
    restrictions = RestrictionSerializer(
        many=True, help_text="Accounts with a guidelines strike or throttling (marked)."
    )


class VideoFilter(django_filters.FilterSet):
    creator = django_filters.NumberFilter(field_name="account__creator_id", label="Creator id")
    pool = django_filters.NumberFilter(field_name="wave__pool", label="Highest pool reached")
    stalled = django_filters.BooleanFilter(field_name="wave__stalled")
    stopping_signal = django_filters.ChoiceFilter(
        field_name="wave__stopping_signal", choices=Signal.choices
    )
    one_step_short = django_filters.BooleanFilter(
        method="filter_one_step_short", label="Stalled with exactly one bar missed"
    )
    posted_after = django_filters.DateFilter(field_name="posted_at__date", lookup_expr="gte")

    class Meta:
        model = Video
        fields = [
            "creator",
            "pool",
            "stalled",
            "stopping_signal",
            "one_step_short",
            "posted_after",
        ]

    def filter_one_step_short(self, qs, name: str, value: bool):
        short = {"wave__stalled": True, "wave__signals_short": 1}
        return qs.filter(**short) if value else qs.exclude(**short)


class _VideoScoped:
    partner_kinds = READERS
    queryset = Video.objects.none()

    def get_partner_queryset(self, partner):
        return selectors.video_list_for_partner(partner=partner).select_related(
            "wave__pool_version"
        )


@extend_schema(
    summary="List videos with their traffic pool",
    description=(
        "Each video's highest pool, when it got there and, below the top pool, the signal "
        "short of the next pool's bar. Scoped like /creators/."
    ),
    responses=VideoSerializer(many=True),
)
class VideoListApi(_VideoScoped, PartnerListAPIView):
    serializer_class = VideoSerializer
    filterset_class = VideoFilter


@extend_schema(
    summary="A video, its traffic pool and its first days",
    responses=VideoDetailSerializer,
)
class VideoDetailApi(_VideoScoped, PartnerRetrieveAPIView):
    serializer_class = VideoDetailSerializer
