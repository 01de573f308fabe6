"""Brands, brand deals (with their creators' shares and audit trail) and deliverables."""

import itertools

from django.conf import settings
from django.db import models
from django.db.models import Q

from agency.models import Partner
from agency.money import CURRENCY_CHOICES
from agency.states import States
from creators.models import Creator, Video


class Brand(models.Model):
    """A client of the agency. Linked to a brand Partner when the brand uses the API."""

    name = models.CharField("name", max_length=200, unique=True)
    partner = models.OneToOneField(
        Partner,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="brand",
        limit_choices_to={"kind": Partner.Kind.BRAND},
        verbose_name="API partner",
    )
    default_net_days = models.PositiveIntegerField(
        "net terms (days)", default=30, help_text="Days from issue to due date of invoices."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class DealStatus(models.TextChoices):
    LEAD = "lead", "Lead"
    NEGOTIATING = "negotiating", "Negotiating"
    CONTRACTED = "contracted", "Contracted"
    IN_PRODUCTION = "in_production", "In production"
    DELIVERED = "delivered", "Delivered"
    APPROVED = "approved", "Approved"
    INVOICED = "invoiced", "Invoiced"
    PAID = "paid", "Paid"
    CANCELLED = "cancelled", "Cancelled"


# The only legal moves: one step along the flow, or cancelling from any state that is not
# terminal (paid, cancelled).
_DEAL_FLOW = [
    DealStatus.LEAD,
    DealStatus.NEGOTIATING,
    DealStatus.CONTRACTED,
    DealStatus.IN_PRODUCTION,
    DealStatus.DELIVERED,
    DealStatus.APPROVED,
    DealStatus.INVOICED,
    DealStatus.PAID,
]
DEAL_STATES = States(
    *itertools.pairwise(_DEAL_FLOW),
    *((s, DealStatus.CANCELLED) for s in _DEAL_FLOW[:-1]),
    audit="campaigns.services.deals.deal_event_write",
    webhook="campaigns.services.deals.deal_webhook_emit",
)


class BrandDeal(models.Model):
    states = DEAL_STATES

    brand = models.ForeignKey(Brand, on_delete=models.PROTECT, related_name="deals")
    title = models.CharField("title", max_length=200)
    brief = models.TextField("brief", blank=True)
    # Minor units of ``currency``: the fee the brand pays for the whole deal.
    fee_minor = models.BigIntegerField("fee (minor units)")
    currency = models.CharField("currency", max_length=3, choices=CURRENCY_CHOICES)
    status = models.CharField(
        "status", max_length=20, choices=DealStatus.choices, default=DealStatus.LEAD
    )
    creators = models.ManyToManyField(Creator, through="DealCreator", related_name="brand_deals")
    paid_on = models.DateField("paid on", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="brand_deal_status_valid",
                condition=Q(status__in=DealStatus.values),
                violation_error_message="Unknown deal status.",
            ),
            models.CheckConstraint(
                name="brand_deal_fee_non_negative",
                condition=Q(fee_minor__gte=0),
                violation_error_message="A deal's fee cannot be negative.",
            ),
            models.CheckConstraint(
                name="brand_deal_paid_has_date",
                condition=~Q(status=DealStatus.PAID) | Q(paid_on__isnull=False),
                violation_error_message="A paid deal has a payment date.",
            ),
        ]
        indexes = [models.Index(fields=["brand", "status"], name="deal_by_brand_status")]
        triggers = [DEAL_STATES.guard("brand_deal_transitions")]

    def __str__(self) -> str:
        return f"{self.brand}: {self.title}"


class DealCreator(models.Model):
    """A creator on a deal and the weight of their share of the fee (largest remainder)."""

    deal = models.ForeignKey(BrandDeal, on_delete=models.CASCADE, related_name="shares")
    creator = models.ForeignKey(Creator, on_delete=models.PROTECT, related_name="deal_shares")
    share = models.DecimalField(
        "share weight", max_digits=9, decimal_places=6, default=1,
        help_text="Relative weight; the fee is split by the weights of all creators.",
    )  # fmt: skip

    class Meta:
        ordering = ["deal", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["deal", "creator"],
                name="deal_creator_unique",
                violation_error_message="This creator is on the deal already.",
            ),
            models.CheckConstraint(
                name="deal_creator_share_positive",
                condition=Q(share__gt=0),
                violation_error_message="A share weight must be positive.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.creator} on {self.deal_id} ({self.share})"


class DealEvent(models.Model):
    """Audit trail: every status change of a deal or a deliverable, with its actor."""

    deal = models.ForeignKey(BrandDeal, on_delete=models.CASCADE, related_name="events")
    deliverable = models.ForeignKey(
        "campaigns.Deliverable", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    from_status = models.CharField("from", max_length=20, blank=True)
    to_status = models.CharField("to", max_length=20)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_partner = models.ForeignKey(
        Partner, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.TextField("note", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.from_status or '-'} -> {self.to_status}"


class DeliverableType(models.TextChoices):
    VIDEO = "video", "Video"
    LIVE_MENTION = "live_mention", "Live mention"
    DUET = "duet", "Duet"
    REVIEW = "review", "Review"


class DeliverableStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SUBMITTED = "submitted", "Submitted for approval"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    APPROVED = "approved", "Approved"


# Submitted by the creator, reviewed by the brand (approved, or changes asked and resubmitted).
DELIVERABLE_STATES = States(
    (DeliverableStatus.PENDING, DeliverableStatus.SUBMITTED),
    (DeliverableStatus.CHANGES_REQUESTED, DeliverableStatus.SUBMITTED),
    (DeliverableStatus.SUBMITTED, DeliverableStatus.APPROVED),
    (DeliverableStatus.SUBMITTED, DeliverableStatus.CHANGES_REQUESTED),
    audit="campaigns.services.deals.deal_event_write",
    webhook="campaigns.services.deals.deliverable_webhook_emit",
)


class Deliverable(models.Model):
    Type = DeliverableType
    Status = DeliverableStatus
    states = DELIVERABLE_STATES

    deal = models.ForeignKey(BrandDeal, on_delete=models.CASCADE, related_name="deliverables")
    creator = models.ForeignKey(Creator, on_delete=models.PROTECT, related_name="deliverables")
    type = models.CharField("type", max_length=20, choices=Type.choices)
    due_on = models.DateField("due on", db_index=True)
    posted_url = models.URLField("posted URL", blank=True)
    video = models.ForeignKey(
        Video, on_delete=models.SET_NULL, null=True, blank=True, related_name="deliverables"
    )
    status = models.CharField(
        "status", max_length=20, choices=Status.choices, default=Status.PENDING
    )
    feedback = models.TextField("brand feedback", blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_on", "pk"]
        constraints = [
            models.CheckConstraint(
                name="deliverable_status_valid",
                condition=Q(status__in=DeliverableStatus.values),
                violation_error_message="Unknown deliverable status.",
            ),
            models.CheckConstraint(
                name="deliverable_type_valid",
                condition=Q(type__in=DeliverableType.values),
                violation_error_message="Unknown deliverable type.",
            ),
        ]
        triggers = [DELIVERABLE_STATES.guard("deliverable_transitions")]

    def __str__(self) -> str:
        return f"{self.get_type_display()} by {self.creator} (deal {self.deal_id})"
