"""Read-only admin bases: records that only services write (ledger, audit trails, refunds)."""

from django.contrib import admin

from agency.admin_fields import MoneyAdminMixin


class ReadOnlyAdmin(MoneyAdminMixin, admin.ModelAdmin):
    """A change list and detail page that nobody edits, adds or deletes through."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    """An inline table of rows shown for reading only: no blank rows, no add, change or
    delete."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
