"""Invoices to brands and clients, numbered without gaps per series."""

from django.db import models
from django.db.models import F, Q

from agency.money import CURRENCY_CHOICES
from agency.states import States
from billing.models import RevenueEvent
from campaigns.models.brands import Brand, BrandDeal
from campaigns.models.operations import AdAccount, LiveSession, ServiceAgreement


class InvoiceSeries(models.Model):
    """A numbering series. ``next_number`` is read and bumped under a row lock at issue, so
    numbers have no gaps and no duplicates (a database sequence would leave gaps)."""

    code = models.CharField("series", max_length=20, unique=True)
    next_number = models.PositiveIntegerField("next number", default=1)

    class Meta:
        verbose_name_plural = "invoice series"

    def __str__(self) -> str:
        return self.code


class InvoiceStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ISSUED = "issued", "Issued"
    PAID = "paid", "Paid"
    VOID = "void", "Void"


# Issued (numbered) from a draft, then paid; a draft or an issued invoice can be voided.
INVOICE_STATES = States(
    (InvoiceStatus.DRAFT, InvoiceStatus.ISSUED),
    (InvoiceStatus.ISSUED, InvoiceStatus.PAID),
    (InvoiceStatus.DRAFT, InvoiceStatus.VOID),
    (InvoiceStatus.ISSUED, InvoiceStatus.VOID),
    webhook="campaigns.services.invoices.invoice_webhook_emit",
)


class Invoice(models.Model):
    Status = InvoiceStatus
    states = INVOICE_STATES

    brand = models.ForeignKey(Brand, on_delete=models.PROTECT, related_name="invoices")
    series = models.ForeignKey(InvoiceSeries, on_delete=models.PROTECT, related_name="invoices")
    number = models.PositiveIntegerField("number", null=True, blank=True)
    currency = models.CharField("currency", max_length=3, choices=CURRENCY_CHOICES)
    status = models.CharField("status", max_length=10, choices=Status.choices, default=Status.DRAFT)
    net_days = models.PositiveIntegerField("net terms (days)", default=30)
    issued_on = models.DateField("issued on", null=True, blank=True)
    due_on = models.DateField("due on", null=True, blank=True)
    paid_on = models.DateField("paid on", null=True, blank=True)
    is_overdue = models.BooleanField("overdue", default=False, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        permissions = [("record_payment_invoice", "Can record an invoice's payment (cash in)")]
        constraints = [
            models.UniqueConstraint(
                fields=["series", "number"],
                name="invoice_unique_number",
                violation_error_message="This invoice number is used already.",
            ),
            models.CheckConstraint(
                name="invoice_status_valid",
                condition=Q(status__in=InvoiceStatus.values),
                violation_error_message="Unknown invoice status.",
            ),
            models.CheckConstraint(
                name="invoice_issued_has_number",
                condition=Q(status=InvoiceStatus.DRAFT, number__isnull=True)
                | (
                    ~Q(status=InvoiceStatus.DRAFT)
                    & Q(number__isnull=False, issued_on__isnull=False, due_on__isnull=False)
                )
                | Q(status=InvoiceStatus.VOID, number__isnull=True),
                violation_error_message="An issued invoice has a number, issue and due dates.",
            ),
            models.CheckConstraint(
                name="invoice_paid_has_date",
                condition=~Q(status=InvoiceStatus.PAID) | Q(paid_on__isnull=False),
                violation_error_message="A paid invoice has a payment date.",
            ),
            models.CheckConstraint(
                name="invoice_due_after_issue",
                condition=Q(due_on__isnull=True) | Q(due_on__gte=F("issued_on")),
                violation_error_message="The due date is on or after the issue date.",
            ),
        ]
        indexes = [models.Index(fields=["status", "due_on"], name="invoice_due")]
        triggers = [INVOICE_STATES.guard("invoice_transitions")]

    def __str__(self) -> str:
        return self.display_number

    @property
    def display_number(self) -> str:
        if self.number is None:
            return f"draft #{self.pk}"
        return f"{self.series.code}-{self.number:06d}"


class InvoiceLine(models.Model):
    """One billed item. ``source_key`` names what it bills (e.g. ``deal:12``,
    ``ad:3:2026-10``) and is unique among active lines, so nothing is billed twice."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    description = models.CharField("description", max_length=300)
    # Minor units of the invoice's currency.
    amount_minor = models.BigIntegerField("amount (minor units)")
    source_key = models.CharField("billed item", max_length=80)
    is_active = models.BooleanField("active", default=True, help_text="False once voided.")
    deal = models.ForeignKey(BrandDeal, on_delete=models.PROTECT, null=True, blank=True)
    live_session = models.ForeignKey(LiveSession, on_delete=models.PROTECT, null=True, blank=True)
    ad_account = models.ForeignKey(AdAccount, on_delete=models.PROTECT, null=True, blank=True)
    service = models.ForeignKey(ServiceAgreement, on_delete=models.PROTECT, null=True, blank=True)
    revenue_events = models.ManyToManyField(
        RevenueEvent, blank=True, related_name="+", verbose_name="linked earnings"
    )

    class Meta:
        ordering = ["invoice", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["source_key"],
                condition=Q(is_active=True),
                name="invoice_line_bills_once",
                violation_error_message="This item is billed already.",
            ),
            models.CheckConstraint(
                name="invoice_line_amount_positive",
                condition=Q(amount_minor__gt=0),
                violation_error_message="A line amount is positive.",
            ),
        ]

    def __str__(self) -> str:
        return self.description
