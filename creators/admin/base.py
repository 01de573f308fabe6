"""Shared admin pieces: talent managers see only their own creators' rows."""

from django.contrib import admin
from django.http import HttpRequest


class ScopedByCreatorAdmin(admin.ModelAdmin):
    creator_path = "account__creator"

    def get_queryset(self, request: HttpRequest):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        return qs.filter(**{f"{self.creator_path}__talent_manager": request.user})
