"""Partners of the agency and the platform records behind the partner API."""

from django.db import models
from rest_framework_api_key.models import AbstractAPIKey, BaseAPIKeyManager


class Partner(models.Model):
    """A company that uses the partner API: a brand, a sub-agency (guild) or a data partner."""

    class Kind(models.TextChoices):
        BRAND = "brand", "Brand"
        SUB_AGENCY = "sub_agency", "Sub-agency"
        DATA_PARTNER = "data_partner", "Data partner"

    name = models.CharField("name", max_length=200)
    kind = models.CharField("kind", max_length=20, choices=Kind.choices)
    is_active = models.BooleanField(
        "active", default=True, help_text="An inactive partner's keys are refused."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.CheckConstraint(
                name="partner_kind_valid",
                condition=models.Q(kind__in=["brand", "sub_agency", "data_partner"]),
                violation_error_message="Unknown partner kind.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"


class PartnerAPIKeyManager(BaseAPIKeyManager):
    def get_usable_keys(self) -> models.QuerySet:
        return super().get_usable_keys().select_related("partner")


class PartnerAPIKey(AbstractAPIKey):
    """An API key bound to one partner. Only the hash and the prefix are stored."""

    objects = PartnerAPIKeyManager()

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="api_keys")

    class Meta(AbstractAPIKey.Meta):
        verbose_name = "partner API key"
        verbose_name_plural = "partner API keys"


class IdempotencyRecord(models.Model):
    """The first response to a POST carrying an ``Idempotency-Key``, per partner and key.

    A record is created (``in_progress``) before the request runs, so a concurrent request
    with the same key sees it and gets a 409; it is completed with the response afterwards.
    """

    class State(models.TextChoices):
        IN_PROGRESS = "in_progress", "In progress"
        COMPLETED = "completed", "Completed"

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    request_fingerprint = models.CharField(
        max_length=64, help_text="SHA-256 of method, path, body."
    )
    state = models.CharField(max_length=20, choices=State.choices, default=State.IN_PROGRESS)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "key"],
                name="idempotency_record_unique_partner_key",
                violation_error_message="This Idempotency-Key was already used by this partner.",
            ),
            models.CheckConstraint(
                name="idempotency_record_completed_has_response",
                condition=~models.Q(state="completed") | models.Q(response_status__isnull=False),
                violation_error_message="A completed record keeps its response status.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.partner_id}:{self.key}"
