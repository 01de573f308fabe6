"""Recalculation runs and their chunks; failed chunks can be retried."""

from django.contrib import admin, messages
from django.http import HttpRequest

from agency.admin_actions import requires
from agency.admin_base import ReadOnlyInline
from creators.models import (
    RecalcChunk,
    RecalcRun,
)
from creators.services import recalc


class RecalcChunkInline(ReadOnlyInline):
    model = RecalcChunk
    fields = ["index", "status", "attempts", "rows_written", "error", "started_at", "finished_at"]
    readonly_fields = fields


@admin.register(RecalcRun)
class RecalcRunAdmin(admin.ModelAdmin):
    list_display = [
        "pk",
        "as_of",
        "mode",
        "trigger",
        "status",
        "creators_total",
        "chunks_done",
        "chunks_failed",
        "chunks_total",
        "started_at",
        "duration",
    ]
    list_filter = ["status", "mode", "trigger"]
    inlines = [RecalcChunkInline]
    actions = ["retry_failed"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # a run is the workers' record: no Save on its page

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    has_retry_permission = requires("creators.change_recalcrun")

    @admin.action(description="Retry failed chunks (queued to workers)", permissions=["retry"])
    def retry_failed(self, request: HttpRequest, queryset) -> None:
        total = sum(len(recalc.recalc_run_retry_failed(run_id=run.pk)) for run in queryset)
        self.message_user(request, f"{total} chunk(s) queued again.", messages.SUCCESS)
