"""Effective periods ``[effective_from, effective_to)`` of versioned data: one in force a day."""

from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import RangeOperators
from django.db import models
from django.db.models import F, Func, Q


def effective_period_constraints(*, name: str, label: str) -> list[models.BaseConstraint]:
    """An ordered period, and no two rows of the table in force on the same day."""
    return [
        models.CheckConstraint(
            name=f"{name}_period_ordered",
            condition=Q(effective_to__isnull=True) | Q(effective_to__gt=F("effective_from")),
            violation_error_message=f"A {label} must end after it starts.",
        ),
        ExclusionConstraint(
            name=f"{name}_one_in_force",
            expressions=[
                (
                    Func(
                        F("effective_from"), F("effective_to"), models.Value("[)"),
                        function="daterange",
                    ),
                    RangeOperators.OVERLAPS,
                ),
            ],
            violation_error_message=f"Another {label} is in force then.",
        ),
    ]  # fmt: skip
