"""Campaigns admin: thin; the deal pipeline, deliverables due, live sessions by day, ad
spend per brand, overdue invoices. Status and money change only through actions that call
services (which lock, check the state and write the audit row)."""

import datetime as dt

from django.contrib import admin, messages
from django.db import models
from django.db.models import Count, Q, Sum
from django.utils import timezone

from agency.errors import ApplicationError
from agency.money import to_major
from campaigns.models import (
    AdAccount,
    AdSpend,
    AffiliateLink,
    AffiliateOrder,
    AffiliateRefund,
    Brand,
    BrandDeal,
    DealCreator,
    DealEvent,
    DealStatus,
    Deliverable,
    Invoice,
    InvoiceLine,
    InvoiceSeries,
    LiveCommerceRefund,
    LiveMonthlyReport,
    LiveSession,
    ServiceAgreement,
    ServiceUnit,
)
from campaigns.selectors import conversion_grade
from campaigns.services import affiliate as affiliate_services
from campaigns.services import deals as deal_services
from campaigns.services import invoices as invoice_services
from campaigns.services import live as live_services


def _run(modeladmin, request, queryset, action, label: str) -> None:
    done = 0
    for obj in queryset:
        try:
            action(obj)
            done += 1
        except ApplicationError as exc:
            modeladmin.message_user(request, f"{obj}: {exc.message}", messages.ERROR)
    if done:
        modeladmin.message_user(request, f"{label}: {done}.", messages.SUCCESS)


def _money(amount_minor: int | None, currency: str) -> str:
    return f"{to_major(amount_minor or 0, currency)} {currency}"


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


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
                ad_spend_minor=Sum("ad_accounts__spend__amount_minor"),
            )
        )

    @admin.display(description="open deals", ordering="open_deals")
    def open_deals(self, obj: Brand) -> int:
        return obj.open_deals

    @admin.display(description="ad spend (minor units, all currencies)", ordering="ad_spend_minor")
    def ad_spend(self, obj: Brand) -> int:
        return obj.ad_spend_minor or 0


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
class BrandDealAdmin(admin.ModelAdmin):
    list_display = ["title", "brand", "status", "fee", "created_at", "paid_on"]
    list_filter = [DealStatusFilter, "currency"]
    search_fields = ["title", "brand__name"]
    list_select_related = ["brand"]
    readonly_fields = ["status", "paid_on"]
    inlines = [DealCreatorInline, DeliverableInline, DealEventInline]
    actions = ["advance", "cancel", "invoice"]

    @admin.display(description="fee", ordering="fee_minor")
    def fee(self, obj: BrandDeal) -> str:
        return _money(obj.fee_minor, obj.currency)

    @admin.action(description="Move to the next state")
    def advance(self, request, queryset):
        def move(deal):
            target = deal_services.deal_next_status(deal)
            if target is None:
                raise ApplicationError("No next state.")
            if target == DealStatus.INVOICED:
                invoice_services.invoice_for_deal(deal=deal, actor=request.user)
            elif target == DealStatus.PAID:
                raise ApplicationError("Record the invoice's payment to mark the deal paid.")
            else:
                deal_services.deal_transition(deal=deal, to_status=target, actor=request.user)

        _run(self, request, queryset, move, "Moved")

    @admin.action(description="Cancel")
    def cancel(self, request, queryset):
        _run(
            self,
            request,
            queryset,
            lambda d: deal_services.deal_transition(
                deal=d, to_status=DealStatus.CANCELLED, actor=request.user
            ),
            "Cancelled",
        )

    @admin.action(description="Invoice (approved deals)")
    def invoice(self, request, queryset):
        _run(
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


class LiveCommerceRefundInline(ReadOnlyInline):
    model = LiveCommerceRefund
    fields = ["external_id", "amount_minor", "refunded_on", "clawback_minor"]
    readonly_fields = fields


@admin.register(LiveSession)
class LiveSessionAdmin(admin.ModelAdmin):
    list_display = ["creator", "started_at", "ended_at", "diamonds", "gifts", "gmv",
                    "operated_by_agency", "client", "revenue_booked_at"]  # fmt: skip
    date_hierarchy = "started_at"
    list_filter = ["operated_by_agency", "currency"]
    search_fields = ["creator__stage_name"]
    list_select_related = ["creator", "client"]
    raw_id_fields = ["creator", "account"]
    readonly_fields = ["revenue_booked_at", "refunds_minor"]
    inlines = [LiveCommerceRefundInline]
    actions = ["book_revenue"]

    @admin.display(description="gifts value")
    def gifts(self, obj: LiveSession) -> str:
        return _money(obj.gifts_value_minor, obj.currency)

    @admin.display(description="GMV")
    def gmv(self, obj: LiveSession) -> str:
        return _money(obj.gmv_minor, obj.currency)

    @admin.action(description="Book gifts and commerce as revenue events")
    def book_revenue(self, request, queryset):
        _run(
            self,
            request,
            queryset,
            lambda s: live_services.live_session_revenue_book(session=s),
            "Booked",
        )


@admin.register(LiveMonthlyReport)
class LiveMonthlyReportAdmin(admin.ModelAdmin):
    list_display = ["account", "month", "diamonds", "valid_live_days", "live_minutes"]
    date_hierarchy = "month"
    raw_id_fields = ["account"]


class AdSpendInline(admin.TabularInline):
    model = AdSpend
    extra = 0


@admin.register(AdAccount)
class AdAccountAdmin(admin.ModelAdmin):
    list_display = ["external_id", "brand", "platform", "fee_model", "fee_rate", "spend_total"]
    list_filter = ["platform", "fee_model", "brand"]
    list_select_related = ["brand"]
    raw_id_fields = ["creator"]
    inlines = [AdSpendInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(spend_sum=Sum("spend__amount_minor"))

    @admin.display(description="spend (all time)", ordering="spend_sum")
    def spend_total(self, obj: AdAccount) -> str:
        return _money(obj.spend_sum, obj.currency)


class ServiceUnitInline(admin.TabularInline):
    model = ServiceUnit
    extra = 0


@admin.register(ServiceAgreement)
class ServiceAgreementAdmin(admin.ModelAdmin):
    list_display = ["__str__", "client", "kind", "billing", "price_minor", "currency", "starts_on",
                    "ends_on"]  # fmt: skip
    list_filter = ["kind", "billing"]
    raw_id_fields = ["creator"]
    inlines = [ServiceUnitInline]


@admin.register(AffiliateLink)
class AffiliateLinkAdmin(admin.ModelAdmin):
    list_display = ["code", "creator", "platform", "clicks", "order_count", "grade"]
    search_fields = ["code", "creator__stage_name"]
    list_select_related = ["creator"]
    raw_id_fields = ["creator"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(order_count=Count("orders", filter=~Q(orders__status="refunded")))
        )

    @admin.display(description="orders", ordering="order_count")
    def order_count(self, obj: AffiliateLink) -> int:
        return obj.order_count

    @admin.display(description="conversion grade")
    def grade(self, obj: AffiliateLink) -> str:
        return conversion_grade(orders=obj.order_count, clicks=obj.clicks) or "-"


class AffiliateRefundInline(ReadOnlyInline):
    model = AffiliateRefund
    fields = ["external_id", "amount_minor", "refunded_on", "after_settlement", "clawback_minor"]
    readonly_fields = fields


@admin.register(AffiliateOrder)
class AffiliateOrderAdmin(admin.ModelAdmin):
    list_display = ["external_id", "link", "product", "gmv_minor", "refunded_minor", "currency",
                    "commission_rate", "status", "settles_on"]  # fmt: skip
    list_filter = ["status", "currency"]
    search_fields = ["external_id", "product", "link__creator__stage_name"]
    list_select_related = ["link"]
    raw_id_fields = ["link"]
    readonly_fields = ["status", "refunded_minor", "settled_commission_minor"]
    inlines = [AffiliateRefundInline]
    actions = ["settle"]

    @admin.action(description="Settle (orders whose settlement date has come)")
    def settle(self, request, queryset):
        today = timezone.localdate()
        _run(
            self,
            request,
            queryset,
            lambda o: affiliate_services.affiliate_order_settle(order=o, today=today),
            "Settled",
        )


class InvoiceLineInline(admin.TabularInline):
    model = InvoiceLine
    extra = 0
    fields = ["description", "amount_minor", "source_key", "is_active"]
    readonly_fields = ["is_active"]

    def has_change_permission(self, request, obj=None) -> bool:
        return obj is None or obj.status == Invoice.Status.DRAFT

    has_add_permission = has_change_permission
    has_delete_permission = has_change_permission


@admin.register(Invoice)
class InvoiceAdmin(admin.ModelAdmin):
    list_display = ["__str__", "brand", "status", "total", "issued_on", "due_on", "paid_on",
                    "is_overdue"]  # fmt: skip
    list_filter = ["is_overdue", "status", "currency", "brand"]
    search_fields = ["brand__name", "number"]
    list_select_related = ["brand", "series"]
    readonly_fields = ["number", "status", "issued_on", "due_on", "paid_on", "is_overdue"]
    inlines = [InvoiceLineInline]
    actions = ["issue", "record_payment_today", "void"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(total_minor=Sum("lines__amount_minor", filter=Q(lines__is_active=True)))
        )

    @admin.display(description="total", ordering="total_minor")
    def total(self, obj: Invoice) -> str:
        return _money(obj.total_minor, obj.currency)

    @admin.action(description="Issue (number, dates, earnings)")
    def issue(self, request, queryset):
        _run(self, request, queryset, lambda i: invoice_services.invoice_issue(invoice=i), "Issued")

    @admin.action(description="Record payment received today")
    def record_payment_today(self, request, queryset):
        today = timezone.localdate()
        _run(
            self,
            request,
            queryset,
            lambda i: invoice_services.invoice_payment_record(
                invoice=i, paid_on=today, actor=request.user
            ),
            "Paid",
        )

    @admin.action(description="Void")
    def void(self, request, queryset):
        _run(self, request, queryset, lambda i: invoice_services.invoice_void(invoice=i), "Voided")


@admin.register(InvoiceSeries)
class InvoiceSeriesAdmin(admin.ModelAdmin):
    list_display = ["code", "next_number"]
    readonly_fields = ["next_number"]
