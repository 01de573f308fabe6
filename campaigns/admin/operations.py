"""Live sessions and reports, ad accounts, agency services, affiliate sales."""

from django import forms
from django.contrib import admin
from django.db.models import Count, Q, Sum
from django.utils import timezone

from agency.admin_actions import ObjectActionsMixin, requires, run_action
from agency.admin_base import ReadOnlyInline
from agency.admin_fields import MoneyAdminMixin, MoneyForm, money_column, rate_column
from campaigns.admin.live import OperationsImportMixin, RefundAdminBase, RefundForm
from campaigns.models import (
    AdAccount,
    AdSpend,
    AffiliateLink,
    AffiliateOrder,
    AffiliateRefund,
    ServiceAgreement,
    ServiceUnit,
)
from campaigns.selectors import conversion_grade
from campaigns.services import affiliate as affiliate_services
from campaigns.services.operations import ad_spend_record


class AdSpendForm(MoneyForm):
    def clean(self):
        cleaned = super().clean()
        if self.instance.pk and self.instance.partner_id and self.has_changed():
            raise forms.ValidationError("A data partner reported this day; it corrects it.")
        return cleaned


class AdSpendInline(MoneyAdminMixin, admin.TabularInline):
    """Saved through ``ad_spend_record`` (AdAccountAdmin.save_formset); a day is corrected
    by typing it again, never deleted."""

    model = AdSpend
    form = AdSpendForm
    money_currency = "ad_account.currency"
    fields = ["spent_on", "amount_minor", "partner"]
    readonly_fields = ["partner"]
    extra = 0
    can_delete = False


@admin.register(AdAccount)
class AdAccountAdmin(OperationsImportMixin, MoneyAdminMixin, admin.ModelAdmin):
    import_kind = "ad_spend"  # "Import CSV": the accounts' daily spend

    list_display = ["external_id", "brand", "platform", "fee_model", rate_column("fee_rate"),
                    money_column("spend_sum", description="spend (all time)")]  # fmt: skip
    list_filter = ["platform", "fee_model", "brand"]
    list_select_related = ["brand"]
    raw_id_fields = ["creator"]
    inlines = [AdSpendInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(spend_sum=Sum("spend__amount_minor"))

    def save_formset(self, request, form, formset, change):
        if formset.model is not AdSpend:
            return super().save_formset(request, form, formset, change)
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for row in formset.forms:
            if not row.has_changed() or not row.cleaned_data:
                continue
            spend = ad_spend_record(
                ad_account=form.instance,
                spent_on=row.cleaned_data["spent_on"],
                amount_minor=row.cleaned_data["amount_minor"],
            )
            if row.instance.pk:
                formset.changed_objects.append((spend, row.changed_data))
            else:
                formset.new_objects.append(spend)


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


class AffiliateOrderForm(MoneyForm):
    settlement_days = forms.IntegerField(
        min_value=0,
        max_value=affiliate_services.MAX_SETTLEMENT_DAYS,
        initial=affiliate_services.DEFAULT_SETTLEMENT_DAYS,
        required=False,
        help_text="The shop's hold period: the order settles this many days after its date.",
    )


@admin.register(AffiliateOrder)
class AffiliateOrderAdmin(
    OperationsImportMixin, ObjectActionsMixin, MoneyAdminMixin, admin.ModelAdmin
):
    """Orders are entered through ``affiliate_order_record`` (which computes the settlement
    date) and never edited: refunds and settlement change them."""

    form = AffiliateOrderForm
    import_kind = "affiliate_orders"
    list_display = ["external_id", "link", "product", money_column("gmv_minor", description="GMV"),
                    money_column("refunded_minor", description="refunded"),
                    rate_column("commission_rate"), "status", "settles_on"]  # fmt: skip
    list_filter = ["status", "currency"]
    search_fields = ["external_id", "product", "link__creator__stage_name"]
    list_select_related = ["link"]
    raw_id_fields = ["link"]
    readonly_fields = ["partner", "status", "settles_on", "refunded_minor",
                       "settled_commission_minor"]  # fmt: skip
    inlines = [AffiliateRefundInline]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["link", "external_id", "product", "gmv_minor", "currency",
                    "commission_rate", "ordered_on", "settlement_days"]  # fmt: skip
        return [f for f in super().get_fields(request, obj) if f != "settlement_days"]

    def has_change_permission(self, request, obj=None) -> bool:
        if obj is not None:
            return False  # a recorded order changes only by settlement and refunds
        return super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if change:
            return
        data = form.cleaned_data
        order = affiliate_services.affiliate_order_record(
            link=data["link"],
            external_id=data["external_id"],
            product=data["product"],
            gmv_minor=data["gmv_minor"],
            currency=data["currency"],
            commission_rate=data["commission_rate"],
            ordered_on=data["ordered_on"],
            settlement_days=(
                affiliate_services.DEFAULT_SETTLEMENT_DAYS
                if data.get("settlement_days") is None
                else data["settlement_days"]
            ),
        )
        obj.pk = order.pk

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


class AffiliateRefundForm(RefundForm):
    parent_field = "order"
    refunded_attr = "refunded_minor"


@admin.register(AffiliateRefund)
class AffiliateRefundAdmin(OperationsImportMixin, RefundAdminBase):
    import_kind = "affiliate_refunds"
    form = AffiliateRefundForm
    parent_field = "order"
    record = staticmethod(affiliate_services.affiliate_refund_record)
    list_display = ["external_id", "order", "refunded_on", "after_settlement",
                    money_column("amount_minor", currency="order.currency",
                                 description="refunded GMV"),
                    money_column("clawback_minor", currency="order.currency",
                                 description="clawed back")]  # fmt: skip
    list_select_related = ["order"]
    raw_id_fields = ["order"]
    search_fields = ["external_id", "order__external_id"]
