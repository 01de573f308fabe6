"""Scoring versions: the weights of the performance score and the tier floors, as data.

A version is in force over an effective period (periods never overlap: exclusion
constraint); a snapshot is computed with the version in force on its ``as_of`` and records
its number (``score_version``), so a new version changes snapshots from its first day on and
never rewrites history. Weights name snapshot columns (``SCORABLE``) and sum to 1; tier
floors are the lowest median views per video (28 days) of L2, L3, L4 and L5.
"""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import models

from creators.models.periods import effective_period_constraints

# Signals a version may weigh; "regularity" ranks the posting-gap std. dev., lower better.
SCORABLE = (
    "completion_rate",
    "replay_rate",
    "like_rate",
    "comment_rate",
    "share_rate",
    "save_rate",
    "watch_seconds_per_view",
    "niche_consistency",
    "follower_growth_rate",
    "videos_per_week",
    "regularity",
)


class ScoringVersion(models.Model):
    version = models.PositiveSmallIntegerField("version", unique=True)
    effective_from = models.DateField("effective from", help_text="Snapshots as of this day on.")
    effective_to = models.DateField(
        "effective to", null=True, blank=True, help_text="Exclusive; empty while in force."
    )
    weights = models.JSONField(
        "weights", help_text='{"completion_rate": "0.30", ...}: signals of SCORABLE, sum 1.'
    )
    tier_floors = models.JSONField(
        "tier floors", help_text="Lowest median views per video of L2, L3, L4, L5 (ascending)."
    )
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["-effective_from"]
        constraints = [
            *effective_period_constraints(name="scoring_version", label="scoring version"),
        ]

    def __str__(self) -> str:
        return f"scoring v{self.version} from {self.effective_from}"

    def clean(self) -> None:
        self.parsed_weights()
        self.parsed_floors()

    def parsed_weights(self) -> dict[str, Decimal]:
        """The weights as Decimals; raises ValidationError unless they are known and sum to 1."""
        if not isinstance(self.weights, dict) or not self.weights:
            raise ValidationError({"weights": "An object of signal: weight."})
        unknown = set(self.weights) - set(SCORABLE)
        if unknown:
            raise ValidationError({"weights": f"Unknown signals: {', '.join(sorted(unknown))}."})
        try:
            weights = {k: Decimal(str(v)) for k, v in self.weights.items()}
        except InvalidOperation as exc:
            raise ValidationError({"weights": "Weights are decimal numbers."}) from exc
        if any(w < 0 for w in weights.values()) or sum(weights.values()) != 1:
            raise ValidationError({"weights": "Weights are >= 0 and sum to 1."})
        return weights

    def parsed_floors(self) -> list[int]:
        floors = self.tier_floors
        if (
            not isinstance(floors, list)
            or len(floors) != 4
            or not all(isinstance(f, int) and f > 0 for f in floors)
            or floors != sorted(set(floors))
        ):
            raise ValidationError({"tier_floors": "Four ascending whole numbers (L2..L5)."})
        return floors
