"""Daily metrics and videos, with the CSV import page (the ingestion service)."""

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from rest_framework.exceptions import ValidationError

from creators.admin.base import ScopedByCreatorAdmin
from creators.models import (
    DailyAccountMetric,
    Video,
)
from creators.selectors import creators_for_staff
from creators.services.ingestion import format_errors, metrics_ingest_csv


class ImportMetricsForm(forms.Form):
    file = forms.FileField(help_text="CSV with a header row (see the API for the columns).")
    kind = forms.ChoiceField(
        choices=[
            ("daily", "Daily account metrics"),
            ("videos", "Videos"),
            ("video_daily", "Daily video metrics"),
            ("video_hourly", "Hourly video metrics"),
        ]
    )
    dry_run = forms.BooleanField(
        required=False, initial=True, help_text="Report what would change; write nothing."
    )


class MetricsImportMixin:
    """An "Import CSV" page on the metrics admins, using the ingestion service."""

    def get_urls(self):
        info = self.model._meta.app_label, self.model._meta.model_name
        return [
            path(
                "import-csv/",
                self.admin_site.admin_view(self.import_csv_view),
                name="{}_{}_import_csv".format(*info),
            ),
            *super().get_urls(),
        ]

    def import_csv_view(self, request: HttpRequest):
        if not self.has_add_permission(request):
            self.message_user(
                request, "Importing metrics needs the permission to add them.", messages.ERROR
            )
            return redirect("admin:index")
        form = ImportMetricsForm(request.POST or None, request.FILES or None)
        result, errors = None, []
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            text = (line.decode("utf-8-sig") for line in upload)
            try:
                result = metrics_ingest_csv(
                    kind=form.cleaned_data["kind"],
                    file=text,
                    dry_run=form.cleaned_data["dry_run"],
                    creators=creators_for_staff(user=request.user),  # a manager's own only
                )
            except (ValidationError, UnicodeDecodeError) as exc:
                errors = format_errors(getattr(exc, "detail", str(exc)))
            else:
                if not result.dry_run:
                    self.message_user(
                        request,
                        f"Imported: {result.created} created, {result.updated} updated, "
                        f"{result.unchanged} unchanged.",
                        messages.SUCCESS,
                    )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Import metrics from CSV",
            "form": form,
            "result": result,
            "changes": result.changes[:200] if result else [],
            "errors": errors,
        }
        return TemplateResponse(request, "admin/creators/import_metrics.html", context)


@admin.register(DailyAccountMetric)
class DailyAccountMetricAdmin(MetricsImportMixin, ScopedByCreatorAdmin):
    list_display = ["account", "date", "followers", "views", "qualified_views", "videos_posted"]
    list_filter = ["account__platform", "date"]
    search_fields = ["account__handle", "account__platform_account_id"]
    list_select_related = ["account"]
    raw_id_fields = ["account"]
    date_hierarchy = "date"
    change_list_template = "admin/creators/metrics_change_list.html"


@admin.register(Video)
class VideoAdmin(MetricsImportMixin, ScopedByCreatorAdmin):
    list_display = ["platform_video_id", "account", "posted_at", "duration_seconds", "views"]
    list_filter = ["account__platform", "is_original"]
    search_fields = ["platform_video_id", "account__handle"]
    list_select_related = ["account"]
    raw_id_fields = ["account"]
    change_list_template = "admin/creators/metrics_change_list.html"
