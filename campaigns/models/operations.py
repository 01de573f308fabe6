"""Livestream sessions and LIVE reports, ad operations, agency services."""

from django.db import models
from django.db.models import F, Q

from agency.models import Partner
from agency.money import CURRENCY_CHOICES
from campaigns.models.brands import Brand
from creators.models import Creator, Platform, PlatformAccount


def _rate_check(name: str, field: str, low: str = "0", high: str = "1") -> models.CheckConstraint:
    return models.CheckConstraint(
        name=name,
        condition=Q(**{f"{field}__gte": low, f"{field}__lte": high}),
        violation_error_message=f"{field.replace('_', ' ').capitalize()} must be {low}-{high}.",
    )


def _reported_by() -> models.ForeignKey:
    return models.ForeignKey(
        Partner, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name="reported by", help_text="The data partner that reported it (none: staff).",
    )  # fmt: skip


class LiveSession(models.Model):
    """One livestream. Gifts and commerce become revenue events; an agency-operated session
    also carries the operation fee billed to the client. The audience counts grade the
    session's conversion (orders / viewers, campaigns/README.md)."""

    creator = models.ForeignKey(Creator, on_delete=models.PROTECT, related_name="live_sessions")
    account = models.ForeignKey(PlatformAccount, on_delete=models.PROTECT, related_name="+")
    partner = _reported_by()
    external_id = models.CharField(
        "session id (reporter's)", max_length=100, blank=True, default="",
        help_text="Unique per reporter; re-sending it updates the session.",
    )  # fmt: skip
    started_at = models.DateTimeField("started at")
    ended_at = models.DateTimeField("ended at")
    viewers = models.BigIntegerField("viewers", default=0)
    peak_viewers = models.BigIntegerField("peak concurrent viewers", default=0)
    product_clicks = models.BigIntegerField("product clicks", default=0)
    orders = models.BigIntegerField("orders", default=0)
    diamonds = models.BigIntegerField("gift diamonds", default=0)
    # Minor units of ``currency`` (gifts value, commerce GMV, refunds, operation fee).
    gifts_value_minor = models.BigIntegerField("gifts value (minor units)", default=0)
    gmv_minor = models.BigIntegerField("commerce GMV (minor units)", default=0)
    refunds_minor = models.BigIntegerField("commerce refunds (minor units)", default=0)
    commerce_commission_rate = models.DecimalField(
        "commerce commission rate", max_digits=9, decimal_places=6, default=0
    )
    currency = models.CharField("currency", max_length=3, choices=CURRENCY_CHOICES)
    operated_by_agency = models.BooleanField("operated by the agency", default=False)
    client = models.ForeignKey(
        Brand, on_delete=models.PROTECT, null=True, blank=True, related_name="live_sessions",
        help_text="Who pays the operation fee.",
    )  # fmt: skip
    operation_fee_minor = models.BigIntegerField("operation fee (minor units)", default=0)
    revenue_booked_at = models.DateTimeField("revenue booked at", null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "pk"]
        constraints = [
            models.CheckConstraint(
                name="live_session_ends_after_start",
                condition=Q(ended_at__gt=F("started_at")),
                violation_error_message="A session ends after it starts.",
            ),
            models.CheckConstraint(
                name="live_session_amounts_non_negative",
                condition=Q(
                    diamonds__gte=0,
                    gifts_value_minor__gte=0,
                    gmv_minor__gte=0,
                    refunds_minor__gte=0,
                    operation_fee_minor__gte=0,
                ),
                violation_error_message="Amounts cannot be negative.",
            ),
            models.CheckConstraint(
                name="live_session_refunds_within_gmv",
                condition=Q(refunds_minor__lte=F("gmv_minor")),
                violation_error_message="Refunds cannot exceed the GMV.",
            ),
            models.CheckConstraint(
                name="live_session_fee_needs_client",
                condition=Q(operation_fee_minor=0)
                | Q(operated_by_agency=True, client__isnull=False),
                violation_error_message="Only an agency-operated session with a client has a fee.",
            ),
            _rate_check("live_session_commission_rate", "commerce_commission_rate"),
            models.CheckConstraint(
                name="live_session_audience_counts",
                condition=Q(viewers__gte=0, product_clicks__gte=0, orders__gte=0)
                & Q(peak_viewers__gte=0, peak_viewers__lte=F("viewers")),
                violation_error_message="Counts are not negative; the peak is at most the viewers.",
            ),
            models.UniqueConstraint(
                fields=["partner", "external_id"],
                condition=~Q(external_id=""),
                nulls_distinct=False,
                name="live_session_unique_reporter_id",
                violation_error_message="This reporter's session id exists already.",
            ),
        ]
        indexes = [models.Index(fields=["creator", "started_at"], name="live_by_creator_start")]

    def __str__(self) -> str:
        return f"{self.creator} LIVE {self.started_at:%Y-%m-%d %H:%M}"


class LiveCommerceRefund(models.Model):
    """A refund of a session's commerce GMV. After the session's revenue was booked, the
    commission on it is clawed back (``clawback_minor``) by a billing refund event."""

    session = models.ForeignKey(LiveSession, on_delete=models.PROTECT, related_name="refunds")
    external_id = models.CharField("platform refund id", max_length=100)
    amount_minor = models.BigIntegerField("refunded GMV (minor units)")
    refunded_on = models.DateField("refunded on")
    clawback_minor = models.BigIntegerField("commission clawed back (minor units)", default=0)

    class Meta:
        ordering = ["refunded_on", "pk"]
        constraints = [
            models.CheckConstraint(
                name="live_refund_positive",
                condition=Q(amount_minor__gt=0, clawback_minor__gte=0),
                violation_error_message="A refund amount is positive.",
            ),
            models.UniqueConstraint(
                fields=["session", "external_id"],
                name="live_refund_unique_per_session",
                violation_error_message="This session's refund id exists already.",
            ),
        ]

    def __str__(self) -> str:
        return self.external_id


class LiveMonthlyReport(models.Model):
    """A platform's monthly LIVE report for one account (imported from CSV)."""

    account = models.ForeignKey(PlatformAccount, on_delete=models.PROTECT, related_name="+")
    month = models.DateField("month", help_text="First day of the month.")
    diamonds = models.BigIntegerField("diamonds")
    valid_live_days = models.PositiveSmallIntegerField("valid live days")
    live_minutes = models.PositiveIntegerField("live minutes")
    imported_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-month", "account"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "month"],
                name="live_report_unique_account_month",
                violation_error_message="This account's month is imported already.",
            ),
            models.CheckConstraint(
                name="live_report_valid",
                condition=Q(diamonds__gte=0, valid_live_days__lte=31, month__day=1),
                violation_error_message="Diamonds >= 0, at most 31 live days, month = 1st.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.month:%Y-%m}"


class AdAccount(models.Model):
    """An ad account the agency runs for a brand. The agency earns a share of the spend,
    billed to the brand (``fee``), or a rebate the platform pays (``rebate``)."""

    class FeeModel(models.TextChoices):
        FEE = "fee", "Fee on spend (billed to the brand)"
        REBATE = "rebate", "Platform rebate on spend"

    brand = models.ForeignKey(Brand, on_delete=models.PROTECT, related_name="ad_accounts")
    platform = models.CharField("platform", max_length=20, choices=Platform.choices)
    external_id = models.CharField("platform ad account id", max_length=100)
    currency = models.CharField("currency", max_length=3, choices=CURRENCY_CHOICES)
    fee_model = models.CharField("fee model", max_length=10, choices=FeeModel.choices)
    fee_rate = models.DecimalField("fee or rebate rate", max_digits=9, decimal_places=6)
    creator = models.ForeignKey(
        Creator, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        help_text="The creator whose content the ads run (revenue events need a creator).",
    )  # fmt: skip

    class Meta:
        ordering = ["brand", "platform", "external_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "external_id"],
                name="ad_account_unique_platform_id",
                violation_error_message="This ad account exists already.",
            ),
            _rate_check("ad_account_fee_rate", "fee_rate"),
        ]

    def __str__(self) -> str:
        return f"{self.brand} {self.get_platform_display()} {self.external_id}"


class AdSpend(models.Model):
    ad_account = models.ForeignKey(AdAccount, on_delete=models.PROTECT, related_name="spend")
    partner = _reported_by()
    spent_on = models.DateField("date")
    amount_minor = models.BigIntegerField("spend (minor units of the account currency)")

    class Meta:
        ordering = ["-spent_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["ad_account", "spent_on"],
                name="ad_spend_unique_day",
                violation_error_message="This day's spend is recorded already.",
            ),
            models.CheckConstraint(
                name="ad_spend_non_negative",
                condition=Q(amount_minor__gte=0),
                violation_error_message="Spend cannot be negative.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ad_account_id} {self.spent_on}"


class ServiceAgreement(models.Model):
    """An agency service sold to a client: a monthly retainer or a price per unit."""

    class Kind(models.TextChoices):
        ACCOUNT_OPERATION = "account_operation", "Account operation"
        CONTENT_PRODUCTION = "content_production", "Content production"
        DATA_TOOLS = "data_tools", "Data tools"

    class Billing(models.TextChoices):
        RETAINER = "retainer", "Monthly retainer"
        PER_UNIT = "per_unit", "Per unit"

    client = models.ForeignKey(Brand, on_delete=models.PROTECT, related_name="services")
    kind = models.CharField("service", max_length=30, choices=Kind.choices)
    billing = models.CharField("billing", max_length=10, choices=Billing.choices)
    # Minor units of ``currency``: the monthly retainer, or the price of one unit.
    price_minor = models.BigIntegerField("price (minor units)")
    currency = models.CharField("currency", max_length=3, choices=CURRENCY_CHOICES)
    starts_on = models.DateField("starts on")
    ends_on = models.DateField("ends on", null=True, blank=True)
    creator = models.ForeignKey(
        Creator, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        help_text="The creator involved (gets the agency_service revenue split).",
    )  # fmt: skip

    class Meta:
        ordering = ["client", "kind"]
        constraints = [
            models.CheckConstraint(
                name="service_price_positive",
                condition=Q(price_minor__gt=0),
                violation_error_message="A price must be positive.",
            ),
            models.CheckConstraint(
                name="service_dates_ordered",
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on")),
                violation_error_message="A service ends on or after its start.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.client}: {self.get_kind_display()} ({self.get_billing_display()})"


class ServiceUnit(models.Model):
    """Units delivered under a per-unit agreement (e.g. 3 videos produced)."""

    agreement = models.ForeignKey(ServiceAgreement, on_delete=models.PROTECT, related_name="units")
    performed_on = models.DateField("performed on")
    quantity = models.PositiveIntegerField("quantity")
    description = models.CharField("description", max_length=200, blank=True)

    class Meta:
        ordering = ["-performed_on", "pk"]
        constraints = [
            models.CheckConstraint(
                name="service_unit_quantity_positive",
                condition=Q(quantity__gt=0),
                violation_error_message="Quantity must be positive.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agreement_id} x{self.quantity} {self.performed_on}"
