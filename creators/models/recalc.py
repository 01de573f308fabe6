"""Recalculation runs: a run row and one row per chunk of creator ids, in PostgreSQL.

Completion is counted from the chunk rows (not a chord callback): the chunk that finishes
last, under a lock on the run row, finalises the run. A failed chunk is retried alone; a chunk
whose message was lost (broker outage, killed worker) is sent again by a periodic sweeper.
"""

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q


class RecalcRun(models.Model):
    class Mode(models.TextChoices):
        FULL = "full", "Full"
        INCREMENTAL = "incremental", "Incremental"

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    class Trigger(models.TextChoices):
        NIGHTLY = "nightly", "Nightly schedule"
        ADMIN = "admin", "Admin"
        COMMAND = "command", "Management command"
        DEMO = "demo", "Demo data"

    as_of = models.DateField("as of")
    mode = models.CharField("mode", max_length=20, choices=Mode.choices)
    trigger = models.CharField("trigger", max_length=20, choices=Trigger.choices)
    status = models.CharField(
        "status", max_length=20, choices=Status.choices, default=Status.RUNNING, db_index=True
    )
    selected_only = models.BooleanField(
        "selected creators only",
        default=False,
        help_text="Limited to chosen creators; not a baseline for incremental runs.",
    )
    chunk_size = models.PositiveIntegerField("chunk size")
    creators_total = models.PositiveIntegerField("creators", default=0)
    chunks_total = models.PositiveIntegerField("chunks", default=0)
    chunks_done = models.PositiveIntegerField("chunks done", default=0)
    chunks_failed = models.PositiveIntegerField("chunks failed", default=0)
    rows_written = models.PositiveIntegerField("rows written", default=0)
    error = models.TextField("last error", blank=True)
    started_at = models.DateTimeField("started at", auto_now_add=True)
    finished_at = models.DateTimeField("finished at", null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["as_of"],
                condition=Q(trigger="nightly"),
                name="recalc_run_one_nightly_per_date",
                violation_error_message="The nightly recalculation for that date exists.",
            ),
            models.CheckConstraint(
                name="recalc_run_counts_consistent",
                condition=Q(chunks_done__lte=models.F("chunks_total")),
                violation_error_message="More chunks done than exist.",
            ),
        ]

    def __str__(self) -> str:
        return f"Run {self.pk} as of {self.as_of} ({self.status})"

    @property
    def duration(self):
        return self.finished_at - self.started_at if self.finished_at else None


class RecalcChunk(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    run = models.ForeignKey(RecalcRun, on_delete=models.CASCADE, related_name="chunks")
    index = models.PositiveIntegerField("index")
    creator_ids = ArrayField(models.BigIntegerField(), verbose_name="creator ids")
    status = models.CharField(
        "status", max_length=20, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField("attempts", default=0)
    rows_written = models.PositiveIntegerField("rows written", default=0)
    error = models.TextField("error", blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    enqueued_at = models.DateTimeField(
        "handed out at",
        null=True,
        blank=True,
        help_text="When the chunk was last sent to the workers (or started in process); "
        "the sweeper sends it again when it is still not done long after.",
    )

    class Meta:
        ordering = ["run", "index"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "index"],
                name="recalc_chunk_unique_index",
                violation_error_message="This chunk exists in the run already.",
            ),
        ]
        indexes = [
            models.Index(
                fields=["enqueued_at"],
                name="recalc_chunk_unfinished",
                condition=Q(status__in=["pending", "running"]),
            ),
        ]

    def __str__(self) -> str:
        return f"Run {self.run_id} chunk {self.index} ({self.status})"
