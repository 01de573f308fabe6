"""State machines, declared once per stateful model, and the one way to move them.

A model declares its legal moves next to its status field::

    class Invoice(models.Model):
        states = States(("draft", "issued"), ("issued", "paid"), ("draft", "void"))
        ...
        class Meta:
            triggers = [states.guard("invoice_transitions")]

The same declaration gives the database guard (a ``pgtrigger.FSM`` trigger: an UPDATE that
makes any other move fails, whoever runs it) and the checks of ``transition``, so adding a
state is one line in the declaration (plus the migration that rewrites the trigger).

``transition(obj, to, actor=..., note=...)`` is the only code that changes a declared
status: it locks the row, refuses a move the declaration does not list (``Conflict``, 409),
saves the new status with any fields that change with it, writes the audit row and queues
the webhook, all in the caller's transaction (deliveries are rows sent after commit).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

import pgtrigger
from django.db import models, transaction
from django.utils.module_loading import import_string

from agency.errors import ApplicationError, Conflict

M = TypeVar("M", bound=models.Model)


@dataclass(frozen=True)
class Change:
    """What a move did: handed to the audit and webhook hooks."""

    obj: Any
    from_state: str
    to_state: str
    actor: Any = None
    actor_partner: Any = None
    note: str = ""
    audit: Any = None


@dataclass(frozen=True)
class Moved:
    """The locked object after ``transition``; ``moved`` is False when an idempotent call
    found it already at (or past) the target and changed nothing."""

    obj: Any
    from_state: str
    moved: bool


class States:
    """The legal moves of one status field: ``States((from, to), ..., field="status")``.

    ``audit`` and ``webhook`` name hooks by dotted path (read when first used, so a models
    module never imports services): ``audit(change) -> row`` replaces the default
    ``StateChange`` row; ``webhook(change) -> None`` queues the event for the partner."""

    def __init__(
        self,
        *moves: tuple[str, str],
        field: str = "status",
        audit: str | None = None,
        webhook: str | None = None,
    ):
        self.moves = tuple((str(a), str(b)) for a, b in moves)
        self.field = field
        self.audit = audit
        self.webhook = webhook
        self._hooks: dict[str, Callable] = {}

    def allows(self, from_state: str, to_state: str) -> bool:
        return (str(from_state), str(to_state)) in self.moves

    def targets(self, from_state: str) -> list[str]:
        """The states reachable in one move from ``from_state``, in declaration order."""
        return [b for a, b in self.moves if a == str(from_state)]

    def reachable(self, from_state: str) -> set[str]:
        """Every state reachable from ``from_state`` in one or more moves."""
        seen: set[str] = set()
        todo = [str(from_state)]
        while todo:
            for nxt in self.targets(todo.pop()):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    @property
    def states(self) -> set[str]:
        return {s for move in self.moves for s in move}

    def guard(self, name: str) -> pgtrigger.FSM:
        """The database guard: any UPDATE of the field to a move not declared here fails
        as an integrity error (SQLSTATE 23514, like a CHECK constraint)."""
        return _Guard(name=name, field=self.field, transitions=list(self.moves))

    def hook(self, which: str) -> Callable | None:
        path = getattr(self, which)
        if path is None:
            return None
        if which not in self._hooks:
            self._hooks[which] = import_string(path)
        return self._hooks[which]


class _Guard(pgtrigger.FSM):
    """``pgtrigger.FSM`` whose refusal is a check violation, so callers see an
    ``IntegrityError`` as for any other broken invariant."""

    def get_func(self, model):
        return (
            super()
            .get_func(model)
            .replace("TG_TABLE_NAME;", "TG_TABLE_NAME USING ERRCODE = 'check_violation';")
        )


def states_of(model: type[models.Model] | models.Model) -> States:
    return model.states  # type: ignore[union-attr]


def lock(obj: M, *, related: Iterable[str] = ()) -> M:
    """``obj`` re-read under a row lock (its own row only), with ``related`` joined."""
    related = tuple(related)
    qs = type(obj).objects.select_for_update(of=("self",))
    if related:
        qs = qs.select_related(*related)
    return qs.get(pk=obj.pk)


def needs_move(obj: models.Model, to: str, *, already: Iterable[str] = ()) -> bool:
    """True when moving ``obj`` (read under its lock) to ``to`` is legal and not yet done;
    False when it is at ``to`` or in one of the ``already`` states (running twice is
    harmless); ``Conflict`` when the declaration has no such move. For services that check
    more on the locked row before they call ``transition``."""
    machine = states_of(obj)
    current = str(getattr(obj, machine.field))
    if current == str(to) or current in {str(a) for a in already}:
        return False
    if not machine.allows(current, to):
        raise _refused(obj, current, str(to))
    return True


def _refused(obj: models.Model, current: str, to: str) -> Conflict:
    return Conflict(
        f"A {obj._meta.verbose_name} cannot move from {current} to {to}.",
        extra={"status": current, "requested": to},
    )


@transaction.atomic
def transition(
    obj: M,
    to: str,
    *,
    actor=None,
    note: str = "",
    actor_partner=None,
    changes: dict[str, Any] | None = None,
    idempotent: bool = False,
    already: Iterable[str] = (),
    related: Iterable[str] = (),
    locked: bool = False,
) -> Moved:
    """Move ``obj`` to ``to``: lock, check the move, save, audit, queue the webhook.

    ``changes``: other fields set in the same UPDATE (``approved_by``, ``paid_on``...).
    ``idempotent``: when the object is at ``to`` already (or in one of the ``already``
    states), nothing happens and ``Moved.moved`` is False: running a service twice is
    harmless. Without it, moving to the current state is a ``Conflict``.
    ``locked``: the caller holds the row lock already (from ``lock``); not locked again.
    """
    machine = states_of(obj)
    to = str(to)
    if to not in machine.states:
        raise ApplicationError(f"Unknown {obj._meta.verbose_name} status {to!r}.")
    current = obj if locked else lock(obj, related=related)
    from_state = str(getattr(current, machine.field))
    if idempotent and not needs_move(current, to, already=already):
        return Moved(current, from_state, False)
    if not machine.allows(from_state, to):
        raise _refused(current, from_state, to)
    setattr(current, machine.field, to)
    fields = [machine.field, *(changes or {})]
    for name, value in (changes or {}).items():
        setattr(current, name, value)
    if any(f.name == "updated_at" for f in current._meta.concrete_fields):
        fields.append("updated_at")
    current.save(update_fields=fields)
    change = Change(current, from_state, to, actor, actor_partner, note)
    audit = machine.hook("audit")
    row = audit(change) if audit is not None else _state_change_write(change, machine.field)
    webhook = machine.hook("webhook")
    if webhook is not None:
        webhook(Change(current, from_state, to, actor, actor_partner, note, row))
    return Moved(current, from_state, True)


def _state_change_write(change: Change, field_name: str):
    from django.contrib.contenttypes.models import ContentType

    from agency.models import StateChange

    return StateChange.objects.create(
        content_type=ContentType.objects.get_for_model(type(change.obj)),
        object_id=change.obj.pk,
        field=field_name,
        from_state=change.from_state,
        to_state=change.to_state,
        actor=change.actor if getattr(change.actor, "pk", None) else None,
        actor_partner=change.actor_partner,
        note=change.note[:500],
    )
