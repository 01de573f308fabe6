"""Affiliate and shop sales: links (with clicks), orders, refunds."""

from django.db import models
from django.db.models import F, Q

from agency.models import Partner
from agency.money import CURRENCY_CHOICES
from creators.models import Creator, Platform


class AffiliateLink(models.Model):
    """A creator's shop / product link or discount code; clicks are reported by the shop."""

    creator = models.ForeignKey(Creator, on_delete=models.PROTECT, related_name="affiliate_links")
    platform = models.CharField("shop platform", max_length=20, choices=Platform.choices)
    code = models.CharField("link or code", max_length=200, unique=True)
    clicks = models.BigIntegerField("clicks", default=0)

    class Meta:
        ordering = ["creator", "code"]
        constraints = [
            models.CheckConstraint(
                name="affiliate_link_clicks_non_negative",
                condition=Q(clicks__gte=0),
                violation_error_message="Clicks cannot be negative.",
            ),
        ]

    def __str__(self) -> str:
        return self.code


class AffiliateOrderStatus(models.TextChoices):
    PENDING = "pending", "Pending settlement"
    SETTLED = "settled", "Settled"
    REFUNDED = "refunded", "Fully refunded"


class AffiliateOrder(models.Model):
    """An order through a link. Its commission becomes an affiliate revenue event when it
    settles (``settles_on``, the shop's hold period); refunds after that are clawed back."""

    Status = AffiliateOrderStatus

    link = models.ForeignKey(AffiliateLink, on_delete=models.PROTECT, related_name="orders")
    partner = models.ForeignKey(
        Partner, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name="reported by", help_text="The data partner that reported it (none: staff).",
    )  # fmt: skip
    external_id = models.CharField("shop order id", max_length=100)
    product = models.CharField("product", max_length=200)
    # Minor units of ``currency``.
    gmv_minor = models.BigIntegerField("GMV (minor units)")
    refunded_minor = models.BigIntegerField("refunded GMV (minor units)", default=0)
    currency = models.CharField("currency", max_length=3, choices=CURRENCY_CHOICES)
    commission_rate = models.DecimalField("commission rate", max_digits=9, decimal_places=6)
    status = models.CharField(
        "status", max_length=20, choices=Status.choices, default=Status.PENDING
    )
    ordered_on = models.DateField("ordered on")
    settles_on = models.DateField("settles on", db_index=True)
    settled_commission_minor = models.BigIntegerField(
        "commission booked at settlement (minor units)", null=True, blank=True
    )

    class Meta:
        ordering = ["-ordered_on", "pk"]
        constraints = [
            models.CheckConstraint(
                name="affiliate_order_commission_rate_1_80",
                condition=Q(commission_rate__gte="0.01", commission_rate__lte="0.80"),
                violation_error_message="Commission rate must be between 1 % and 80 %.",
            ),
            models.CheckConstraint(
                name="affiliate_order_amounts",
                condition=Q(gmv_minor__gt=0, refunded_minor__gte=0)
                & Q(refunded_minor__lte=F("gmv_minor")),
                violation_error_message="GMV is positive; refunds are between 0 and the GMV.",
            ),
            models.CheckConstraint(
                name="affiliate_order_status_valid",
                condition=Q(status__in=AffiliateOrderStatus.values),
                violation_error_message="Unknown order status.",
            ),
            models.CheckConstraint(
                name="affiliate_order_settles_after_order",
                condition=Q(settles_on__gte=F("ordered_on")),
                violation_error_message="An order settles on or after its date.",
            ),
            models.UniqueConstraint(
                fields=["partner", "external_id"],
                nulls_distinct=False,
                name="affiliate_order_unique_reporter_id",
                violation_error_message="This reporter's order id exists already.",
            ),
        ]
        indexes = [models.Index(fields=["status", "settles_on"], name="affiliate_due_to_settle")]

    def __str__(self) -> str:
        return self.external_id


class AffiliateRefund(models.Model):
    """A full or partial refund of an order's GMV. ``clawback_minor`` is the commission
    taken back by a negative revenue event (only for refunds after settlement)."""

    order = models.ForeignKey(AffiliateOrder, on_delete=models.PROTECT, related_name="refunds")
    external_id = models.CharField("shop refund id", max_length=100)
    amount_minor = models.BigIntegerField("refunded GMV (minor units)")
    refunded_on = models.DateField("refunded on")
    after_settlement = models.BooleanField("after settlement", default=False)
    clawback_minor = models.BigIntegerField("commission clawed back (minor units)", default=0)

    class Meta:
        ordering = ["refunded_on", "pk"]
        constraints = [
            models.CheckConstraint(
                name="affiliate_refund_positive",
                condition=Q(amount_minor__gt=0, clawback_minor__gte=0),
                violation_error_message="A refund amount is positive.",
            ),
            models.UniqueConstraint(
                fields=["order", "external_id"],
                name="affiliate_refund_unique_per_order",
                violation_error_message="This order's refund id exists already.",
            ),
        ]

    def __str__(self) -> str:
        return self.external_id
