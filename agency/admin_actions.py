"""Helpers for admin actions that call services."""

from collections.abc import Callable, Iterable
from typing import Any

from django.contrib import messages

from agency.errors import ApplicationError


def run_action(
    modeladmin, request, queryset: Iterable[Any], action: Callable[[Any], Any], label: str
) -> None:
    """Call ``action`` on each selected object. A business-rule refusal is reported for that
    object and the others still run; the count of successes is reported once."""
    done = 0
    for obj in queryset:
        try:
            action(obj)
            done += 1
        except ApplicationError as exc:
            modeladmin.message_user(request, f"{obj}: {exc.message}", messages.ERROR)
    if done:
        modeladmin.message_user(request, f"{label}: {done}.", messages.SUCCESS)
