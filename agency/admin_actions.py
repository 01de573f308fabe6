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
from django.contrib.admin.utils import unquote
from django.http import HttpRequest, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

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


class ObjectActionsMixin:
    """Buttons on an object's page for some of its admin's actions (``object_actions``:
    action name -> button label).

    A button runs the very list action on a queryset of that one object (the admin's scoped
    queryset): the same ``permissions`` decide whether the button shows and whether the
    POST is allowed, the same service does the work, and its messages are the ones the list
    shows. Actions in ``confirm_actions`` (money moves) open a confirmation page first; a
    refusal is a message on the page, never a bare 403. An action that returns a response
    (an export) returns it as the button's download."""

    object_actions: dict[str, str] = {}
    confirm_actions: tuple[str, ...] = ()
    change_form_template = "admin/agency/change_form_with_actions.html"

    def get_urls(self):
        from django.urls import path

        info = self.model._meta.app_label, self.model._meta.model_name
        return [
            path(
                "<path:object_id>/do/<str:action>/",
                self.admin_site.admin_view(self.object_action_view),
                name="{}_{}_object_action".format(*info),
            ),
            *super().get_urls(),
        ]

    def object_actions_for(self, request: HttpRequest, obj) -> list[dict]:
        """The buttons this user may press on ``obj``'s page."""
        if obj is None or obj.pk is None:
            return []
        allowed = self.get_actions(request)
        info = self.model._meta.app_label, self.model._meta.model_name
        return [
            {
                "name": name,
                "label": label,
                "url": reverse("admin:{}_{}_object_action".format(*info), args=[obj.pk, name]),
                "confirm": name in self.confirm_actions,
            }
            for name, label in self.object_actions.items()
            if name in allowed
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        extra_context = {**(extra_context or {}), "object_actions": self.object_actions_for(
            request, obj
        )}  # fmt: skip
        return super().change_view(request, object_id, form_url, extra_context)

    def object_action_view(self, request: HttpRequest, object_id: str, action: str):
        obj = self.get_object(request, unquote(object_id))
        change_url = reverse(
            f"admin:{self.model._meta.app_label}_{self.model._meta.model_name}_changelist"
        )
        if obj is None:
            self.message_user(request, NOTHING_SELECTED, messages.WARNING)
            return HttpResponseRedirect(change_url)
        page = reverse(
            f"admin:{self.model._meta.app_label}_{self.model._meta.model_name}_change",
            args=[obj.pk],
        )
        buttons = self.object_actions_for(request, obj)
        button = next((b for b in buttons if b["name"] == action), None)
        if button is None:
            self.message_user(request, "Your role does not include this action.", messages.ERROR)
            return HttpResponseRedirect(page)
        if request.method != "POST":
            context = {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "object": obj,
                "button": button,
                "title": f"{button['label']}: {obj}",
                "cancel_url": page,
            }
            return TemplateResponse(request, "admin/agency/object_action_confirm.html", context)
        func = self.get_actions(request)[action][0]
        response = func(self, request, self.get_queryset(request).filter(pk=obj.pk))
        return response or HttpResponseRedirect(page)
