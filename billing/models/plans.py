"""Commission plans (maker-checker, effective-dated), advances and recoupable expenses."""

import pghistory
import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import F, Q

from agency.money import CURRENCY_CHOICES, format_money
from billing.models.events import Stream
from billing.models.references import kept_while_referenced_sql
from creators.models import Contract, Creator

RATE_FIELD = {"max_digits": 9, "decimal_places": 6}


def _rate_between_0_and_1(field: str, name: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        name=name,
        condition=Q(**{f"{field}__gte": 0, f"{field}__lte": 1}),
        violation_error_message=f"{field.replace('_', ' ')} must be between 0 and 1.",
    )


@pghistory.track(obj_field=pghistory.ObjForeignKey(related_name="history"))
class CommissionPlan(models.Model):
    """The agency's terms for one contract and stream from ``effective_from`` on.

    ``agency_rate`` applies to the month's cumulative gross of the stream from 0; ``tiers``
    (JSON, ordered) switch to another rate above a threshold in the plan's currency, e.g.
    ``[{"from": "10000.00", "rate": "0.200000"}]`` means 30 % up to 10,000 then 20 %.
    ``manager_share`` and ``sub_agency_share`` are shares of the agency commission.

    A plan takes effect only once approved by a staff member other than its creator
    (service and CHECK); an approved plan's terms cannot change (trigger): a change is a new
    plan with a later ``effective_from``, so the past is never repriced.
    """

    class Basis(models.TextChoices):
        GROSS = "gross", "Gross"
        NET = "net", "Net of platform fee"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending approval"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="+")
    stream = models.CharField("stream", max_length=20, choices=Stream.choices)
    effective_from = models.DateField("effective from")
    currency = models.CharField(
        "tier currency", max_length=3, choices=CURRENCY_CHOICES, help_text="Of tier thresholds."
    )
    agency_rate = models.DecimalField("agency rate", **RATE_FIELD)
    tiers = models.JSONField("tiers", default=list, blank=True)
    manager_share = models.DecimalField("manager share of commission", default=0, **RATE_FIELD)
    sub_agency_share = models.DecimalField(
        "sub-agency share of commission", default=0, **RATE_FIELD
    )
    basis = models.CharField("basis", max_length=10, choices=Basis.choices, default=Basis.GROSS)
    status = models.CharField(
        "status", max_length=20, choices=Status.choices, default=Status.PENDING
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["contract", "stream", "-effective_from"]
        permissions = [("approve_commissionplan", "Can approve or reject commission plans")]
        constraints = [
            _rate_between_0_and_1("agency_rate", "plan_agency_rate_0_1"),
            _rate_between_0_and_1("manager_share", "plan_manager_share_0_1"),
            _rate_between_0_and_1("sub_agency_share", "plan_sub_agency_share_0_1"),
            models.CheckConstraint(
                name="plan_cuts_within_commission",
                condition=Q(
                    manager_share__lte=models.Value(1) - F("sub_agency_share"),
                ),
                violation_error_message="Manager and sub-agency cuts exceed the commission.",
            ),
            models.CheckConstraint(
                name="plan_maker_checker",
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=F("created_by")),
                violation_error_message="A plan must be approved by someone other than its maker.",
            ),
            models.CheckConstraint(
                name="plan_approved_has_approver",
                condition=~Q(status="approved") | Q(approved_by__isnull=False),
                violation_error_message="An approved plan names its approver.",
            ),
            models.UniqueConstraint(
                fields=["contract", "stream", "effective_from"],
                condition=Q(status="approved"),
                name="plan_one_approved_per_start",
                violation_error_message="An approved plan starts on that day already.",
            ),
        ]
        triggers = [
            pgtrigger.Protect(
                name="plan_approved_terms_frozen",
                operation=pgtrigger.Update | pgtrigger.Delete,
                condition=pgtrigger.Q(old__status="approved"),
            ),
            # Splits name their plan without a foreign key (``revenue_split_checked``).
            pgtrigger.Trigger(
                name="plan_referenced_kept",
                when=pgtrigger.Before,
                operation=pgtrigger.Delete,
                condition=~pgtrigger.Q(old__status="approved"),
                func=kept_while_referenced_sql(
                    what="commission plan", children=[("billing_revenuesplit", "plan_id")]
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contract} {self.stream} from {self.effective_from}"


class FourEyes(models.Model):
    """Recorded by one staff member, approved by another member of finance. Only approved
    rows move money: the cash leaves on approval and month close counts approved rows only.
    ``recorded_by`` None is the system; rows paid before approvals existed have an
    ``approved_at`` and no approver."""

    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="recorded by",
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="approved by",
    )
    approved_at = models.DateTimeField("approved at", null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def is_approved(self) -> bool:
        return self.approved_at is not None


def _four_eyes(prefix: str) -> list[models.CheckConstraint]:
    return [
        models.CheckConstraint(
            name=f"{prefix}_maker_checker",
            condition=Q(approved_by__isnull=True) | ~Q(approved_by=F("recorded_by")),
            violation_error_message="Whoever recorded it cannot approve it.",
        ),
        models.CheckConstraint(
            name=f"{prefix}_approver_has_time",
            condition=Q(approved_by__isnull=True) | Q(approved_at__isnull=False),
            violation_error_message="An approval has its time.",
        ),
    ]


class Advance(FourEyes):
    """Money paid to a creator ahead of earnings, recouped at each period close up to
    ``recoup_cap_rate`` of that period's earnings."""

    creator = models.ForeignKey(Creator, on_delete=models.PROTECT, related_name="+")
    currency = models.CharField("currency", max_length=3, choices=CURRENCY_CHOICES)
    amount_minor = models.BigIntegerField("amount (minor units)")
    recoup_cap_rate = models.DecimalField("recoup cap per period", **RATE_FIELD)
    issued_on = models.DateField("issued on")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["creator", "issued_on"]
        constraints = [
            models.CheckConstraint(
                name="advance_positive",
                condition=Q(amount_minor__gt=0),
                violation_error_message="An advance must be positive.",
            ),
            _rate_between_0_and_1("recoup_cap_rate", "advance_recoup_cap_0_1"),
            *_four_eyes("advance"),
        ]

    def __str__(self) -> str:
        return f"Advance of {format_money(self.amount_minor, self.currency)} to {self.creator}"


class RecoupableExpense(FourEyes):
    """A cost the agency paid for the creator, deducted from the creator's share at close."""

    creator = models.ForeignKey(Creator, on_delete=models.PROTECT, related_name="+")
    currency = models.CharField("currency", max_length=3, choices=CURRENCY_CHOICES)
    amount_minor = models.BigIntegerField("amount (minor units)")
    description = models.CharField("description", max_length=255)
    incurred_on = models.DateField("incurred on")
    deducted_in = models.ForeignKey(
        "billing.Statement", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["creator", "incurred_on"]
        constraints = [
            models.CheckConstraint(
                name="expense_positive",
                condition=Q(amount_minor__gt=0),
                violation_error_message="An expense must be positive.",
            ),
            *_four_eyes("expense"),
        ]

    def __str__(self) -> str:
        return self.description
