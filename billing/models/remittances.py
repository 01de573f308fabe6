"""Remittances: cash a platform (or any payer) sent the agency, and what it paid for.

A remittance is recorded once per (partner, reference); its lines say what the payer settled
(by stream and external id, or by stream, creator and period). Matching links each line to
the revenue events it pays; a matched sale is marked cash-received, so under pay-when-paid it
becomes payable. Amounts are integers in the remittance currency's minor unit.
"""

import pghistory
from django.conf import settings
from django.db import models
from django.db.models import F, Q

from agency.models import Partner
from agency.money import CURRENCY_CHOICES
from billing.models.events import RevenueEvent, Stream
from billing.models.ledger import LedgerTransaction
from creators.models import Creator


@pghistory.track(obj_field=pghistory.ObjForeignKey(related_name="history"))
class Remittance(models.Model):
    class Source(models.TextChoices):
        API = "api", "Partner API"
        CSV = "csv", "Settlement report (CSV)"
        ADMIN = "admin", "Admin"

    class Status(models.TextChoices):
        UNMATCHED = "unmatched", "Unmatched"
        PARTLY_MATCHED = "partly_matched", "Partly matched"
        MATCHED = "matched", "Matched"

    payer = models.CharField(
        "payer", max_length=100, help_text="Who paid: the platform or network, e.g. TikTok Shop."
    )
    partner = models.ForeignKey(
        Partner,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The data partner that reported it (empty when staff recorded it).",
    )
    reference = models.CharField(
        "reference", max_length=100, help_text="The payer's settlement or transfer reference."
    )
    currency = models.CharField("currency", max_length=3, choices=CURRENCY_CHOICES)
    # Minor units of ``currency``: the cash that arrived, and the fees the payer withheld.
    amount_minor = models.BigIntegerField("amount received (minor units)")
    fee_withheld_minor = models.BigIntegerField("fees withheld (minor units)", default=0)
    period_start = models.DateField("period start")
    period_end = models.DateField("period end")
    received_on = models.DateField("received on")
    source = models.CharField("source", max_length=10, choices=Source.choices)
    filename = models.CharField("file name", max_length=255, blank=True)
    status = models.CharField(
        "status", max_length=20, choices=Status.choices, default=Status.UNMATCHED
    )
    receipt_transaction = models.OneToOneField(
        LedgerTransaction, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_on", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "reference"],
                nulls_distinct=False,
                name="remittance_unique_reference",
                violation_error_message="A remittance with this reference was recorded already.",
            ),
            models.CheckConstraint(
                name="remittance_amounts_valid",
                condition=Q(amount_minor__gt=0, fee_withheld_minor__gte=0),
                violation_error_message="The amount is positive and the fees are not negative.",
            ),
            models.CheckConstraint(
                name="remittance_period_ordered",
                condition=Q(period_start__lte=F("period_end")),
                violation_error_message="The period starts on or before its end.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.payer} {self.reference}"

    @property
    def settled_minor(self) -> int:
        """What the payer settled before withholding its fees (amount + fees)."""
        return self.amount_minor + self.fee_withheld_minor


class RemittanceLine(models.Model):
    """One settled item of a remittance: an event by external id, or a creator's stream over
    the remittance period. ``amount_minor`` is what the payer settled for it (before fees)."""

    class Status(models.TextChoices):
        UNMATCHED = "unmatched", "Unmatched"
        SHORT = "short", "Paid less than booked"
        MATCHED = "matched", "Matched"

    remittance = models.ForeignKey(Remittance, on_delete=models.PROTECT, related_name="lines")
    line_no = models.PositiveIntegerField("line")
    stream = models.CharField("stream", max_length=20, choices=Stream.choices)
    creator = models.ForeignKey(
        Creator, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    external_id = models.CharField(
        "external id", max_length=100, blank=True, help_text="The event's source id."
    )
    # Minor units of the remittance currency.
    amount_minor = models.BigIntegerField("amount settled (minor units)")
    expected_minor = models.BigIntegerField(
        "expected (minor units)",
        null=True,
        blank=True,
        help_text="The matched events' net receivable, in the remittance currency.",
    )
    applied_minor = models.BigIntegerField("applied (minor units)", default=0)
    status = models.CharField(
        "status", max_length=20, choices=Status.choices, default=Status.UNMATCHED
    )
    note = models.CharField("note", max_length=255, blank=True)
    transaction = models.OneToOneField(
        LedgerTransaction, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["remittance", "line_no"]
        constraints = [
            models.UniqueConstraint(
                fields=["remittance", "line_no"],
                name="remittance_line_unique_number",
                violation_error_message="Line numbers are unique within a remittance.",
            ),
            models.CheckConstraint(
                name="remittance_line_amount_positive",
                condition=Q(amount_minor__gt=0, applied_minor__gte=0)
                & Q(applied_minor__lte=F("amount_minor")),
                violation_error_message="A line is positive and applies at most its amount.",
            ),
            models.CheckConstraint(
                name="remittance_line_names_what_it_pays",
                condition=~Q(external_id="") | Q(creator__isnull=False),
                violation_error_message="A line names an external id or a creator.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.remittance} line {self.line_no}"

    @property
    def difference_minor(self) -> int | None:
        """Settled minus expected (positive: paid more than booked)."""
        return None if self.expected_minor is None else self.amount_minor - self.expected_minor


class RemittanceMatch(models.Model):
    """A revenue event paid by a remittance line. An event is paid by one line only."""

    line = models.ForeignKey(RemittanceLine, on_delete=models.PROTECT, related_name="matches")
    event = models.OneToOneField(RevenueEvent, on_delete=models.PROTECT, related_name="+")
    # Minor units: the event's net receivable in its own currency, and converted.
    net_minor = models.BigIntegerField("net (event currency, minor units)")
    converted_minor = models.BigIntegerField("net (remittance currency, minor units)")
    fx_rate = models.DecimalField("FX rate", max_digits=20, decimal_places=10)

    class Meta:
        ordering = ["line", "event"]

    def __str__(self) -> str:
        return f"{self.line} -> event {self.event_id}"
