"""``billing.bulk.execute`` passes lists as array literals: every value must come back as
it went in."""

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billing import bulk

texts = st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"))


@pytest.mark.django_db
@settings(max_examples=50, deadline=None)
@given(values=st.lists(st.none() | texts, max_size=8))
def test_text_arrays_come_back_unchanged(values):
    """Quotes, backslashes, commas, braces, spaces, the word NULL and NULL itself."""
    [(back,)] = bulk.execute("SELECT %s::text[]", [values])
    assert back == values


@pytest.mark.django_db
def test_number_and_date_arrays_come_back_unchanged():
    ints = [0, -1, 2**63 - 1, None]
    big = [10**30 + 7, -(10**25), 0]
    days = [dt.date(2026, 1, 31), None]
    amounts = [Decimal("1.250000"), Decimal("-0.5")]
    [row] = bulk.execute(
        "SELECT %s::bigint[], %s::numeric[], %s::date[], %s::numeric[]", [ints, big, days, amounts]
    )
    assert list(row) == [ints, [Decimal(b) for b in big], days, amounts]


@pytest.mark.django_db
def test_named_parameters_take_lists_too():
    [(n,)] = bulk.execute("SELECT cardinality(%(ids)s::bigint[])", {"ids": [1, 2, 3]})
    assert n == 3
