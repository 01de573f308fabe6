"""Programs and rule sets (editable data), stored results and snapshots (read-only)."""

from django.contrib import admin
from django.utils.html import format_html, format_html_join

from agency.admin_fields import MoneyAdminMixin
from creators import selectors
from creators.admin.base import ScopedByCreatorAdmin
from creators.admin.country_rates import CountryRatesAdminMixin
from creators.admin.estimates import estimate_text
from creators.models import (
    CreatorPerformance,
    EligibilityProgram,
    EligibilityResult,
    EligibilityRuleSet,
)


class RuleSetInline(CountryRatesAdminMixin, admin.StackedInline):
    model = EligibilityRuleSet
    extra = 0


@admin.register(EligibilityProgram)
class EligibilityProgramAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "platform"]
    inlines = [RuleSetInline]


@admin.register(EligibilityRuleSet)
class EligibilityRuleSetAdmin(CountryRatesAdminMixin, admin.ModelAdmin):
    list_display = ["program", "version", "effective_from", "effective_to", "min_followers"]
    list_filter = ["program"]


class ResultsShownFilter(admin.SimpleListFilter):
    """By default each creator's latest result per program; the weekly history on request."""

    title = "results"
    parameter_name = "results"

    def lookups(self, request, model_admin):
        return [("all", "All dates (history)")]

    def choices(self, changelist):
        yield {
            "selected": self.value() is None,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": "Latest per creator and program",
        }
        yield from list(super().choices(changelist))[1:]

    def queryset(self, request, queryset):
        return queryset if self.value() == "all" else selectors.eligibility_latest(queryset)


class NotEligibleForFilter(admin.SimpleListFilter):
    title = "not eligible for"
    parameter_name = "not_eligible_for"

    def lookups(self, request, model_admin):
        return list(EligibilityProgram.objects.values_list("code", "name"))

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(program__code=self.value(), eligible=False)
        return queryset


class ActionableFilter(admin.SimpleListFilter):
    title = "can be worked on"
    parameter_name = "actionable"

    def lookups(self, request, model_admin):
        return [("yes", "Actionable only (no country or age rule failing)")]

    def queryset(self, request, queryset):
        return selectors.eligibility_actionable(queryset) if self.value() == "yes" else queryset


@admin.register(EligibilityResult)
class EligibilityResultAdmin(MoneyAdminMixin, ScopedByCreatorAdmin):
    creator_path = "creator"
    money_currency = "estimate_currency"
    list_display = [
        "creator",
        "program",
        "as_of",
        "eligible",
        "failing_rule",
        "what_is_missing",
        "estimate",
    ]
    list_filter = [
        ResultsShownFilter,
        NotEligibleForFilter,
        ActionableFilter,
        "program",
        "eligible",
    ]
    list_select_related = ["creator", "program", "rule_set"]
    search_fields = ["creator__stage_name"]
    fields = [
        "creator",
        "program",
        "rule_set",
        "account",
        "as_of",
        "eligible",
        "failing_rules_table",
        "estimate",
        "computed_at",
    ]
    readonly_fields = fields

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # written by the recalculation only

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="failing rule")
    def failing_rule(self, obj: EligibilityResult) -> str:
        failures = selectors.failures_in_order(obj.failures)
        return failures[0]["rule"].replace("_", " ") if failures else "—"

    @admin.display(description="what is missing")
    def what_is_missing(self, obj: EligibilityResult) -> str:
        failures = selectors.failures_in_order(obj.failures)
        return "; ".join(f["message"] for f in failures) or "—"

    @admin.display(description="monthly estimate")
    def estimate(self, obj: EligibilityResult) -> str:
        """The amounts with the basis, the rate and the country whose rate it is."""
        if obj.estimate_min_minor is None:
            return "—"
        return estimate_text(obj, country=obj.creator.country)

    @admin.display(description="failing rules")
    def failing_rules_table(self, obj: EligibilityResult):
        failures = selectors.failures_in_order(obj.failures)
        if not failures:
            return "None: eligible."
        return format_html(
            "<table><tr><th>rule</th><th>required</th><th>actual</th><th>what is missing</th>"
            "</tr>{}</table>",
            format_html_join(
                "",
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                (
                    (f["rule"].replace("_", " "), _plain(f.get("required")),
                     _plain(f.get("actual")), f["message"])
                    for f in failures
                ),
            ),
        )  # fmt: skip


def _plain(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k.replace('_', ' ')}: {_plain(v)}" for k, v in value.items())
    return str(value)


@admin.register(CreatorPerformance)
class CreatorPerformanceAdmin(ScopedByCreatorAdmin):
    creator_path = "creator"
    list_display = ["creator", "as_of", "window_days", "views", "tier", "score"]
    list_filter = ["window_days", "tier", "as_of"]
    list_select_related = ["creator"]
    search_fields = ["creator__stage_name"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
