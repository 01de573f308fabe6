"""Partners of the agency and the platform records behind the partner API."""

from django.conf import settings
from django.db import models
from rest_framework_api_key.models import AbstractAPIKey, BaseAPIKeyManager


class PartnerKind(models.TextChoices):
    BRAND = "brand", "Brand"
    SUB_AGENCY = "sub_agency", "Sub-agency"
    DATA_PARTNER = "data_partner", "Data partner"


class Partner(models.Model):
    """A company that uses the partner API: a brand, a sub-agency (guild) or a data partner."""

    Kind = PartnerKind

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
                condition=models.Q(kind__in=PartnerKind.values),
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
        max_length=64, help_text="SHA-256 of method, path and body (JSON compared parsed)."
    )
    state = models.CharField(max_length=20, choices=State.choices, default=State.IN_PROGRESS)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    # The exact bytes of the first response, sent again on a replay (key order, spacing and
    # all); ``response_body`` is its parsed form.
    response_content = models.BinaryField(null=True, blank=True)
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


class WebhookEndpoint(models.Model):
    """An HTTPS URL a partner registered to receive signed event notifications."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.URLField("URL", max_length=500)
    secret = models.CharField(
        max_length=64, editable=False, help_text="HMAC-SHA256 signing secret, shown once."
    )
    event_types = models.JSONField(
        "event types", default=list, blank=True, help_text="Empty: every event type."
    )
    is_active = models.BooleanField("active", default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["partner", "pk"]
        indexes = [
            models.Index(fields=["partner", "is_active"], name="webhook_endpoint_by_partner")
        ]

    def __str__(self) -> str:
        return self.url

    def wants(self, event_type: str) -> bool:
        return not self.event_types or event_type in self.event_types


class WebhookDelivery(models.Model):
    """One event for one endpoint; retried with exponential backoff until it succeeds or gives up.

    Due retries live here (``next_attempt_at``), polled by a periodic task, never as a long
    Celery countdown.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed (gave up)"

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event_id = models.UUIDField("event id")
    event_type = models.CharField("event type", max_length=60)
    payload = models.JSONField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "event_id"],
                name="webhook_delivery_once_per_endpoint",
                violation_error_message="This event was queued for this endpoint already.",
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="webhook_delivery_due",
                condition=models.Q(status="pending"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.endpoint_id} ({self.status})"


class StateChange(models.Model):
    """One move of a stateful record (a payout, a deal, an invoice...), written by
    ``agency.states.transition`` in the transaction that made the move: who, when, from
    what, to what and why. Records whose app keeps its own audit table (brand deals and
    deliverables: ``DealEvent``) are audited there instead."""

    content_type = models.ForeignKey("contenttypes.ContentType", on_delete=models.PROTECT)
    object_id = models.BigIntegerField("object id")
    field = models.CharField("field", max_length=40, default="status")
    from_state = models.CharField("from", max_length=30)
    to_state = models.CharField("to", max_length=30)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_partner = models.ForeignKey(
        Partner, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.CharField("note", max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["content_type", "object_id"], name="state_change_by_object")
        ]

    def __str__(self) -> str:
        return f"{self.content_type_id}:{self.object_id} {self.from_state} → {self.to_state}"
