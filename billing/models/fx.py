"""Dated exchange rates: data, entered in the admin or imported from CSV."""

import pghistory
from django.db import models
from django.db.models import F, Q

from agency.money import CURRENCY_CHOICES


@pghistory.track(obj_field=pghistory.ObjForeignKey(related_name="history"))
class ExchangeRate(models.Model):
    """1 unit of ``base`` = ``rate`` units of ``quote`` on ``valid_on`` (major units)."""

    base = models.CharField("base currency", max_length=3, choices=CURRENCY_CHOICES)
    quote = models.CharField("quote currency", max_length=3, choices=CURRENCY_CHOICES)
    valid_on = models.DateField("valid on")
    rate = models.DecimalField("rate", max_digits=20, decimal_places=10)
    source = models.CharField("source", max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["base", "quote", "-valid_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["base", "quote", "valid_on"],
                name="exchange_rate_unique_pair_day",
                violation_error_message="A rate for this pair and day exists already.",
            ),
            models.CheckConstraint(
                name="exchange_rate_positive",
                condition=Q(rate__gt=0),
                violation_error_message="A rate must be positive.",
            ),
            models.CheckConstraint(
                name="exchange_rate_distinct_currencies",
                condition=~Q(base=F("quote")),
                violation_error_message="Base and quote currencies must differ.",
            ),
        ]
        indexes = [
            models.Index(fields=["base", "quote", "-valid_on"], name="rate_latest_on_or_before")
        ]

    def __str__(self) -> str:
        return f"{self.base}/{self.quote} {self.rate} on {self.valid_on}"
