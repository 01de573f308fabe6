"""Invoices (overdue filter, issue / payment / void actions) and numbering series."""

from django.contrib import admin
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.html import format_html

from agency.admin_actions import ObjectActionsMixin, requires, run_action
from agency.admin_fields import MoneyAdminMixin, money_column
from campaigns.models import (
    Invoice,
    InvoiceLine,
    InvoiceSeries,
)
from campaigns.services import invoices as invoice_services


class InvoiceLineInline(MoneyAdminMixin, admin.TabularInline):
    model = InvoiceLine
    money_currency = "invoice.currency"
    extra = 0
    fields = ["description", "amount_minor", "source_key", "is_active"]
    readonly_fields = ["is_active"]

    def has_change_permission(self, request, obj=None) -> bool:
        return obj is None or obj.status == Invoice.Status.DRAFT

    has_add_permission = has_change_permission
    has_delete_permission = has_change_permission


@admin.register(Invoice)
class InvoiceAdmin(ObjectActionsMixin, admin.ModelAdmin):
    list_display = ["__str__", "brand", "status", money_column("total_minor", description="total"),
                    "issued_on", "due_on", "paid_on", "overdue"]  # fmt: skip
    list_filter = ["is_overdue", "status", "currency", "brand"]
    search_fields = ["brand__name", "number"]
    list_select_related = ["brand", "series"]
    readonly_fields = ["number", "status", "issued_on", "due_on", "paid_on", "is_overdue"]
    inlines = [InvoiceLineInline]
    actions = ["issue", "record_payment_today", "void"]
    object_actions = {"issue": "Issue", "record_payment_today": "Record payment today",
                      "void": "Void"}  # fmt: skip
    confirm_actions = ("issue", "record_payment_today", "void")

    @admin.display(description="overdue", ordering="is_overdue")
    def overdue(self, obj: Invoice):
        """Words, not Django's green tick: an overdue invoice is bad news."""
        if not obj.is_overdue:
            return "—"
        return format_html('<strong style="color: var(--error-fg)">{}</strong>', "Overdue")

    def has_delete_permission(self, request, obj=None) -> bool:
        # an issued, paid or void invoice is a record: only a draft can be deleted
        if obj is not None and obj.status != Invoice.Status.DRAFT:
            return False
        return super().has_delete_permission(request, obj)

    has_issue_permission = requires("campaigns.change_invoice")
    # Cash received is finance's (a custom permission), issuing and voiding operations'.
    has_record_payment_permission = requires("campaigns.record_payment_invoice")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(total_minor=Sum("lines__amount_minor", filter=Q(lines__is_active=True)))
        )

    @admin.action(description="Issue (number, dates, earnings)", permissions=["issue"])
    def issue(self, request, queryset):
        run_action(
            self, request, queryset, lambda i: invoice_services.invoice_issue(invoice=i), "Issued"
        )

    @admin.action(description="Record payment received today", permissions=["record_payment"])
    def record_payment_today(self, request, queryset):
        today = timezone.localdate()
        run_action(
            self,
            request,
            queryset,
            lambda i: invoice_services.invoice_payment_record(
                invoice=i, paid_on=today, actor=request.user
            ),
            "Paid",
        )

    @admin.action(description="Void", permissions=["issue"])
    def void(self, request, queryset):
        run_action(
            self, request, queryset, lambda i: invoice_services.invoice_void(invoice=i), "Voided"
        )


@admin.register(InvoiceSeries)
class InvoiceSeriesAdmin(admin.ModelAdmin):
    list_display = ["code", "next_number"]
    readonly_fields = ["next_number"]
