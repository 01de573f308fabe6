"""Shared admin pieces: talent managers see and write only their own creators' rows."""

from django.contrib import admin
from django.http import HttpRequest

from creators.models import Creator, PlatformAccount
from creators.selectors import creators_for_staff


class ScopedByCreatorAdmin(admin.ModelAdmin):
    creator_path = "account__creator"

    def get_queryset(self, request: HttpRequest):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        return qs.filter(**{f"{self.creator_path}__talent_manager": request.user})

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        """A form (raw id fields included) accepts only the user's own creators and their
        accounts: another manager's id is "not one of the available choices"."""
        mine = creators_for_staff(user=request.user)
        if db_field.related_model is Creator:
            kwargs["queryset"] = mine
        elif db_field.related_model is PlatformAccount:
            kwargs["queryset"] = PlatformAccount.objects.filter(creator__in=mine)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
