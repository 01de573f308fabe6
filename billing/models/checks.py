"""The record of each ledger check (``verify_ledger``): when it ran, who or what ran it, and
what it found, so finance sees the last result on its dashboard without a shell."""

from django.db import models
from django.db.models import Q


class LedgerCheck(models.Model):
    class Source(models.TextChoices):
        NIGHTLY = "nightly", "Nightly job"
        COMMAND = "command", "verify_ledger command"

    source = models.CharField("run by", max_length=20, choices=Source.choices)
    started_at = models.DateTimeField("started at")
    finished_at = models.DateTimeField("finished at")
    mismatch_count = models.PositiveIntegerField("mismatches")
    # The first mismatches found, as the human-readable lines verify_ledger prints.
    mismatches = models.JSONField("mismatches found", default=list, blank=True)

    class Meta:
        ordering = ["-finished_at", "-pk"]
        get_latest_by = "finished_at"
        constraints = [
            models.CheckConstraint(
                name="ledger_check_finishes_after_start",
                condition=Q(finished_at__gte=models.F("started_at")),
                violation_error_message="A check finishes after it starts.",
            ),
        ]
        indexes = [models.Index(fields=["-finished_at"], name="ledger_check_latest")]

    def __str__(self) -> str:
        found = "clean" if not self.mismatch_count else f"{self.mismatch_count} mismatches"
        return f"Ledger check {self.finished_at:%Y-%m-%d %H:%M}: {found}"
