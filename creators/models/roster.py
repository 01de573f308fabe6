"""The roster: creators, their platform accounts (with handle history) and contracts."""

import pghistory
from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import RangeOperators
from django.db import models
from django.db.models import F, Func, Q

from agency.models import Partner
from agency.money import CURRENCY_CHOICES


class Platform(models.TextChoices):
    TIKTOK = "tiktok", "TikTok"
    DOUYIN = "douyin", "Douyin"
    YOUTUBE = "youtube", "YouTube"
    INSTAGRAM = "instagram", "Instagram"
    KUAISHOU = "kuaishou", "Kuaishou"


class CreatorStatus(models.TextChoices):
    PROSPECT = "prospect", "Prospect"
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"
    TERMINATED = "terminated", "Terminated"


class Creator(models.Model):
    Status = CreatorStatus

    legal_name = models.CharField("legal name", max_length=200)
    stage_name = models.CharField("stage name", max_length=200, db_index=True)
    date_of_birth = models.DateField("date of birth", null=True, blank=True)
    country = models.CharField("country", max_length=2, help_text="ISO 3166-1 alpha-2, e.g. US.")
    payout_currency = models.CharField("payout currency", max_length=3, choices=CURRENCY_CHOICES)
    status = models.CharField(
        "status", max_length=20, choices=Status.choices, default=Status.PROSPECT, db_index=True
    )
    talent_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="managed_creators",
        limit_choices_to={"is_staff": True},
        verbose_name="talent manager",
    )
    sub_agency = models.ForeignKey(
        Partner,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="creators",
        limit_choices_to={"kind": Partner.Kind.SUB_AGENCY},
        verbose_name="sub-agency",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["stage_name", "pk"]
        constraints = [
            models.CheckConstraint(
                name="creator_country_iso2",
                condition=Q(country__regex=r"^[A-Z]{2}$"),
                violation_error_message="Country must be an ISO 3166-1 alpha-2 code such as US.",
            ),
            models.CheckConstraint(
                name="creator_status_valid",
                condition=Q(status__in=CreatorStatus.values),
                violation_error_message="Unknown creator status.",
            ),
        ]
        indexes = [models.Index(fields=["sub_agency", "id"], name="creator_by_sub_agency")]

    def __str__(self) -> str:
        return self.stage_name


class PlatformAccount(models.Model):
    """A creator's account on one platform. The platform's id is stable; the handle is not."""

    class AccountType(models.TextChoices):
        PERSONAL = "personal", "Personal / creator"
        BUSINESS = "business", "Business"

    creator = models.ForeignKey(Creator, on_delete=models.CASCADE, related_name="accounts")
    platform = models.CharField("platform", max_length=20, choices=Platform.choices)
    platform_account_id = models.CharField("platform account id", max_length=100)
    handle = models.CharField("current handle", max_length=100)
    account_type = models.CharField(
        "account type", max_length=20, choices=AccountType.choices, default=AccountType.PERSONAL
    )
    niche = models.CharField("niche", max_length=60, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["platform", "handle"]
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "platform_account_id"],
                name="platform_account_unique_platform_id",
                violation_error_message="This platform account is on the roster already.",
            ),
        ]
        indexes = [models.Index(fields=["creator", "platform"], name="account_by_creator")]

    def __str__(self) -> str:
        return f"@{self.handle} ({self.get_platform_display()})"


class AccountHandle(models.Model):
    """Every handle an account has had, from when, so reports that carry only a handle match."""

    account = models.ForeignKey(PlatformAccount, on_delete=models.CASCADE, related_name="handles")
    platform = models.CharField(max_length=20, choices=Platform.choices)
    handle = models.CharField(max_length=100)
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True, help_text="Empty while current.")

    class Meta:
        ordering = ["account", "valid_from"]
        constraints = [
            models.CheckConstraint(
                name="account_handle_period_ordered",
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=F("valid_from")),
                violation_error_message="A handle's end must come after its start.",
            ),
            ExclusionConstraint(
                name="account_handle_one_owner_at_a_time",
                expressions=[
                    ("platform", RangeOperators.EQUAL),
                    (Func(F("handle"), function="lower"), RangeOperators.EQUAL),
                    (
                        Func(
                            F("valid_from"), F("valid_to"), models.Value("[)"), function="daterange"
                        ),
                        RangeOperators.OVERLAPS,
                    ),
                ],
                violation_error_message="Another account held this handle in that period.",
            ),
        ]

    def __str__(self) -> str:
        return f"@{self.handle} from {self.valid_from}"


@pghistory.track(obj_field=pghistory.ObjForeignKey(related_name="history"))
class Contract(models.Model):
    """A creator's contract with the agency. Commission plans per stream hang off it (billing)."""

    creator = models.ForeignKey(Creator, on_delete=models.PROTECT, related_name="contracts")
    starts_on = models.DateField("starts on")
    ends_on = models.DateField(
        "ends on", null=True, blank=True, help_text="Exclusive; empty if open."
    )
    exclusive = models.BooleanField("exclusive", default=True)
    payout_currency = models.CharField("payout currency", max_length=3, choices=CURRENCY_CHOICES)
    signed_at = models.DateTimeField("signed at", null=True, blank=True)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["creator", "-starts_on"]
        constraints = [
            models.CheckConstraint(
                name="contract_period_ordered",
                condition=Q(ends_on__isnull=True) | Q(ends_on__gt=F("starts_on")),
                violation_error_message="A contract must end after it starts.",
            ),
            ExclusionConstraint(
                name="contract_one_active_per_creator",
                expressions=[
                    ("creator", RangeOperators.EQUAL),
                    (
                        Func(
                            F("starts_on"), F("ends_on"), models.Value("[)"), function="daterange"
                        ),
                        RangeOperators.OVERLAPS,
                    ),
                ],
                violation_error_message="This creator has another contract in that period.",
            ),
        ]

    def __str__(self) -> str:
        end = self.ends_on or "open"
        return f"{self.creator} {self.starts_on} to {end}"
