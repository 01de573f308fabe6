"""Traffic pools in the admin: pool and scoring versions (data), daily and hourly video
rows, video waves (the talent manager's coaching list) and the creator page's pool progression."""

import datetime as dt

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join

from creators import selectors
from creators.admin.base import ScopedByCreatorAdmin
from creators.admin.metrics import MetricsImportMixin
from creators.models import (
    Creator,
    ScoringVersion,
    Signal,
    TrafficPool,
    TrafficPoolVersion,
    VideoDailyMetric,
    VideoHourlyMetric,
    VideoWave,
)
from creators.models.waves import percent


class TrafficPoolInline(admin.TabularInline):
    model = TrafficPool
    fields = [
        "number",
        "min_views",
        *[f"{signal.value}_bar" for signal in Signal],
    ]
    extra = 0


@admin.register(TrafficPoolVersion)
class TrafficPoolVersionAdmin(admin.ModelAdmin):
    """Versions are data: a change of thresholds is a new version from a date, so videos
    posted before keep the result of the version they were judged by."""

    list_display = ["version", "effective_from", "effective_to", "settle_days"]
    inlines = [TrafficPoolInline]


@admin.register(ScoringVersion)
class ScoringVersionAdmin(admin.ModelAdmin):
    """Score weights and tier floors; the form validates them (``ScoringVersion.clean``)."""

    list_display = ["version", "effective_from", "effective_to", "tier_floors"]


@admin.register(VideoDailyMetric)
class VideoDailyMetricAdmin(MetricsImportMixin, ScopedByCreatorAdmin):
    creator_path = "video__account__creator"
    list_display = ["video", "date", "views", "for_you_views", "follower_views", "saves"]
    list_filter = ["video__account__platform", "date"]
    search_fields = ["video__platform_video_id", "video__account__handle"]
    list_select_related = ["video"]
    raw_id_fields = ["video"]
    date_hierarchy = "date"
    change_list_template = "admin/creators/metrics_change_list.html"


@admin.register(VideoHourlyMetric)
class VideoHourlyMetricAdmin(MetricsImportMixin, ScopedByCreatorAdmin):
    """Intraday rows from data partners; each day's daily row is their sum."""

    creator_path = "video__account__creator"
    list_display = ["video", "hour", "views", "for_you_views", "follower_views", "saves"]
    list_filter = ["video__account__platform"]
    search_fields = ["video__platform_video_id", "video__account__handle"]
    list_select_related = ["video"]
    raw_id_fields = ["video"]
    date_hierarchy = "hour"
    change_list_template = "admin/creators/metrics_change_list.html"


def reached(wave: VideoWave) -> str:
    """When the video got to its pool: "2026-11-20 14:00 UTC" with hourly rows, else the day."""
    if wave.reached_at is not None:
        return f"{wave.reached_at.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC"
    return str(wave.reached_on or "-")


class OneStepShortFilter(admin.SimpleListFilter):
    title = "stalled one step short of the next pool"
    parameter_name = "one_step_short"

    def lookups(self, request, model_admin):
        return [("yes", "Yes: one bar missed")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return selectors.video_waves_one_step_short(queryset)
        return queryset


@admin.register(VideoWave)
class VideoWaveAdmin(ScopedByCreatorAdmin):
    """Read-only: rows come from the recalculation. A talent manager sees their creators'."""

    creator_path = "creator"
    list_display = [
        "video",
        "creator",
        "posted_on",
        "views",
        "pool",
        "reached",
        "stalled",
        "stopping_signal",
        "explanation",
    ]
    list_filter = [OneStepShortFilter, "stalled", "pool", "stopping_signal"]
    search_fields = ["video__platform_video_id", "creator__stage_name"]
    list_select_related = ["video", "creator"]
    date_hierarchy = "posted_on"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description="why")
    def explanation(self, obj: VideoWave) -> str:
        return obj.explanation()

    @admin.display(description="reached", ordering="reached_on")
    def reached(self, obj: VideoWave) -> str:
        return reached(obj)


class CreatorWavesMixin:
    """The creator page's "Traffic pools" block (a read-only field)."""

    @admin.display(description="traffic pools")
    def waves_summary(self, obj: Creator):
        # Long on purpose: one admin panel rendered in reading order (restrictions, then each
        # account's waves); its parts are HTML fragments with no logic of their own.
        if not obj.pk:
            return "-"
        restrictions = format_html_join(
            "",
            '<p style="color:#b00"><strong>Marked:</strong> @{}: {}</p>',
            (
                (m.account.handle, m.restriction())
                for m in selectors.account_restrictions(creator=obj, as_of=None)
            ),
        )
        summaries = selectors.creator_waves(creator=obj, as_of=None)
        if not summaries:
            return format_html("{}Not computed yet.", restrictions)
        windows = format_html_join(
            "",
            "<tr><td>{} d</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    s.window_days,
                    s.videos,
                    " · ".join(
                        f"pool {pool}: {percent(share)}" for pool, share in s.reach_shares().items()
                    )
                    or "-",
                    s.stalled_videos,
                    (
                        f"{s.get_weakest_signal_display()} "
                        f"(stopped {s.weakest_signal_videos} of {s.stalled_videos})"
                        if s.weakest_signal
                        else "-"
                    ),
                )
                for s in summaries
            ),
        )
        videos = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>pool {}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    w.video.platform_video_id,
                    w.posted_on,
                    f"{w.views:,}",
                    w.pool,
                    reached(w),
                    w.explanation(),
                )
                for w in selectors.video_waves_of_creator(creator=obj)
            ),
        )
        return format_html(
            "{}As of {}<table><tr><th>window</th><th>videos</th><th>share reaching</th>"
            "<th>stalled</th><th>weakest signal</th></tr>{}</table>"
            "Latest videos<table><tr><th>video</th><th>posted</th><th>views</th><th>pool</th>"
            "<th>reached</th><th>next pool</th></tr>{}</table>",
            restrictions,
            summaries[0].as_of,
            windows,
            videos,
        )
