"""Helpers shared by the campaigns admin modules."""

from django.contrib import admin

from agency.money import to_major


def money_text(amount_minor: int | None, currency: str) -> str:
    return f"{to_major(amount_minor or 0, currency)} {currency}"


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
