"""Livestream operation price list, LIVE report reconciliation, hosts (for grading)."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from agency.money import CURRENCY_CHOICES
from campaigns.models.operations import LiveMonthlyReport
from creators.models import Creator


class LiveOperationPrice(models.Model):
    """What the agency charges a client for operating one livestream, per currency, from a
    date on. The row in force for a session is the latest one whose ``effective_from`` is on
    or before the session's start day; a fee outside [minimum, maximum] is "off the list".
    A session recorded without a fee gets the standard fee."""

    currency = models.CharField("currency", max_length=3, choices=CURRENCY_CHOICES)
    effective_from = models.DateField("effective from")
    # Minor units of ``currency``.
    min_fee_minor = models.BigIntegerField("minimum fee per session (minor units)")
    max_fee_minor = models.BigIntegerField("maximum fee per session (minor units)")
    standard_fee_minor = models.BigIntegerField("standard fee per session (minor units)")
    note = models.CharField("note", max_length=200, blank=True)

    class Meta:
        ordering = ["currency", "-effective_from"]
        verbose_name = "livestream operation price"
        constraints = [
            models.UniqueConstraint(
                fields=["currency", "effective_from"],
                name="live_price_unique_currency_date",
                violation_error_message="A price for this currency starts on this date already.",
            ),
            models.CheckConstraint(
                name="live_price_range",
                condition=Q(min_fee_minor__gt=0, max_fee_minor__gte=F("min_fee_minor"))
                & Q(standard_fee_minor__gte=F("min_fee_minor"))
                & Q(standard_fee_minor__lte=F("max_fee_minor")),
                violation_error_message="0 < minimum <= standard <= maximum.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.currency} from {self.effective_from}"


class LiveReportBooking(models.Model):
    """Finance's agreed gift value of one monthly LIVE report, booked once: what the sessions
    of the month booked already is subtracted, the rest becomes one live_gifts revenue event
    (``campaigns.live_report:<report id>``)."""

    report = models.OneToOneField(
        LiveMonthlyReport, on_delete=models.PROTECT, related_name="booking"
    )
    currency = models.CharField("currency", max_length=3, choices=CURRENCY_CHOICES)
    # Minor units of ``currency``.
    agreed_minor = models.BigIntegerField("agreed gift value (minor units)")
    sessions_booked_minor = models.BigIntegerField("booked by the sessions (minor units)")
    adjustment_minor = models.BigIntegerField("booked by this agreement (minor units)")
    note = models.CharField("note", max_length=200, blank=True)
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    booked_at = models.DateTimeField("booked at", auto_now_add=True)

    class Meta:
        ordering = ["-booked_at"]
        verbose_name = "LIVE report booking"
        constraints = [
            models.CheckConstraint(
                name="live_report_booking_amounts",
                condition=Q(agreed_minor__gte=0, sessions_booked_minor__gte=0)
                & Q(adjustment_minor=F("agreed_minor") - F("sessions_booked_minor")),
                violation_error_message="Agreed = booked by sessions + adjustment, not negative.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.report} agreed"


class LiveHost(Creator):
    """A creator seen as a livestream host: the admin's per-host conversion grades."""

    class Meta:
        proxy = True
        verbose_name = "livestream host"
