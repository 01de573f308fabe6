"""Creators (with accounts, contracts, latest score, eligibility and chart) and accounts."""

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.db.models import Sum
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from agency.admin_actions import NOTHING_SELECTED, ObjectActionsMixin, requires
from agency.dashboards import COLOURS, line_chart
from agency.roles import TALENT_MANAGER
from creators import selectors
from creators.admin.base import ScopedByCreatorAdmin
from creators.admin.estimates import estimate_text
from creators.admin.waves import CreatorWavesMixin
from creators.models import (
    AccountHandle,
    Contract,
    Creator,
    DailyAccountMetric,
    EligibilityProgram,
    PlatformAccount,
    RecalcRun,
    Tier,
)
from creators.services import recalc


class PlatformAccountInline(admin.TabularInline):
    model = PlatformAccount
    fields = ["platform", "platform_account_id", "handle", "account_type", "niche"]
    extra = 0
    show_change_link = True


class ContractInline(admin.TabularInline):
    model = Contract
    fields = ["starts_on", "ends_on", "exclusive", "payout_currency", "signed_at"]
    extra = 0


class TierFilter(admin.SimpleListFilter):
    title = "tier (latest 28 days)"
    parameter_name = "tier"

    def lookups(self, request, model_admin):
        return [(t.name, t.name) for t in Tier]

    def queryset(self, request, queryset):
        if self.value() in Tier.__members__:
            return queryset.filter(latest_tier=Tier[self.value()].value)
        return queryset


class EligibleForFilter(admin.SimpleListFilter):
    title = "eligible for (latest)"
    parameter_name = "eligible_for"

    def lookups(self, request, model_admin):
        return list(EligibilityProgram.objects.values_list("code", "name"))

    def queryset(self, request, queryset):
        if self.value():
            return selectors.creators_eligible_for(queryset, self.value())
        return queryset


@admin.register(Creator)
class CreatorAdmin(CreatorWavesMixin, ObjectActionsMixin, admin.ModelAdmin):
    list_display = [
        "stage_name",
        "country",
        "status",
        "talent_manager",
        "sub_agency",
        "tier_display",
        "score_display",
    ]
    list_filter = [TierFilter, EligibleForFilter, "talent_manager", "status", "country"]
    search_fields = ["stage_name", "legal_name", "accounts__handle"]
    list_select_related = ["talent_manager", "sub_agency"]
    readonly_fields = [
        "performance_summary",
        "waves_summary",
        "eligibility_summary",
        "views_chart",
    ]
    autocomplete_fields = ["sub_agency"]
    inlines = [PlatformAccountInline, ContractInline]
    actions = ["recalculate_now"]
    object_actions = {"recalculate_now": "Recalculate now"}
    fieldsets = [
        (
            None,
            {
                "fields": [
                    ("stage_name", "legal_name"),
                    ("date_of_birth", "country", "payout_currency"),
                    ("status", "talent_manager", "sub_agency"),
                ]
            },
        ),
        ("Performance", {"fields": ["performance_summary", "views_chart"]}),
        ("Traffic pools", {"fields": ["waves_summary"]}),
        ("Monetisation eligibility", {"fields": ["eligibility_summary"]}),
    ]

    def get_queryset(self, request: HttpRequest):
        """A talent manager (staff, not superuser) sees only their own creators."""
        return selectors.creator_with_latest(selectors.creators_for_staff(user=request.user))

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        """The manager is chosen among talent managers; a talent manager (not a superuser)
        can name only themselves, so a creator is never handed to anyone else."""
        if db_field.name == "talent_manager":
            managers = get_user_model().objects.filter(
                groups__name=TALENT_MANAGER, is_active=True, is_staff=True
            )
            if not request.user.is_superuser:
                managers = managers.filter(pk=request.user.pk)
            kwargs["queryset"] = managers.order_by("username")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_changeform_initial_data(self, request: HttpRequest):
        """A manager's new creator is theirs (it would vanish from their list otherwise)."""
        initial = super().get_changeform_initial_data(request)
        if not request.user.is_superuser:
            initial.setdefault("talent_manager", request.user.pk)
        return initial

    @admin.display(description="tier", ordering="latest_tier")
    def tier_display(self, obj: Creator) -> str:
        return Tier(obj.latest_tier).name if obj.latest_tier else "-"

    @admin.display(description="score", ordering="latest_score")
    def score_display(self, obj: Creator):
        return obj.latest_score if obj.latest_score is not None else "-"

    @admin.display(description="latest performance")
    def performance_summary(self, obj: Creator):
        if not obj.pk:
            return "-"
        as_of, rows, _ = selectors.creator_performance(creator=obj, as_of=None)
        if as_of is None:
            return "Not computed yet."
        header = mark_safe(  # a constant, no data
            "<tr><th>window</th><th>views</th><th>completion</th><th>engagement</th>"
            "<th>followers</th><th>growth</th><th>videos/wk</th><th>tier</th><th>score</th></tr>"
        )
        body = format_html_join(
            "",
            "<tr><td>{} d</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
            "<td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    r.window_days,
                    f"{r.views:,}",
                    _pct(r.completion_rate),
                    _pct(r.engagement_rate),
                    f"{r.followers:,}",
                    f"{r.follower_growth:+,}",
                    r.videos_per_week,
                    Tier(r.tier).name,
                    r.score if r.score is not None else "-",
                )
                for r in rows
            ),
        )
        history = format_html_join(
            " → ",
            "{}: {} ({})",
            (
                (h.as_of, h.score if h.score is not None else "-", Tier(h.tier).name)
                for h in selectors.creator_score_history(creator=obj)
            ),
        )
        return format_html(
            "As of {}<table>{}{}</table>28-day score by date: {}", as_of, header, body, history
        )

    @admin.display(description="eligibility")
    def eligibility_summary(self, obj: Creator):
        if not obj.pk:
            return "-"
        as_of, results = selectors.creator_eligibility(creator=obj, as_of=None)
        if as_of is None:
            return "Not evaluated yet."
        rows = []
        for r in results:
            if r.eligible:
                status = "eligible"
                if r.estimate_min_minor is not None:
                    status += "; " + estimate_text(r, country=obj.country)
            else:
                status = "not eligible: " + "; ".join(f["message"] for f in r.failures)
            rows.append((r.program.name, r.rule_set.version, status))
        return format_html(
            "As of {}<table><tr><th>program</th><th>rules</th><th>result</th></tr>{}</table>",
            as_of,
            format_html_join("", "<tr><td>{}</td><td>v{}</td><td>{}</td></tr>", rows),
        )

    @admin.display(description="views and followers, 90 days")
    def views_chart(self, obj: Creator):
        if not obj.pk:
            return "-"
        return svg_chart(creator=obj)

    has_recalculate_permission = requires("creators.change_creator")

    @admin.action(
        description="Recalculate now (performance and eligibility, on the workers)",
        permissions=["recalculate"],
    )
    def recalculate_now(self, request: HttpRequest, queryset) -> None:
        """Records a run for the selected creators (after scoping: only the user's own) and
        sends its chunks to the workers after commit; nothing is computed in the request."""
        ids = list(queryset.values_list("pk", flat=True))
        if not ids:
            self.message_user(request, NOTHING_SELECTED, messages.WARNING)
            return
        run = recalc.recalc_start(
            as_of=recalc.default_as_of(),
            mode=RecalcRun.Mode.FULL,
            trigger=RecalcRun.Trigger.ADMIN,
            creator_ids=ids,
        )
        self.message_user(
            request,
            format_html(
                'Recalculation <a href="{}">run {}</a> queued for {} creator(s) in {} chunk(s); '
                "the workers compute it and the run page shows its progress.",
                reverse("admin:creators_recalcrun_change", args=[run.pk]),
                run.pk,
                run.creators_total,
                run.chunks_total,
            ),
            messages.SUCCESS,
        )


def _pct(rate) -> str:
    return "-" if rate is None else f"{rate * 100:.1f} %"


def svg_chart(*, creator: Creator, days: int = 90):
    """Daily views and followers over ``days``: two charts, each on its own axis from zero
    with its unit, so neither line is stretched to the other's scale."""
    series = list(
        DailyAccountMetric.objects.filter(account__creator=creator)
        .values("date")
        .annotate(views=Sum("views"), followers=Sum("followers"))
        .order_by("-date")[:days]
    )[::-1]
    if len(series) < 2:
        return "Not enough daily metrics for a chart."
    lines = [
        ("views", "Views per day", "views", "daily views, all accounts", COLOURS[0]),
        ("followers", "Followers", "followers", "followers, all accounts", COLOURS[1]),
    ]
    return format_html_join(
        "",
        "{}",
        (
            (
                line_chart(
                    title=title,
                    unit=unit,
                    points=[(f"{r['date']:%d %b}", r[key]) for r in series],
                    legend=legend,
                    colour=colour,
                ),
            )
            for key, title, unit, legend, colour in lines
        ),
    )


class AccountHandleInline(admin.TabularInline):
    model = AccountHandle
    fields = ["handle", "valid_from", "valid_to"]
    extra = 0


@admin.register(PlatformAccount)
class PlatformAccountAdmin(ScopedByCreatorAdmin):
    creator_path = "creator"
    list_display = ["handle", "platform", "platform_account_id", "creator", "account_type"]
    list_filter = ["platform", "account_type"]
    search_fields = ["handle", "platform_account_id", "creator__stage_name"]
    list_select_related = ["creator"]
    raw_id_fields = ["creator"]
    inlines = [AccountHandleInline]
