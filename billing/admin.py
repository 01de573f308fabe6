"""Billing admin: thin; read-only ledger, statements with lines and exports, approvals.

Ledger tables have no add, change, delete or import-export here: only billing.ledger
writes them. Actions call services, which enforce the rules (maker-checker, finance group).
"""

import datetime as dt
import zipfile
from io import BytesIO

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

import billing.advance_admin
import billing.remittance_admin  # noqa: F401 (registers the remittance admin)
from agency.admin_actions import ObjectActionsMixin, requires, run_action
from agency.admin_base import ReadOnlyAdmin, ReadOnlyInline
from agency.admin_fields import MoneyAdminMixin, money_column, rate_column
from agency.errors import ApplicationError
from agency.money import CURRENCY_CHOICES, format_money
from agency.months import month_start, next_month
from agency.roles import FINANCE
from billing import dashboards, exports, reports
from billing import selectors as billing_selectors
from billing.display import line_description, split_rates_table, tiers_text
from billing.models import (
    Account,
    CommissionPlan,
    DataPartnerCreator,
    ExchangeRate,
    HoldPolicy,
    ImportBatch,
    LedgerCheck,
    LedgerLeg,
    LedgerTransaction,
    Payout,
    PayoutBatch,
    RevenueEvent,
    RevenueSplit,
    Statement,
    StatementLine,
)
from billing.payees import PAYABLE_KINDS, Payee
from billing.services import events as event_services
from billing.services import payouts as payout_services
from billing.services import plans as plan_services
from billing.services import statements as statement_services

PAYEE_KINDS = {PAYABLE_KINDS["manager"], PAYABLE_KINDS["sub_agency"]}
assert dashboards.finance_panel  # registered with the admin: finance's landing panel


class PreparePayoutsForm(forms.Form):
    currency = forms.ChoiceField(
        choices=[("", "Every currency someone is owed in"), *CURRENCY_CHOICES], required=False
    )


@admin.register(LedgerCheck)
class LedgerCheckAdmin(ReadOnlyAdmin):
    """What each ledger check found; recorded by the nightly job and ``verify_ledger``."""

    list_display = ["finished_at", "source", "mismatch_count", "duration"]
    list_filter = ["source"]
    fields = ["source", "started_at", "finished_at", "mismatch_count", "mismatch_list"]
    readonly_fields = fields

    @admin.display(description="took")
    def duration(self, obj: LedgerCheck) -> str:
        return f"{(obj.finished_at - obj.started_at).total_seconds():.1f} s"

    @admin.display(description="mismatches found")
    def mismatch_list(self, obj: LedgerCheck):
        if not obj.mismatches:
            return "none: every balance and statement agrees with its entries"
        return format_html_join(mark_safe("<br>"), "{}", ((m,) for m in obj.mismatches))


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ["id", "kind", "currency", "creator", "manager", "sub_agency", "balance",
                    "statement_link"]  # fmt: skip
    list_filter = ["kind", "currency"]
    search_fields = ["creator__stage_name", "sub_agency__name", "manager__username"]
    list_select_related = ["creator", "manager", "sub_agency"]

    @admin.display(description="balance (credit +)", ordering="balance_minor")
    def balance(self, obj: Account) -> str:
        return format_money(obj.balance_minor, obj.currency)

    @admin.display(description="statement")
    def statement_link(self, obj: Account):
        if obj.kind not in PAYEE_KINDS:
            return "-"
        url = reverse("admin:billing_account_statement", args=[obj.pk])
        return format_html('<a href="{}">Monthly statement</a>', url)

    # Talent managers' and sub-agencies' statements: read from their payable's legs.
    has_statement_permission = requires("billing.view_statement", "billing.view_account")

    # The agency's profit and loss: finance's.
    has_pnl_permission = requires("billing.view_account", role=FINANCE)

    def pnl_view(self, request):
        if not self.has_pnl_permission(request):
            raise PermissionDenied
        this_month = month_start(timezone.localdate())

        def month(name: str, default: dt.date) -> dt.date:
            try:
                return dt.date.fromisoformat(request.GET.get(name, "") + "-01")
            except ValueError:
                return default

        end = month("end", next_month(this_month))
        start = month("start", end.replace(year=end.year - 1))
        rows = reports.profit_and_loss(start=start, end=end)
        if request.GET.get("format") == "csv":
            response = HttpResponse(reports.profit_and_loss_csv(rows), content_type="text/csv")
            name = f"profit-and-loss-{start:%Y-%m}-{end:%Y-%m}.csv"
            response["Content-Disposition"] = f'attachment; filename="{name}"'
            return response
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Profit and loss by stream and month",
            "start": start,
            "end": end,
            "rows": reports.display(rows),
        }
        return TemplateResponse(request, "admin/billing/profit_and_loss.html", context)

    def get_urls(self):
        return [
            path(
                "profit-and-loss/",
                self.admin_site.admin_view(self.pnl_view),
                name="billing_profit_and_loss",
            ),
            path(
                "<int:pk>/statement/",
                self.admin_site.admin_view(self.statement_view),
                name="billing_account_statement",
            ),
            *super().get_urls(),
        ]

    def statement_view(self, request, pk: int):
        if not self.has_statement_permission(request):
            raise PermissionDenied
        account = get_object_or_404(billing_selectors.payee_accounts(), pk=pk)
        try:
            period = dt.date.fromisoformat(request.GET.get("period", "") + "-01")
        except ValueError:
            period = month_start(timezone.localdate())
        statement = billing_selectors.payee_statement(account=account, period=period)
        if request.GET.get("format") == "csv":
            response = HttpResponse(exports.payee_statement_csv(statement), content_type="text/csv")
            name = f"statement-{account.kind}-{account.pk}-{period:%Y-%m}.csv"
            response["Content-Disposition"] = f'attachment; filename="{name}"'
            return response
        ccy = account.currency
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Monthly statement",
            "payee": Payee.of(account),
            "statement": statement,
            "opening": format_money(statement.opening_minor, ccy),
            "closing": format_money(statement.closing_minor, ccy),
            "lines": [
                {**vars(line), "amount": format_money(line.amount_minor, ccy)}
                for line in statement.lines
            ],
        }
        return TemplateResponse(request, "admin/billing/payee_statement.html", context)


class LedgerLegInline(ReadOnlyInline):
    model = LedgerLeg
    fields = ["account", money_column("amount_minor", description="amount")]
    readonly_fields = fields


@admin.register(LedgerTransaction)
class LedgerTransactionAdmin(ReadOnlyAdmin):
    list_display = ["id", "source_type", "source_id", "effective_on", "memo", "reverses"]
    list_filter = ["source_type"]
    search_fields = ["source_id", "memo"]
    list_select_related = ["reverses"]
    inlines = [LedgerLegInline]


class RevenueSplitInline(ReadOnlyInline):
    model = RevenueSplit
    fields = [
        money_column("gross_minor"),
        money_column("fee_minor", description="platform fee"),
        money_column("agency_minor", description="agency"),
        money_column("manager_minor", description="manager"),
        money_column("sub_agency_minor", description="sub-agency"),
        money_column("creator_minor", description="creator"),
        "rates_used",
    ]
    readonly_fields = fields

    @admin.display(description="rates used")
    def rates_used(self, obj: RevenueSplit):
        return split_rates_table(obj.rates)


@admin.register(RevenueEvent)
class RevenueEventAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "stream",
        "kind",
        "creator",
        "occurred_on",
        money_column("gross_minor"),
        "status",
        "locks_on",
        "posted_at",
    ]
    list_filter = ["stream", "kind", "status", "currency"]
    search_fields = ["source_id", "creator__stage_name"]
    list_select_related = ["creator"]
    inlines = [RevenueSplitInline]


@admin.register(ImportBatch)
class ImportBatchAdmin(ObjectActionsMixin, ReadOnlyAdmin):
    list_display = ["id", "filename", "status", "row_count", "created_at", "approved_by"]
    list_filter = ["status"]
    list_select_related = ["approved_by"]
    actions = ["approve", "reject"]
    object_actions = {"approve": "Approve and post", "reject": "Reject"}
    confirm_actions = ("approve",)

    has_decide_permission = requires("billing.change_importbatch", role=FINANCE)

    @admin.action(
        description="Reject the selected imports (their events are dropped)",
        permissions=["decide"],
    )
    def reject(self, request, queryset):
        run_action(
            self,
            request,
            queryset,
            lambda b: event_services.import_batch_reject(batch=b, actor=request.user),
            "Imports rejected",
        )

    @admin.action(description="Approve and post the selected imports", permissions=["decide"])
    def approve(self, request, queryset):
        run_action(
            self,
            request,
            queryset,
            lambda b: event_services.import_batch_approve(batch=b, approved_by=request.user),
            "Imports posted",
        )


@admin.register(HoldPolicy)
class HoldPolicyAdmin(admin.ModelAdmin):
    list_display = ["stream", "hold_days", "pay_when_paid", "note"]


@admin.register(ExchangeRate)
class ExchangeRateAdmin(admin.ModelAdmin):
    list_display = ["base", "quote", "valid_on", "rate", "source"]  # FX rates are not percentages
    list_filter = ["base", "quote"]
    date_hierarchy = "valid_on"


@admin.register(CommissionPlan)
class CommissionPlanAdmin(ObjectActionsMixin, MoneyAdminMixin, admin.ModelAdmin):
    list_display = [
        "id",
        "contract",
        "stream",
        "effective_from",
        rate_column("agency_rate"),
        "tier_summary",
        rate_column("manager_share"),
        rate_column("sub_agency_share"),
        "basis",
        "status",
        "created_by",
        "approved_by",
    ]
    list_filter = ["status", "stream", "basis"]
    list_select_related = ["contract__creator", "created_by", "approved_by"]
    readonly_fields = ["status", "created_by", "approved_by", "approved_at"]
    actions = ["approve", "reject"]
    object_actions = {"approve": "Approve plan", "reject": "Reject plan"}
    confirm_actions = ("approve",)

    @admin.display(description="tiers")
    def tier_summary(self, obj: CommissionPlan) -> str:
        return tiers_text(obj.agency_rate, obj.tiers, obj.currency)

    def has_change_permission(self, request, obj=None) -> bool:
        # terms of a proposed plan may be edited; approved ones are frozen (DB trigger too)
        if obj is not None and obj.status != CommissionPlan.Status.PENDING:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change):
        if not change:
            plan = plan_services.commission_plan_propose(
                contract=obj.contract,
                stream=obj.stream,
                effective_from=obj.effective_from,
                agency_rate=obj.agency_rate,
                tiers=[(t["from"], t["rate"]) for t in obj.tiers or []],
                manager_share=obj.manager_share,
                sub_agency_share=obj.sub_agency_share,
                basis=obj.basis,
                currency=obj.currency,
                created_by=request.user,
            )
            obj.pk, obj.tiers, obj._state.adding = plan.pk, plan.tiers, False  # "continue editing"
        else:  # whoever edits the terms becomes their maker and cannot approve them
            obj.created_by = request.user
            super().save_model(request, obj, form, change)

    # Finance approves; the service refuses the plan's maker (and a DB CHECK backs it).
    has_decide_permission = requires("billing.approve_commissionplan", role=FINANCE)

    @admin.action(description="Approve the selected plans (maker-checker)", permissions=["decide"])
    def approve(self, request, queryset):
        run_action(
            self,
            request,
            queryset,
            lambda p: plan_services.commission_plan_approve(plan=p, approved_by=request.user),
            "Plans approved",
        )

    @admin.action(description="Reject the selected plans", permissions=["decide"])
    def reject(self, request, queryset):
        run_action(
            self,
            request,
            queryset,
            lambda p: plan_services.commission_plan_reject(plan=p, rejected_by=request.user),
            "Plans rejected",
        )


class StatementLineInline(ReadOnlyInline):
    model = StatementLine
    fields = [
        "occurred_on",
        "kind",
        "line_description",
        money_column("gross_minor", currency="original_currency"),
        money_column("fee_minor", currency="original_currency", description="platform fee"),
        money_column("agency_minor", currency="original_currency", description="agency"),
        money_column("manager_minor", currency="original_currency", description="manager"),
        money_column("sub_agency_minor", currency="original_currency", description="sub-agency"),
        "fx_rate",
        money_column("net_minor", currency="statement.currency", description="net"),
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        """The lines with their payout's state (one subquery, not a query per line)."""
        lines = super().get_queryset(request).select_related("statement")
        return billing_selectors.statement_lines_shown(lines)

    @admin.display(description="description")
    def line_description(self, line: StatementLine) -> str:
        return line_description(line)


@admin.register(Statement)
class StatementAdmin(ObjectActionsMixin, ReadOnlyAdmin):
    list_display = [
        "id",
        "creator",
        "period",
        "status",
        money_column("opening_minor", description="opening balance"),
        money_column("closing_minor", description="closing balance"),
    ]
    list_filter = ["status", "currency", "period"]
    search_fields = ["creator__stage_name"]
    list_select_related = ["creator"]
    inlines = [StatementLineInline]
    actions = ["close_month", "export_csv", "export_pdf"]
    object_actions = {
        "close_month": "Close this month",
        "export_csv": "Export CSV",
        "export_pdf": "Export PDF",
    }
    confirm_actions = ("close_month",)

    # Closing fixes balances, deducts expenses and recoups advances: finance's.
    has_close_permission = requires("billing.change_statement", role=FINANCE)

    @admin.action(
        description="Close the selected months now (and the creator's earlier open months)",
        permissions=["close"],
    )
    def close_month(self, request, queryset):
        run_action(
            self,
            request,
            queryset.select_related("creator").order_by("creator_id", "period"),
            lambda s: statement_services.creator_months_close(
                creator=s.creator, through=s.period, closed_by=request.user
            ),
            "Months closed",
        )

    def _download(self, queryset, render, ext: str, content_type: str) -> HttpResponse:
        statements = list(queryset.select_related("creator"))
        if len(statements) == 1:
            s = statements[0]
            response = HttpResponse(render(s), content_type=content_type)
            response["Content-Disposition"] = f'attachment; filename="statement-{s.pk}.{ext}"'
            return response
        buffer = BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for s in statements:
                archive.writestr(f"statement-{s.pk}.{ext}", render(s))
        response = HttpResponse(buffer.getvalue(), content_type="application/zip")
        response["Content-Disposition"] = 'attachment; filename="statements.zip"'
        return response

    has_export_permission = requires("billing.export_statement")

    @admin.action(description="Export the selected statements as CSV", permissions=["export"])
    def export_csv(self, request, queryset):
        return self._download(queryset, exports.statement_csv, "csv", "text/csv")

    @admin.action(description="Export the selected statements as PDF", permissions=["export"])
    def export_pdf(self, request, queryset):
        return self._download(queryset, exports.statement_pdf, "pdf", "application/pdf")


@admin.display(description="payee")
def payee_column(payout: Payout) -> str:
    return str(Payee.of(payout))


class PayoutInline(ReadOnlyInline):
    model = Payout
    fields = [payee_column, money_column("amount_minor", description="amount"), "status"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("creator", "manager", "sub_agency")


@admin.register(PayoutBatch)
class PayoutBatchAdmin(ObjectActionsMixin, ReadOnlyAdmin):
    list_display = ["id", "currency", "status", "prepared_by", "approved_by", "created_at"]
    list_filter = ["status", "currency"]
    list_select_related = ["prepared_by", "approved_by"]
    inlines = [PayoutInline]
    actions = ["approve", "reject"]
    change_list_template = "admin/billing/payoutbatch_change_list.html"

    has_prepare_permission = requires("billing.add_payoutbatch", role=FINANCE)

    def changelist_view(self, request, extra_context=None):
        extra = {"has_prepare_permission": self.has_prepare_permission(request)}
        return super().changelist_view(request, {**(extra_context or {}), **extra})

    def get_urls(self):
        return [
            path(
                "prepare/",
                self.admin_site.admin_view(self.prepare_view),
                name="billing_payoutbatch_prepare",
            ),
            *super().get_urls(),
        ]

    def prepare_view(self, request):
        """Run a payout batch now: a draft for another finance member to approve."""
        if not self.has_prepare_permission(request):
            raise PermissionDenied
        form = PreparePayoutsForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            currency = form.cleaned_data["currency"]
            try:
                batches = payout_services.payout_batches_prepare(
                    currencies=[currency] if currency else None, prepared_by=request.user
                )
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                self.message_user(
                    request,
                    f"Payout batches prepared: {len(batches)}"
                    + ("" if batches else " (nobody has enough available to be paid)")
                    + ". Another finance member approves them.",
                    messages.SUCCESS if batches else messages.WARNING,
                )
                return redirect("admin:billing_payoutbatch_changelist")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Prepare payout batches now",
            "form": form,
        }
        return TemplateResponse(request, "admin/billing/payoutbatch_prepare.html", context)

    object_actions = {"approve": "Approve batch", "reject": "Reject batch"}
    confirm_actions = ("approve", "reject")

    has_approve_permission = requires("billing.change_payoutbatch", role=FINANCE)
    has_reject_permission = requires("billing.change_payoutbatch", role=FINANCE)

    @admin.action(
        description="Approve the selected batches (finance, not the preparer)",
        permissions=["approve"],
    )
    def approve(self, request, queryset):
        run_action(
            self,
            request,
            queryset,
            lambda b: payout_services.payout_batch_approve(batch=b, approved_by=request.user),
            "Batches approved",
        )

    @admin.action(
        description="Reject the selected batches: their money is payable again (finance, "
        "not the preparer)",
        permissions=["reject"],
    )
    def reject(self, request, queryset):
        run_action(
            self,
            request,
            queryset,
            lambda b: payout_services.payout_batch_reject(batch=b, rejected_by=request.user),
            "Batches rejected",
        )


@admin.register(Payout)
class PayoutAdmin(ObjectActionsMixin, ReadOnlyAdmin):
    list_display = ["id", "batch", payee_column, money_column("amount_minor", description="amount"),
                    "status", "updated_at"]  # fmt: skip
    list_filter = ["status", "currency"]
    list_select_related = ["creator", "manager", "sub_agency", "batch"]
    actions = ["mark_paid", "mark_failed", "reverse"]
    object_actions = {"mark_paid": "Mark paid", "mark_failed": "Mark failed", "reverse": "Reverse"}
    confirm_actions = ("mark_paid", "mark_failed", "reverse")

    # Finance settles payouts; the service refuses the batch's preparer (four eyes).
    has_settle_permission = requires("billing.change_payout", role=FINANCE)

    @admin.action(description="Mark sent payouts as paid", permissions=["settle"])
    def mark_paid(self, request, queryset):
        run_action(
            self,
            request,
            queryset,
            lambda p: payout_services.payout_mark_paid(payout_id=p.pk, actor=request.user),
            "Payouts paid",
        )

    @admin.action(description="Mark sent payouts as failed", permissions=["settle"])
    def mark_failed(self, request, queryset):
        run_action(
            self,
            request,
            queryset,
            lambda p: payout_services.payout_mark_failed(payout_id=p.pk, actor=request.user),
            "Payouts failed",
        )

    @admin.action(
        description="Reverse failed payouts back to the creator payable", permissions=["settle"]
    )
    def reverse(self, request, queryset):
        run_action(
            self,
            request,
            queryset,
            lambda p: payout_services.payout_reverse(payout_id=p.pk, actor=request.user),
            "Payouts reversed",
        )


@admin.register(DataPartnerCreator)
class DataPartnerCreatorAdmin(admin.ModelAdmin):
    """Who each data partner reports for, when ``BILLING_DATA_PARTNER_SCOPE`` is
    ``assigned`` (see ``billing.scoping``)."""

    list_display = ["partner", "creator", "created_at"]
    list_filter = ["partner"]
    search_fields = ["creator__stage_name", "partner__name"]
    list_select_related = ["partner", "creator"]
    autocomplete_fields = ["creator"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # assign or remove; nothing to edit
