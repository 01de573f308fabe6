"""Revenue events: every unit of money that comes in, by stream, with its hold period."""

import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import F, Q

from agency.models import Partner
from agency.money import CURRENCY_CHOICES
from agency.states import States
from billing.models.references import kept_while_referenced_sql
from creators.models import Creator, PlatformAccount


class Stream(models.TextChoices):
    BRAND_DEAL = "brand_deal", "Brand deal"
    LIVE_GIFTS = "live_gifts", "LIVE gifts"
    LIVE_COMMERCE = "live_commerce", "Live commerce"
    AFFILIATE = "affiliate", "Affiliate"
    CREATOR_FUND = "creator_fund", "Creator fund"
    AGENCY_SERVICE = "agency_service", "Agency service"


class HoldPolicy(models.Model):
    """How long a stream's money is held before it locks, and whether cash must arrive first.

    Data, not code: seeded by a migration and editable in the admin.
    """

    stream = models.CharField("stream", max_length=20, choices=Stream.choices, unique=True)
    hold_days = models.PositiveIntegerField(
        "hold days", help_text="Days after the event date before the event locks."
    )
    pay_when_paid = models.BooleanField(
        "pay when paid",
        default=True,
        help_text="A locked event becomes payable only when the cash is received.",
    )
    note = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["stream"]
        verbose_name_plural = "hold policies"

    def __str__(self) -> str:
        return f"{self.get_stream_display()}: {self.hold_days} days"


class ImportBatchStatus(models.TextChoices):
    PENDING = "pending", "Pending approval"
    APPROVED = "approved", "Approved (posted)"
    REJECTED = "rejected", "Rejected"


IMPORT_BATCH_STATES = States(
    (ImportBatchStatus.PENDING, ImportBatchStatus.APPROVED),
    (ImportBatchStatus.PENDING, ImportBatchStatus.REJECTED),
)


class ImportBatch(models.Model):
    """A CSV import. Its events post money only after a staff member approves the batch."""

    Status = ImportBatchStatus
    states = IMPORT_BATCH_STATES

    filename = models.CharField("file name", max_length=255)
    status = models.CharField(
        "status", max_length=20, choices=Status.choices, default=Status.PENDING
    )
    row_count = models.PositiveIntegerField("rows", default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "import batches"
        constraints = [
            models.CheckConstraint(
                name="import_batch_approved_has_approver",
                condition=~Q(status=ImportBatchStatus.APPROVED) | Q(approved_by__isnull=False),
                violation_error_message="An approved batch names its approver.",
            ),
        ]
        triggers = [IMPORT_BATCH_STATES.guard("import_batch_transitions")]

    def __str__(self) -> str:
        return f"{self.filename} ({self.get_status_display()})"


class RevenueEventKind(models.TextChoices):
    SALE = "sale", "Revenue"
    REFUND = "refund", "Refund"
    CHARGEBACK = "chargeback", "Chargeback"


class RevenueEventStatus(models.TextChoices):
    PENDING = "pending", "Pending (in hold period)"
    LOCKED = "locked", "Locked"
    PAYABLE = "payable", "Payable"
    PAID = "paid", "Paid"


class RevenueEvent(models.Model):
    """One revenue fact. A refund or chargeback is a negative event linked to its original.

    ``source_type`` + ``source_id`` is unique per partner (NULLS NOT DISTINCT: staff imports
    share one namespace), so re-importing the same report is a no-op.
    """

    Kind = RevenueEventKind

    Status = RevenueEventStatus

    stream = models.CharField("stream", max_length=20, choices=Stream.choices)
    kind = models.CharField("kind", max_length=20, choices=Kind.choices, default=Kind.SALE)
    creator = models.ForeignKey(Creator, on_delete=models.PROTECT, related_name="revenue_events")
    account = models.ForeignKey(
        PlatformAccount, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    occurred_on = models.DateField("occurred on")
    # Minor units of ``currency``; negative for refunds and chargebacks.
    gross_minor = models.BigIntegerField("gross (minor units)")
    platform_fee_minor = models.BigIntegerField("platform fee (minor units)", default=0)
    currency = models.CharField("currency", max_length=3, choices=CURRENCY_CHOICES)
    # What the creator's statement line says (the deal, the product, the report month);
    # empty: the stream and the date. Source ids are the sender's keys, never shown.
    description = models.CharField(
        "description",
        max_length=200,
        blank=True,
        help_text="What the statement line says, e.g. the deal or the report it comes from.",
    )
    source_type = models.CharField("source type", max_length=40)
    source_id = models.CharField("source external id", max_length=100)
    refund_of = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="refunds"
    )
    status = models.CharField(
        "status", max_length=20, choices=Status.choices, default=Status.PENDING
    )
    locks_on = models.DateField("locks on", help_text="End of the stream's hold period.")
    partner = models.ForeignKey(
        Partner, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    import_batch = models.ForeignKey(
        ImportBatch, on_delete=models.PROTECT, null=True, blank=True, related_name="events"
    )
    payout = models.ForeignKey(
        "billing.Payout",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="revenue_events",
    )
    posted_at = models.DateTimeField("posted at", null=True, blank=True)
    cash_received_on = models.DateField("cash received on", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_on", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "source_type", "source_id"],
                nulls_distinct=False,
                name="revenue_event_unique_source",
                violation_error_message="This source record was imported already.",
            ),
            models.CheckConstraint(
                name="revenue_event_sign_matches_kind",
                condition=(
                    Q(
                        kind=RevenueEventKind.SALE,
                        refund_of__isnull=True,
                        gross_minor__gt=0,
                        platform_fee_minor__gte=0,
                        platform_fee_minor__lte=F("gross_minor"),
                    )
                    | Q(
                        kind__in=[RevenueEventKind.REFUND, RevenueEventKind.CHARGEBACK],
                        refund_of__isnull=False,
                        gross_minor__lt=0,
                        platform_fee_minor__lte=0,
                        platform_fee_minor__gte=F("gross_minor"),
                    )
                ),
                violation_error_message=(
                    "A sale is positive with 0 <= fee <= gross; a refund or chargeback is "
                    "negative, linked to its original."
                ),
            ),
            models.CheckConstraint(
                name="revenue_event_status_valid",
                condition=Q(status__in=RevenueEventStatus.values),
                violation_error_message="Unknown event status.",
            ),
        ]
        triggers = [
            # Once posted, the facts money was computed from never change (status may).
            pgtrigger.Protect(
                name="revenue_event_posted_facts_frozen",
                operation=pgtrigger.Update,
                condition=pgtrigger.Q(old__posted_at__isnull=False)
                & (
                    pgtrigger.Q(old__gross_minor__df=pgtrigger.F("new__gross_minor"))
                    | pgtrigger.Q(
                        old__platform_fee_minor__df=pgtrigger.F("new__platform_fee_minor")
                    )
                    | pgtrigger.Q(old__currency__df=pgtrigger.F("new__currency"))
                    | pgtrigger.Q(old__creator_id__df=pgtrigger.F("new__creator_id"))
                    | pgtrigger.Q(old__stream__df=pgtrigger.F("new__stream"))
                    | pgtrigger.Q(old__kind__df=pgtrigger.F("new__kind"))
                    | pgtrigger.Q(old__occurred_on__df=pgtrigger.F("new__occurred_on"))
                    | pgtrigger.Q(old__refund_of_id__df=pgtrigger.F("new__refund_of_id"))
                    | pgtrigger.Q(old__posted_at__df=pgtrigger.F("new__posted_at"))
                ),
            ),
            pgtrigger.Protect(
                name="revenue_event_posted_kept",
                operation=pgtrigger.Delete,
                condition=pgtrigger.Q(old__posted_at__isnull=False),
            ),
            # Splits and statement lines name their event without a foreign key (checked per
            # statement when they are inserted): an unposted event they name is kept too.
            pgtrigger.Trigger(
                name="revenue_event_referenced_kept",
                when=pgtrigger.Before,
                operation=pgtrigger.Delete,
                condition=pgtrigger.Q(old__posted_at__isnull=True),
                func=kept_while_referenced_sql(
                    what="revenue event",
                    children=[
                        ("billing_revenuesplit", "event_id"),
                        ("billing_statementline", "event_id"),
                    ],
                ),
            ),
        ]
        indexes = [
            models.Index(fields=["creator", "stream", "occurred_on"], name="event_month_to_date"),
            models.Index(fields=["status", "locks_on"], name="event_due_to_lock"),
        ]

    def __str__(self) -> str:
        return f"{self.get_stream_display()} {self.source_type}:{self.source_id}"
