"""The one state-machine mechanism: declared moves, the database guard, ``transition``."""

from django.apps import apps

from agency.states import States

MACHINE = States(("a", "b"), ("b", "c"), ("b", "d"), ("d", "e"))


def test_moves_targets_and_reachability():
    assert MACHINE.allows("a", "b") and not MACHINE.allows("a", "c")
    assert MACHINE.targets("b") == ["c", "d"]
    assert MACHINE.reachable("b") == {"c", "d", "e"}


def test_the_guard_is_a_pgtrigger_fsm_over_the_declared_moves():
    guard = MACHINE.guard("x_transitions")
    assert guard.transitions == [("a", "b"), ("b", "c"), ("b", "d"), ("d", "e")]
    assert guard.field == "status"


def test_every_stateful_model_is_guarded_by_its_one_declaration():
    stateful = {m for m in apps.get_models() if isinstance(getattr(m, "states", None), States)}
    names = {m._meta.label for m in stateful}
    assert {"billing.Payout", "billing.PayoutBatch", "billing.ImportBatch"} <= names
    assert {"campaigns.BrandDeal", "campaigns.Deliverable", "campaigns.Invoice"} <= names
    for model in stateful:
        guards = [t for t in model._meta.triggers if t.name.endswith("_transitions")]
        assert [g.transitions for g in guards] == [list(model.states.moves)], model
        field = model._meta.get_field(model.states.field)
        assert model.states.states <= {str(v) for v, _ in field.choices}, model
