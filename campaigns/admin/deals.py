"""Brands, the deal pipeline and deliverables."""

import datetime as dt

from django.contrib import admin
from django.db import models
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.html import format_html_join

from agency.admin_actions import ObjectActionsMixin, requires, run_action
from agency.admin_base import ReadOnlyInline
from agency.admin_fields import MoneyAdminMixin, money_column
from agency.errors import ApplicationError
from agency.money import format_money
from campaigns.models import (
    AdSpend,
    Brand,
    BrandDeal,
    DealCreator,
    DealEvent,
    DealStatus,
    Deliverable,
)
from campaigns.services import deals as deal_services
from campaigns.services import invoices as invoice_services
from campaigns.services.revenue import SOURCE_DEAL_SHARE, revenue_events_for


@admin.register(Brand)
class BrandAdmin(admin.ModelAdmin):
    list_display = ["name", "partner", "default_net_days", "open_deals", "ad_spend"]
    search_fields = ["name"]
    list_select_related = ["partner"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                open_deals=Count(
                    "deals", filter=~Q(deals__status__in=["paid", "cancelled"]), distinct=True
                ),
            )
        )

    def get_changelist_instance(self, request):
        """Ad spend per brand and currency, one query for the page (never summed across
        currencies)."""
        changelist = super().get_changelist_instance(request)
        spend: dict[int, list[str]] = {}
        for row in (
            AdSpend.objects.filter(ad_account__brand__in=[b.pk for b in changelist.result_list])
            .values("ad_account__brand", "ad_account__currency")
            .annotate(total=Sum("amount_minor"))
            .order_by("ad_account__brand", "ad_account__currency")
        ):
            spend.setdefault(row["ad_account__brand"], []).append(
                format_money(row["total"], row["ad_account__currency"])
            )
        for brand in changelist.result_list:
            brand.ad_spend_text = "; ".join(spend.get(brand.pk, [])) or "—"
        return changelist

    @admin.display(description="open deals", ordering="open_deals")
    def open_deals(self, obj: Brand) -> int:
        return obj.open_deals

    @admin.display(description="ad spend (all time)")
    def ad_spend(self, obj: Brand) -> str:
        return getattr(obj, "ad_spend_text", "—")


class DealStatusFilter(admin.SimpleListFilter):
    """The pipeline: each state with its number of deals."""

    title = "pipeline state"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        counts = dict(BrandDeal.objects.values_list("status").annotate(n=Count("pk")).order_by())
        return [(value, f"{label} ({counts.get(value, 0)})") for value, label in DealStatus.choices]

    def queryset(self, request, queryset):
        return queryset.filter(status=self.value()) if self.value() else queryset


class DealCreatorInline(admin.TabularInline):
    """Shares are edited while the deal is negotiated; after that they are the contract."""

    model = DealCreator
    extra = 0
    autocomplete_fields = ["creator"]

    def _editable(self, obj) -> bool:
        return obj is None or obj.status in (DealStatus.LEAD, DealStatus.NEGOTIATING)

    def has_add_permission(self, request, obj=None) -> bool:
        return self._editable(obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return self._editable(obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self._editable(obj)


URL_FIELD = {models.URLField: {"assume_scheme": "https"}}


class DeliverableInline(admin.TabularInline):
    model = Deliverable
    extra = 0
    formfield_overrides = URL_FIELD
    fields = ["creator", "type", "due_on", "status", "posted_url", "video"]
    readonly_fields = ["status"]
    raw_id_fields = ["creator", "video"]


class DealEventInline(ReadOnlyInline):
    model = DealEvent
    fields = [
        "created_at",
        "deliverable",
        "from_status",
        "to_status",
        "actor",
        "actor_partner",
        "note",
    ]
    readonly_fields = fields


@admin.register(BrandDeal)
class BrandDealAdmin(ObjectActionsMixin, MoneyAdminMixin, admin.ModelAdmin):
    list_display = ["title", "brand", "status", money_column("fee_minor"), "created_at", "paid_on"]
    list_filter = [DealStatusFilter, "currency"]
    search_fields = ["title", "brand__name"]
    list_select_related = ["brand"]
    readonly_fields = ["status", "paid_on", "revenue_booked"]
    inlines = [DealCreatorInline, DeliverableInline, DealEventInline]
    actions = ["advance", "cancel", "invoice"]
    object_actions = {"advance": "Advance to the next state", "cancel": "Lose (cancel) deal"}
    confirm_actions = ("advance", "cancel")

    @admin.display(description="revenue booked")
    def revenue_booked(self, obj: BrandDeal):
        """The fee's brand_deal revenue events, one per creator share, once the deal is paid."""
        if obj.pk is None:
            return "—"
        events = revenue_events_for(
            keys=[(SOURCE_DEAL_SHARE, str(pk)) for pk in obj.shares.values_list("pk", flat=True)]
        )
        if not events:
            return "Nothing yet: the fee is booked as revenue when the brand pays the invoice."
        return format_html_join(
            "; ",
            "{}: {} ({})",
            ((e.creator, format_money(e.gross_minor, e.currency), e.get_status_display())
             for e in events),
        )  # fmt: skip

    has_move_permission = requires("campaigns.change_branddeal")
    has_invoice_permission = requires("campaigns.change_branddeal", "campaigns.add_invoice")

    @admin.action(description="Move to the next state", permissions=["move"])
    def advance(self, request, queryset):
        may_invoice = self.has_invoice_permission(request)

        def move(deal):
            target = deal_services.deal_next_status(deal)
            if target is None:
                raise ApplicationError("No next state.")
            if target == DealStatus.INVOICED:
                if not may_invoice:
                    raise ApplicationError("Invoicing a deal needs the permission to add invoices.")
                invoice_services.invoice_for_deal(deal=deal, actor=request.user)
            elif target == DealStatus.PAID:
                raise ApplicationError("Record the invoice's payment to mark the deal paid.")
            else:
                deal_services.deal_transition(deal=deal, to_status=target, actor=request.user)

        run_action(self, request, queryset, move, "Moved")

    @admin.action(description="Cancel", permissions=["move"])
    def cancel(self, request, queryset):
        run_action(
            self,
            request,
            queryset,
            lambda d: deal_services.deal_transition(
                deal=d, to_status=DealStatus.CANCELLED, actor=request.user
            ),
            "Cancelled",
        )

    @admin.action(description="Invoice (approved deals)", permissions=["invoice"])
    def invoice(self, request, queryset):
        run_action(
            self,
            request,
            queryset,
            lambda d: invoice_services.invoice_for_deal(deal=d, actor=request.user),
            "Invoiced",
        )


class DueThisWeekFilter(admin.SimpleListFilter):
    title = "due"
    parameter_name = "due"

    def lookups(self, request, model_admin):
        return [("week", "This week (open)"), ("overdue", "Overdue (open)")]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        open_items = queryset.exclude(status=Deliverable.Status.APPROVED)
        if self.value() == "week":
            monday = today - dt.timedelta(days=today.weekday())
            return open_items.filter(due_on__gte=monday, due_on__lte=monday + dt.timedelta(days=6))
        if self.value() == "overdue":
            return open_items.filter(due_on__lt=today)
        return queryset


@admin.register(Deliverable)
class DeliverableAdmin(admin.ModelAdmin):
    list_display = ["__str__", "deal", "creator", "type", "due_on", "status", "views", "likes"]
    list_filter = [DueThisWeekFilter, "status", "type"]
    search_fields = ["deal__title", "creator__stage_name"]
    list_select_related = ["deal__brand", "creator", "video"]
    raw_id_fields = ["deal", "creator", "video"]
    readonly_fields = ["status", "feedback"]
    formfield_overrides = URL_FIELD

    @admin.display(description="views")
    def views(self, obj: Deliverable):
        return obj.video.views if obj.video else None

    @admin.display(description="likes")
    def likes(self, obj: Deliverable):
        return obj.video.likes if obj.video else None
