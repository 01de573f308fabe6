"""The performance statement (the longest window read once, shorter ones by FILTER) gives
exactly the snapshots of the statement it replaced (kept in performance_reference.py) on
generated accounts, daily rows and videos; and a re-run rewrites nothing."""

import random

import pytest

from creators.models import AccountPerformance, CreatorPerformance
from creators.services.performance import performance_compute_chunk
from tests.creators import performance_reference
from tests.creators.test_eligibility_sql import AS_OF, _creators

pytestmark = pytest.mark.django_db


def _snapshots() -> list[tuple]:
    rows = []
    for model in (AccountPerformance, CreatorPerformance):
        fields = [f.attname for f in model._meta.concrete_fields]
        fields = [f for f in fields if f not in ("id", "computed_at")]
        rows += sorted(model.objects.values_list(*fields), key=repr)
    return rows


@pytest.mark.parametrize("seed", [4, 5])
def test_windows_by_filter_match_the_per_window_statement(seed):
    ids = _creators(random.Random(seed))
    changed = performance_reference.performance_compute_chunk(as_of=AS_OF, creator_ids=ids)
    expected = _snapshots()
    assert len(expected) > 50
    AccountPerformance.objects.all().delete()
    CreatorPerformance.objects.all().delete()
    assert performance_compute_chunk(as_of=AS_OF, creator_ids=ids) == changed
    assert _snapshots() == expected
    assert performance_compute_chunk(as_of=AS_OF, creator_ids=ids) == 0
