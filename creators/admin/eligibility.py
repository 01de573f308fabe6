"""Programs and rule sets (editable data), stored results and snapshots (read-only)."""

from django.contrib import admin

from agency.admin_fields import MoneyAdminMixin, money_column
from creators.admin.base import ScopedByCreatorAdmin
from creators.models import (
    CreatorPerformance,
    EligibilityProgram,
    EligibilityResult,
    EligibilityRuleSet,
)


class RuleSetInline(MoneyAdminMixin, admin.StackedInline):
    model = EligibilityRuleSet
    money_currency = "rate_currency"
    extra = 0


@admin.register(EligibilityProgram)
class EligibilityProgramAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "platform"]
    inlines = [RuleSetInline]


@admin.register(EligibilityRuleSet)
class EligibilityRuleSetAdmin(MoneyAdminMixin, admin.ModelAdmin):
    money_currency = "rate_currency"
    list_display = ["program", "version", "effective_from", "effective_to", "min_followers"]
    list_filter = ["program"]


@admin.register(EligibilityResult)
class EligibilityResultAdmin(MoneyAdminMixin, ScopedByCreatorAdmin):
    creator_path = "creator"
    money_currency = "estimate_currency"
    list_display = [
        "creator",
        "program",
        "as_of",
        "eligible",
        money_column(
            "estimate_min_minor", currency="estimate_currency", description="estimate, low"
        ),
    ]
    list_filter = ["program", "eligible", "as_of"]
    list_select_related = ["creator", "program"]
    search_fields = ["creator__stage_name"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # written by the recalculation only


@admin.register(CreatorPerformance)
class CreatorPerformanceAdmin(ScopedByCreatorAdmin):
    creator_path = "creator"
    list_display = ["creator", "as_of", "window_days", "views", "tier", "score"]
    list_filter = ["window_days", "tier", "as_of"]
    list_select_related = ["creator"]
    search_fields = ["creator__stage_name"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False
