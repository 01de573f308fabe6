"""Monetisation programs and their rule sets, as data (the platforms' published thresholds).

A program (e.g. TikTok Creator Rewards) has rule sets, each a version with an effective
period; periods of one program never overlap (PostgreSQL exclusion constraint), so exactly
one rule set applies on any date. Results are stored per (creator, program, as_of).
"""

import pghistory
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import ArrayField, RangeOperators
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Func, Q

from agency.money import CURRENCY_CHOICES
from creators.models.roster import Creator, Platform, PlatformAccount


class EligibilityProgram(models.Model):
    code = models.SlugField("code", max_length=60, unique=True, help_text="Used by the API.")
    name = models.CharField("name", max_length=200)
    platform = models.CharField(
        "platform",
        max_length=20,
        choices=Platform.choices,
        blank=True,
        help_text="Empty: any platform (the creator's account with most followers counts).",
    )
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


@pghistory.track()
class EligibilityRuleSet(models.Model):
    """One version of a program's rules. Empty thresholds are not checked.

    Every insert and update is recorded by django-pghistory (with the admin user and
    request id from its middleware), so a past evaluation can be traced to its thresholds.
    """

    class RateBasis(models.TextChoices):
        NONE = "none", "No estimate (revenue share or commission)"
        VIEWS = "views", "Views"
        QUALIFIED_VIEWS = "qualified_views", "Qualified views"
        FOR_YOU_VIEWS = "for_you_views", "For You views (daily video rows)"

    program = models.ForeignKey(
        EligibilityProgram, on_delete=models.CASCADE, related_name="rule_sets"
    )
    version = models.PositiveSmallIntegerField("version")
    name = models.CharField("name at the time", max_length=200, blank=True)
    effective_from = models.DateField("effective from")
    effective_to = models.DateField(
        "effective to", null=True, blank=True, help_text="Exclusive; empty while in force."
    )
    min_age = models.PositiveSmallIntegerField("minimum age", null=True, blank=True)
    min_followers = models.PositiveIntegerField("minimum followers", null=True, blank=True)
    min_followers_business = models.PositiveIntegerField(
        "minimum followers (business accounts)",
        null=True,
        blank=True,
        help_text="Overrides the minimum for business accounts (shop: 0).",
    )
    views_window_days = models.PositiveSmallIntegerField("views window (days)", default=30)
    min_views = models.PositiveBigIntegerField("minimum views in window", null=True, blank=True)
    min_qualified_views = models.PositiveBigIntegerField(
        "minimum qualified views in window", null=True, blank=True
    )
    watch_hours_window_days = models.PositiveSmallIntegerField(
        "watch hours window (days)", default=365
    )
    min_watch_hours = models.PositiveIntegerField(
        "minimum watch hours in window", null=True, blank=True
    )
    alt_views_window_days = models.PositiveSmallIntegerField(
        "alternative views window (days)", null=True, blank=True
    )
    alt_min_views = models.PositiveBigIntegerField(
        "alternative to watch hours: views in that window",
        null=True,
        blank=True,
        help_text="Watch hours pass when either threshold is met (YouTube: 10M Shorts views).",
    )
    video_longer_than_seconds = models.PositiveIntegerField(
        "videos longer than (seconds)",
        null=True,
        blank=True,
        help_text="At least one video in the views window must be strictly longer.",
    )
    original_content_required = models.BooleanField("original content required", default=False)
    countries = ArrayField(
        models.CharField(max_length=2),
        default=list,
        blank=True,
        verbose_name="countries",
        help_text="ISO alpha-2 codes, comma separated; empty: any country.",
    )
    rate_basis = models.CharField(
        "earnings rate basis", max_length=20, choices=RateBasis.choices, default=RateBasis.NONE
    )
    rate_per_views = models.PositiveIntegerField(
        "rate per N views", null=True, blank=True, help_text="e.g. 1000 or 1000000."
    )
    rate_min_minor = models.PositiveIntegerField(
        "rate minimum (minor units)", null=True, blank=True
    )
    rate_max_minor = models.PositiveIntegerField(
        "rate maximum (minor units)", null=True, blank=True
    )
    rate_currency = models.CharField(
        "rate currency", max_length=3, choices=CURRENCY_CHOICES, blank=True
    )
    country_rates = models.JSONField(
        "rates per country",
        default=dict,
        blank=True,
        help_text='{"US": [min_minor, max_minor], ...} per rate_per_views in rate_currency; '
        "other countries use the minimum and maximum above.",
    )
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["program", "-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "version"],
                name="rule_set_unique_version",
                violation_error_message="This program has that version already.",
            ),
            models.CheckConstraint(
                name="rule_set_period_ordered",
                condition=Q(effective_to__isnull=True) | Q(effective_to__gt=F("effective_from")),
                violation_error_message="A rule set must end after it starts.",
            ),
            models.CheckConstraint(
                name="rule_set_rate_complete",
                condition=Q(rate_basis="none")
                | Q(
                    rate_per_views__gt=0,
                    rate_min_minor__isnull=False,
                    rate_max_minor__gte=F("rate_min_minor"),
                )
                & ~Q(rate_currency=""),
                violation_error_message=(
                    "An earnings rate needs views per unit, a minimum <= maximum and a currency."
                ),
            ),
            models.CheckConstraint(
                name="rule_set_alt_views_complete",
                condition=Q(alt_min_views__isnull=True) | Q(alt_views_window_days__gt=0),
                violation_error_message="An alternative views threshold needs its window.",
            ),
            ExclusionConstraint(
                name="rule_set_one_in_force_per_program",
                expressions=[
                    ("program", RangeOperators.EQUAL),
                    (
                        Func(
                            F("effective_from"),
                            F("effective_to"),
                            models.Value("[)"),
                            function="daterange",
                        ),
                        RangeOperators.OVERLAPS,
                    ),
                ],
                violation_error_message="Another version of this program is in force then.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program} v{self.version} from {self.effective_from}"

    def clean(self) -> None:
        rates = self.country_rates
        valid = isinstance(rates, dict) and all(
            isinstance(code, str)
            and len(code) == 2
            and isinstance(pair, list)
            and len(pair) == 2
            and all(isinstance(v, int) and v >= 0 for v in pair)
            and pair[0] <= pair[1]
            for code, pair in rates.items()
        )
        if not valid:
            raise ValidationError(
                {"country_rates": 'Use {"US": [min_minor, max_minor]} with 0 <= min <= max.'}
            )


class EligibilityResult(models.Model):
    """The evaluation of one program's rules for one creator as of a date.

    ``failures`` lists every failing rule: {"rule", "required", "actual", "distance",
    "message"}. Estimates are integer minor units of ``estimate_currency``, only when eligible.
    """

    # No index of their own: the unique (creator, program, as_of) index and the
    # (program, as_of, eligible) index start with them.
    creator = models.ForeignKey(
        Creator, on_delete=models.CASCADE, related_name="eligibility", db_index=False
    )
    program = models.ForeignKey(
        EligibilityProgram, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    rule_set = models.ForeignKey(EligibilityRuleSet, on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey(
        PlatformAccount, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    as_of = models.DateField("as of")
    eligible = models.BooleanField("eligible")
    failures = models.JSONField("failing rules", default=list, blank=True)
    estimate_min_minor = models.BigIntegerField("monthly estimate, low", null=True, blank=True)
    estimate_max_minor = models.BigIntegerField("monthly estimate, high", null=True, blank=True)
    estimate_currency = models.CharField(max_length=3, blank=True)
    estimate_basis = models.CharField(
        "estimate basis", max_length=20, blank=True, help_text="The views the program pays on."
    )
    estimate_basis_views = models.BigIntegerField("basis views in window", null=True, blank=True)
    estimate_rate_min_minor = models.BigIntegerField("rate used, low", null=True, blank=True)
    estimate_rate_max_minor = models.BigIntegerField("rate used, high", null=True, blank=True)
    estimate_rate_per_views = models.PositiveIntegerField("rate per N views", null=True, blank=True)
    estimate_rate_country = models.CharField(
        "rate country", max_length=2, blank=True, help_text="Empty: the default rate."
    )
    computed_at = models.DateTimeField("computed at")

    class Meta:
        ordering = ["creator", "-as_of", "program"]
        constraints = [
            models.UniqueConstraint(
                fields=["creator", "program", "as_of"],
                name="eligibility_result_unique",
                violation_error_message="One result per creator, program and date.",
            ),
            models.CheckConstraint(
                name="eligibility_estimate_ordered",
                condition=Q(estimate_min_minor__isnull=True)
                | Q(estimate_min_minor__gte=0, estimate_max_minor__gte=F("estimate_min_minor")),
                violation_error_message="An estimate's low end is between 0 and its high end.",
            ),
            models.CheckConstraint(
                name="eligibility_estimate_only_when_eligible",
                condition=Q(eligible=True) | Q(estimate_min_minor__isnull=True),
                violation_error_message="Only an eligible result carries an earnings estimate.",
            ),
        ]
        indexes = [
            models.Index(fields=["program", "as_of", "eligible"], name="eligibility_by_program")
        ]

    def __str__(self) -> str:
        return f"{self.creator}: {self.program} as of {self.as_of}"
