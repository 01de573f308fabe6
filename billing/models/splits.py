"""The stored result of splitting one revenue event, with the rates it used."""

import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import F, Q

from agency.models import Partner
from agency.money import CURRENCY_CHOICES
from billing.models.events import RevenueEvent, Stream
from billing.models.plans import CommissionPlan
from billing.models.references import DECLARE, parents_exist_sql

# Once per INSERT (or COPY) statement of splits, over the new rows as a set, instead of a
# foreign-key probe per split at COMMIT: the events and plans named exist. Events are locked
# as a foreign key would lock them (the posting engine holds them FOR UPDATE already); of
# the plans, only those not approved (approved ones are frozen and never deleted). Deletes
# on the other side: ``revenue_event_referenced_kept``, ``plan_referenced_kept``.
REVENUE_SPLIT_CHECK_SQL = (
    parents_exist_sql(
        rows="new_splits",
        column="event_id",
        parent="billing_revenueevent",
        what="revenue split names event",
        lock="all",
    )
    + parents_exist_sql(
        rows="new_splits",
        column="plan_id",
        parent="billing_commissionplan",
        what="revenue split names commission plan",
        lock="p.status <> 'approved'",
    )
    + """
    RETURN NULL;
"""
)


class RevenueSplit(models.Model):
    """Legs of one event in its own currency (minor units). They sum to ``gross_minor``
    exactly (CHECK). ``rates`` is the snapshot of the plan terms and tier portions used, so
    a refund reverses at the rates actually charged. Immutable once written."""

    # References checked once per statement by ``revenue_split_checked``, not by a foreign
    # key probe per row (billing/README.md, "Posting engine"); Django keeps PROTECT.
    event = models.OneToOneField(
        RevenueEvent, on_delete=models.PROTECT, related_name="split", db_constraint=False
    )
    plan = models.ForeignKey(
        CommissionPlan,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
    )
    currency = models.CharField("currency", max_length=3, choices=CURRENCY_CHOICES)
    gross_minor = models.BigIntegerField("gross")
    fee_minor = models.BigIntegerField("platform fee")
    agency_minor = models.BigIntegerField("agency")
    manager_minor = models.BigIntegerField("manager")
    sub_agency_minor = models.BigIntegerField("sub-agency")
    creator_minor = models.BigIntegerField("creator")
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    sub_agency = models.ForeignKey(
        Partner,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # split_by_sub_agency starts with it
    )
    rates = models.JSONField("rates used")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-pk"]
        constraints = [
            models.CheckConstraint(
                name="split_legs_sum_to_gross",
                condition=Q(
                    gross_minor=F("fee_minor")
                    + F("agency_minor")
                    + F("manager_minor")
                    + F("sub_agency_minor")
                    + F("creator_minor")
                ),
                violation_error_message="Split legs must sum exactly to the gross.",
            ),
        ]
        indexes = [models.Index(fields=["sub_agency", "-id"], name="split_by_sub_agency")]
        triggers = [
            pgtrigger.Protect(
                name="revenue_split_immutable", operation=pgtrigger.Update | pgtrigger.Delete
            ),
            pgtrigger.Trigger(
                name="revenue_split_checked",
                level=pgtrigger.Statement,
                when=pgtrigger.After,
                operation=pgtrigger.Insert,
                referencing=pgtrigger.Referencing(new="new_splits"),
                declare=DECLARE,
                func=REVENUE_SPLIT_CHECK_SQL,
            ),
        ]

    def __str__(self) -> str:
        return f"Split of event {self.event_id}"


class MonthToDate(models.Model):
    """The gross of a creator's sales in one stream and month, in the plan's currency: the
    total that tiers are measured against. ``gross_scaled`` is the exact sum of the splits'
    ``gross_in_plan_currency`` (major units) times ``SCALE``, an integer. Kept by the posting
    engine in the transaction that writes the splits (one upsert per batch), so a month is
    never rescanned per event; ``verify_ledger`` recomputes it from the splits."""

    SCALE = 10**20  # a split's gross in plan currency has a denominator dividing 10**20

    creator = models.ForeignKey(
        "creators.Creator",
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # month_to_date_one_row starts with it
    )
    stream = models.CharField("stream", max_length=20, choices=Stream.choices)
    month = models.DateField("month")
    currency = models.CharField("plan currency", max_length=3, choices=CURRENCY_CHOICES)
    gross_scaled = models.DecimalField("gross x 10^20", max_digits=60, decimal_places=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["creator", "stream", "month", "currency"], name="month_to_date_one_row"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.creator_id} {self.stream} {self.month:%Y-%m} {self.currency}"
