"""The one home of admin actions: their permission checks and the runner that calls services.

Every admin action declares what it needs, ``@admin.action(permissions=["x"])``, and its
ModelAdmin answers ``has_x_permission`` with :func:`requires` (a model permission, and a
role where money moves). Django then hides the action from anyone without it and refuses
it on POST ("No action selected."), so a view-only user neither sees nor runs any action.
Business rules (four-eyes, states) stay in the services; :func:`run_action` turns their
refusals into admin messages.
"""

from collections.abc import Callable, Iterable
from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest

from agency.errors import ApplicationError
from agency.roles import has_role

# An empty selection after scoping (or of rows gone meanwhile) is reported, never widened.
NOTHING_SELECTED = "None of the selected items is yours to change; nothing was done."


def requires(*perms: str, role: str | None = None) -> Callable[..., bool]:
    """A ``has_<x>_permission`` method: the user holds every ``app_label.codename`` in
    ``perms`` and, with ``role``, belongs to that role's group (superusers included: a role
    is membership, not a permission)."""

    def has_permission(modeladmin, request: HttpRequest, obj=None) -> bool:
        user = request.user
        if not user.has_perms(perms):
            return False
        return role is None or has_role(user, role)

    has_permission.__doc__ = f"Needs {', '.join(perms)}" + (f" and the {role} role" if role else "")
    return has_permission


def declared(action: Callable, *permissions: str) -> Callable:
    """A copy of a third-party admin action that declares ``permissions`` (Django's action
    permission names: "change", "delete", ...). The original function is left as it was."""

    def declared_action(modeladmin, request, queryset):
        return action(modeladmin, request, queryset)

    declared_action.__name__ = action.__name__
    return admin.action(
        description=getattr(action, "short_description", action.__name__),
        permissions=list(permissions),
    )(declared_action)


def run_action(
    modeladmin, request, queryset: Iterable[Any], action: Callable[[Any], Any], label: str
) -> None:
    """Call ``action`` on each selected object. A business-rule refusal is reported for that
    object and the others still run; the count of successes is reported once. An empty
    selection (e.g. nothing left after scoping) does nothing and says so: it never means
    "all"."""
    done = 0
    seen = 0
    for obj in queryset:
        seen += 1
        try:
            action(obj)
            done += 1
        except ApplicationError as exc:
            modeladmin.message_user(request, f"{obj}: {exc.message}", messages.ERROR)
    if not seen:
        modeladmin.message_user(request, NOTHING_SELECTED, messages.WARNING)
    if done:
        modeladmin.message_user(request, f"{label}: {done}.", messages.SUCCESS)
