"""The one state-machine mechanism: declared moves, the database guard, ``transition``."""

from agency.states import States
from billing.models import Payout, PayoutBatch

MACHINE = States(("a", "b"), ("b", "c"), ("b", "d"), ("d", "e"))


def test_moves_targets_and_reachability():
    assert MACHINE.allows("a", "b") and not MACHINE.allows("a", "c")
    assert MACHINE.targets("b") == ["c", "d"]
    assert MACHINE.reachable("b") == {"c", "d", "e"}


def test_the_guard_is_a_pgtrigger_fsm_over_the_declared_moves():
    guard = MACHINE.guard("x_transitions")
    assert guard.transitions == [("a", "b"), ("b", "c"), ("b", "d"), ("d", "e")]
    assert guard.field == "status"


def test_models_guard_and_transition_read_one_declaration():
    for model in (Payout, PayoutBatch):
        guard = next(t for t in model._meta.triggers if t.name.endswith("_transitions"))
        assert guard.transitions == list(model.states.moves)
