"""Helpers shared by the campaigns admin modules."""

from django.contrib import admin, messages

from agency.errors import ApplicationError
from agency.money import to_major


def run_action(modeladmin, request, queryset, action, label: str) -> None:
    done = 0
    for obj in queryset:
        try:
            action(obj)
            done += 1
        except ApplicationError as exc:
            modeladmin.message_user(request, f"{obj}: {exc.message}", messages.ERROR)
    if done:
        modeladmin.message_user(request, f"{label}: {done}.", messages.SUCCESS)


def money_text(amount_minor: int | None, currency: str) -> str:
    return f"{to_major(amount_minor or 0, currency)} {currency}"


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
