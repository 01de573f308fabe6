"""Which creators a data partner reports for (used when ``BILLING_DATA_PARTNER_SCOPE`` is
``assigned``)."""

from django.db import models

from agency.models import Partner
from creators.models import Creator


class DataPartnerCreator(models.Model):
    """A creator assigned to a data partner: with the ``assigned`` scope, the partner's
    revenue events and remittance lines may name this creator (and only assigned ones)."""

    partner = models.ForeignKey(
        Partner,
        on_delete=models.CASCADE,
        related_name="+",
        limit_choices_to={"kind": Partner.Kind.DATA_PARTNER},
        verbose_name="data partner",
    )
    creator = models.ForeignKey(Creator, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["partner", "creator"]
        verbose_name = "creator assigned to a data partner"
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "creator"],
                name="data_partner_creator_once",
                violation_error_message="This creator is assigned to that partner already.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.creator} reported by {self.partner}"
