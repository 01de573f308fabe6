"""Payout batches (maker-checker by finance) and payouts with a database-enforced state machine."""

import pghistory
from django.conf import settings
from django.db import models
from django.db.models import F, Q

from agency.models import Partner
from agency.money import CURRENCY_CHOICES
from agency.states import States
from billing.models.ledger import LedgerTransaction
from creators.models import Creator


class PayoutBatchStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


# Finance approves a batch someone else prepared, or rejects it (its money is released).
PAYOUT_BATCH_STATES = States(
    (PayoutBatchStatus.DRAFT, PayoutBatchStatus.APPROVED),
    (PayoutBatchStatus.DRAFT, PayoutBatchStatus.REJECTED),
)


@pghistory.track(obj_field=pghistory.ObjForeignKey(related_name="history"))
class PayoutBatch(models.Model):
    Status = PayoutBatchStatus
    states = PAYOUT_BATCH_STATES

    status = models.CharField("status", max_length=20, choices=Status.choices, default="draft")
    currency = models.CharField("currency", max_length=3, choices=CURRENCY_CHOICES)
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "payout batches"
        constraints = [
            models.CheckConstraint(
                name="payout_batch_maker_checker",
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=F("prepared_by")),
                violation_error_message="A batch must be approved by someone other than its maker.",
            ),
            models.CheckConstraint(
                name="payout_batch_approved_has_approver",
                condition=~Q(status=PayoutBatchStatus.APPROVED) | Q(approved_by__isnull=False),
                violation_error_message="An approved batch names its approver.",
            ),
        ]
        triggers = [
            PAYOUT_BATCH_STATES.guard("payout_batch_transitions"),
        ]

    def __str__(self) -> str:
        return f"Payout batch #{self.pk} {self.currency} ({self.get_status_display()})"


class PayoutStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    APPROVED = "approved", "Approved"
    SENT = "sent", "Sent"
    PAID = "paid", "Paid"
    FAILED = "failed", "Failed"
    REVERSED = "reversed", "Reversed"


PAYOUT_STATES = States(
    (PayoutStatus.DRAFT, PayoutStatus.APPROVED),
    (PayoutStatus.APPROVED, PayoutStatus.SENT),
    (PayoutStatus.SENT, PayoutStatus.PAID),
    (PayoutStatus.SENT, PayoutStatus.FAILED),
    (PayoutStatus.FAILED, PayoutStatus.REVERSED),
    (PayoutStatus.DRAFT, PayoutStatus.REVERSED),  # its batch was rejected: reserve released
)


@pghistory.track(obj_field=pghistory.ObjForeignKey(related_name="history"))
class Payout(models.Model):
    """A transfer to one payee (a creator, a talent manager or a sub-agency). Reserved from
    the payee's payable when prepared, so the balance can never be paid twice; a failed
    payout is reversed back to the payable."""

    Status = PayoutStatus
    states = PAYOUT_STATES

    batch = models.ForeignKey(PayoutBatch, on_delete=models.PROTECT, related_name="payouts")
    # The payee: exactly one of creator, talent manager, sub-agency (CHECK).
    creator = models.ForeignKey(
        Creator, on_delete=models.PROTECT, null=True, blank=True, related_name="payouts"
    )
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="talent manager",
    )
    sub_agency = models.ForeignKey(
        Partner, on_delete=models.PROTECT, null=True, blank=True, related_name="payouts"
    )
    currency = models.CharField("currency", max_length=3, choices=CURRENCY_CHOICES)
    amount_minor = models.BigIntegerField("amount (minor units)")
    status = models.CharField("status", max_length=20, choices=Status.choices, default="draft")
    reserve_transaction = models.OneToOneField(
        LedgerTransaction, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="payout_positive",
                condition=Q(amount_minor__gt=0),
                violation_error_message="A payout must be positive.",
            ),
            models.CheckConstraint(
                name="payout_one_payee",
                condition=Q(creator__isnull=False, manager__isnull=True, sub_agency__isnull=True)
                | Q(creator__isnull=True, manager__isnull=False, sub_agency__isnull=True)
                | Q(creator__isnull=True, manager__isnull=True, sub_agency__isnull=False),
                violation_error_message="A payout pays exactly one creator, manager or sub-agency.",
            ),
        ]
        indexes = [
            models.Index(fields=["creator", "status"], name="payout_by_creator"),
            models.Index(fields=["sub_agency", "-id"], name="payout_by_sub_agency"),
        ]
        triggers = [
            PAYOUT_STATES.guard("payout_transitions"),
        ]

    def __str__(self) -> str:
        return f"Payout #{self.pk} {self.amount_minor} {self.currency}"
