"""A batch's ``RateBook`` answers every date exactly as ``fx.rate_for`` does."""

import datetime as dt
import random
from decimal import Decimal

import pytest

from billing import fx
from tests.factories.billing import ExchangeRateFactory

START = dt.date(2025, 3, 1)


@pytest.mark.django_db
def test_the_rate_book_picks_what_rate_for_picks_on_every_day():
    """Rates with gaps longer than the age limit, both directions of a pair on some days, a
    pair stored only the other way round: every day of the window, every direction."""
    rng = random.Random(7)
    for day in range(60):
        on = START + dt.timedelta(days=day)
        if rng.random() < 0.6 and not 20 <= day < 30:  # a gap longer than the age limit
            ExchangeRateFactory(base="EUR", quote="USD", valid_on=on, rate=Decimal(1 + day / 100))
        if rng.random() < 0.3:
            ExchangeRateFactory(base="USD", quote="EUR", valid_on=on, rate=Decimal("0.9"))
        if rng.random() < 0.5:
            ExchangeRateFactory(base="JPY", quote="USD", valid_on=on, rate=Decimal("0.0067"))
    first, last = START + dt.timedelta(days=5), START + dt.timedelta(days=59)
    book = fx.RateBook(currencies={"EUR", "USD", "JPY"}, first=first, last=last)
    checked = 0
    for day in range((last - first).days + 1):
        on = first + dt.timedelta(days=day)
        for base, quote in [("EUR", "USD"), ("USD", "EUR"), ("USD", "JPY"), ("JPY", "EUR")]:
            try:
                expected = fx.rate_for(base=base, quote=quote, on=on)
            except fx.MissingExchangeRate:
                with pytest.raises(fx.MissingExchangeRate):
                    book.rate_for(base=base, quote=quote, on=on)
                continue
            assert book.rate_for(base=base, quote=quote, on=on) == expected
            checked += 1
    assert checked > 100
