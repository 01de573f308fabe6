"""Live sessions and reports, ad accounts, agency services, affiliate sales."""

from django.contrib import admin
from django.db.models import Count, Q, Sum
from django.utils import timezone

from agency.admin_actions import ObjectActionsMixin, requires, run_action
from agency.admin_base import ReadOnlyInline
from agency.admin_fields import MoneyAdminMixin, money_column, rate_column
from campaigns.models import (
    AdAccount,
    AdSpend,
    AffiliateLink,
    AffiliateOrder,
    AffiliateRefund,
    LiveCommerceRefund,
    LiveMonthlyReport,
    LiveSession,
    ServiceAgreement,
    ServiceUnit,
)
from campaigns.selectors import conversion_grade
from campaigns.services import affiliate as affiliate_services
from campaigns.services import live as live_services


class LiveCommerceRefundInline(ReadOnlyInline):
    model = LiveCommerceRefund
    fields = [
        "external_id",
        money_column("amount_minor", currency="session.currency", description="refunded GMV"),
        "refunded_on",
        money_column("clawback_minor", currency="session.currency", description="clawed back"),
    ]
    readonly_fields = fields


@admin.register(LiveSession)
class LiveSessionAdmin(ObjectActionsMixin, MoneyAdminMixin, admin.ModelAdmin):
    list_display = ["creator", "started_at", "ended_at", "diamonds",
                    money_column("gifts_value_minor", description="gifts value"),
                    money_column("gmv_minor", description="GMV"),
                    "operated_by_agency", "client", "revenue_booked_at"]  # fmt: skip
    date_hierarchy = "started_at"
    list_filter = ["operated_by_agency", "currency"]
    search_fields = ["creator__stage_name"]
    list_select_related = ["creator", "client"]
    raw_id_fields = ["creator", "account"]
    readonly_fields = ["revenue_booked_at", "refunds_minor"]
    inlines = [LiveCommerceRefundInline]
    actions = ["book_revenue"]
    object_actions = {"book_revenue": "Book revenue"}
    confirm_actions = ("book_revenue",)

    def has_delete_permission(self, request, obj=None) -> bool:
        # a session whose revenue is booked is part of the books
        if obj is not None and obj.revenue_booked_at is not None:
            return False
        return super().has_delete_permission(request, obj)

    has_book_permission = requires("campaigns.change_livesession")

    @admin.action(description="Book gifts and commerce as revenue events", permissions=["book"])
    def book_revenue(self, request, queryset):
        run_action(
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


class AdSpendInline(MoneyAdminMixin, admin.TabularInline):
    model = AdSpend
    money_currency = "ad_account.currency"
    extra = 0


@admin.register(AdAccount)
class AdAccountAdmin(MoneyAdminMixin, admin.ModelAdmin):
    list_display = ["external_id", "brand", "platform", "fee_model", rate_column("fee_rate"),
                    money_column("spend_sum", description="spend (all time)")]  # fmt: skip
    list_filter = ["platform", "fee_model", "brand"]
    list_select_related = ["brand"]
    raw_id_fields = ["creator"]
    inlines = [AdSpendInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(spend_sum=Sum("spend__amount_minor"))


class ServiceUnitInline(admin.TabularInline):
    model = ServiceUnit
    extra = 0


@admin.register(ServiceAgreement)
class ServiceAgreementAdmin(MoneyAdminMixin, admin.ModelAdmin):
    list_display = ["__str__", "client", "kind", "billing", money_column("price_minor"),
                    "starts_on", "ends_on"]  # fmt: skip
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
    fields = [
        "external_id",
        money_column("amount_minor", currency="order.currency", description="refunded GMV"),
        "refunded_on",
        "after_settlement",
        money_column("clawback_minor", currency="order.currency", description="clawed back"),
    ]
    readonly_fields = fields


@admin.register(AffiliateOrder)
class AffiliateOrderAdmin(ObjectActionsMixin, MoneyAdminMixin, admin.ModelAdmin):
    list_display = ["external_id", "link", "product", money_column("gmv_minor", description="GMV"),
                    money_column("refunded_minor", description="refunded"),
                    rate_column("commission_rate"), "status", "settles_on"]  # fmt: skip
    list_filter = ["status", "currency"]
    search_fields = ["external_id", "product", "link__creator__stage_name"]
    list_select_related = ["link"]
    raw_id_fields = ["link"]
    readonly_fields = ["status", "refunded_minor", "settled_commission_minor"]
    inlines = [AffiliateRefundInline]
    actions = ["settle"]
    object_actions = {"settle": "Settle"}
    confirm_actions = ("settle",)

    has_settle_permission = requires("campaigns.change_affiliateorder")

    @admin.action(
        description="Settle (orders whose settlement date has come)", permissions=["settle"]
    )
    def settle(self, request, queryset):
        today = timezone.localdate()
        run_action(
            self,
            request,
            queryset,
            lambda o: affiliate_services.affiliate_order_settle(order=o, today=today),
            "Settled",
        )
