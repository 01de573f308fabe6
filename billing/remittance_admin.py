"""Remittances in the admin (finance): record one, import a settlement report, see what is
matched, unmatched and different, and match again. Money is shown and typed in major units
with the currency; every write goes through ``billing.services.remittances``.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AdminDateWidget
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from agency.admin_actions import requires, run_action
from agency.errors import ApplicationError
from agency.money import CURRENCY_CHOICES, format_money
from agency.roles import FINANCE
from agency.rows import RowErrors
from billing import selectors
from billing.imports import MalformedFile, parse_settlement_csv
from billing.models import Remittance, RemittanceLine, Stream
from billing.services.remittance_matching import remittance_match
from billing.services.remittances import RemittanceInput, remittances_import, remittances_record
from creators.services.ingestion import format_errors


def _major(**kwargs) -> forms.DecimalField:
    return forms.DecimalField(max_digits=18, decimal_places=3, min_value=0, **kwargs)


class RemittanceForm(forms.Form):
    payer = forms.CharField(max_length=100, help_text="Who paid, e.g. TikTok Shop.")
    reference = forms.CharField(max_length=100, help_text="The payer's settlement reference.")
    currency = forms.ChoiceField(choices=CURRENCY_CHOICES)
    amount = _major(help_text="The cash received, in major units (e.g. 1234.50).")
    fee_withheld = _major(initial=0, help_text="Fees the payer kept, in major units.")
    period_start = forms.DateField(widget=AdminDateWidget)
    period_end = forms.DateField(widget=AdminDateWidget)
    received_on = forms.DateField(widget=AdminDateWidget)


class RemittanceLineForm(forms.Form):
    stream = forms.ChoiceField(choices=[("", "---------"), *Stream.choices])  # blank: unused
    amount = _major(help_text="Settled for this item before fees, major units.")
    external_id = forms.CharField(max_length=100, required=False, help_text="The event's id.")
    creator_id = forms.IntegerField(
        min_value=1,
        max_value=2**63 - 1,
        required=False,
        help_text="Or the creator whose period this pays.",
    )


RemittanceLineFormSet = forms.formset_factory(RemittanceLineForm, extra=5)


class SettlementReportForm(forms.Form):
    file = forms.FileField(
        help_text="CSV: reference, payer, currency, received_on, period_start, period_end, "
        "stream, amount, and optionally fee_withheld, creator_id, external_id."
    )
    dry_run = forms.BooleanField(
        required=False, initial=True, help_text="Report what would be recorded; write nothing."
    )


class RemittanceLineInline(admin.TabularInline):
    model = RemittanceLine
    extra = 0
    can_delete = False
    fields = [
        "line_no",
        "stream",
        "creator",
        "external_id",
        "settled",
        "expected",
        "difference",
        "applied",
        "status",
        "note",
        "events",
    ]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("billing.view_remittance")  # lines belong to it

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("remittance", "creator")
            .prefetch_related("matches")
        )

    @admin.display(description="settled")
    def settled(self, line: RemittanceLine) -> str:
        return format_money(line.amount_minor, line.remittance.currency)

    @admin.display(description="expected")
    def expected(self, line: RemittanceLine) -> str:
        if line.expected_minor is None:
            return "-"
        return format_money(line.expected_minor, line.remittance.currency)

    @admin.display(description="difference")
    def difference(self, line: RemittanceLine) -> str:
        if line.difference_minor is None:
            return "-"
        return format_money(line.difference_minor, line.remittance.currency)

    @admin.display(description="applied")
    def applied(self, line: RemittanceLine) -> str:
        return format_money(line.applied_minor, line.remittance.currency)

    @admin.display(description="events paid")
    def events(self, line: RemittanceLine) -> str:
        return ", ".join(str(m.event_id) for m in line.matches.all()) or "-"


@admin.register(Remittance)
class RemittanceAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "payer",
        "reference",
        "received_on",
        "period_start",
        "period_end",
        "amount",
        "fee_withheld",
        "matched",
        "unmatched",
        "difference",
        "status",
        "source",
    ]
    list_filter = ["status", "source", "currency", "payer"]
    search_fields = ["reference", "payer"]
    date_hierarchy = "received_on"
    inlines = [RemittanceLineInline]
    actions = ["match_again"]
    change_list_template = "admin/billing/remittance_change_list.html"
    fields = [
        "payer",
        "partner",
        "reference",
        "amount",
        "fee_withheld",
        "matched",
        "unmatched",
        "difference",
        "period_start",
        "period_end",
        "received_on",
        "status",
        "source",
        "filename",
        "recorded_by",
        "receipt_transaction",
        "created_at",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return selectors.remittance_list_with_totals().select_related(
            "partner", "recorded_by", "receipt_transaction"
        )

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # recorded facts; corrections are new remittances

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    has_match_permission = requires("billing.change_remittance", role=FINANCE)

    @admin.display(description="amount received")
    def amount(self, obj: Remittance) -> str:
        return format_money(obj.amount_minor, obj.currency)

    @admin.display(description="fees withheld")
    def fee_withheld(self, obj: Remittance) -> str:
        return format_money(obj.fee_withheld_minor, obj.currency)

    @admin.display(description="matched")
    def matched(self, obj: Remittance) -> str:
        return format_money(obj.matched_minor, obj.currency)

    @admin.display(description="unmatched")
    def unmatched(self, obj: Remittance) -> str:
        return format_money(obj.unmatched_minor, obj.currency)

    @admin.display(description="difference to booked")
    def difference(self, obj: Remittance) -> str:
        return format_money(obj.difference_minor, obj.currency)

    @admin.action(description="Match the selected remittances again", permissions=["match"])
    def match_again(self, request, queryset):
        run_action(
            self,
            request,
            queryset,
            lambda r: remittance_match(remittance=r),
            "Remittances matched again",
        )

    # --- recording one remittance, importing a settlement report --------------------------

    def get_urls(self):
        return [
            path(
                "import-csv/",
                self.admin_site.admin_view(self.import_csv_view),
                name="billing_remittance_import_csv",
            ),
            *super().get_urls(),
        ]

    def add_view(self, request: HttpRequest, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = RemittanceForm(request.POST or None)
        lines = RemittanceLineFormSet(request.POST or None, prefix="lines")
        if request.method == "POST" and form.is_valid() and lines.is_valid():
            remittance = self._record(request, form, lines)
            if remittance is not None:
                self.message_user(
                    request,
                    f"Remittance {remittance} recorded: {remittance.get_status_display()}.",
                    messages.SUCCESS,
                )
                return redirect(reverse("admin:billing_remittance_change", args=[remittance.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Record a remittance",
            "form": form,
            "lines": lines,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/billing/remittance_record.html", context)

    def _record(self, request, form: RemittanceForm, lines) -> Remittance | None:
        """Record through the service; its refusals land on the form's fields."""
        data = form.cleaned_data
        filled = [f for f in lines.forms if f.cleaned_data]
        remittance = RemittanceInput.from_fields(data, [f.cleaned_data for f in filled])
        try:
            result = remittances_record(
                remittances=[remittance],
                source=Remittance.Source.ADMIN,
                recorded_by=request.user,
            )
        except RowErrors:
            for name, reasons in remittance.errors.items():
                for reason in reasons:
                    form.add_error(name if name in form.fields else None, reason)
            for line_form, line in zip(filled, remittance.lines, strict=True):
                for name, reasons in line.errors.items():
                    for reason in reasons:
                        line_form.add_error(name if name in line_form.fields else None, reason)
            return None
        except ApplicationError as exc:
            form.add_error(None, exc.message)
            return None
        return (result.created or result.known)[0]

    def import_csv_view(self, request: HttpRequest):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = SettlementReportForm(request.POST or None, request.FILES or None)
        result, errors = None, []
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                rows = parse_settlement_csv(upload.read().decode("utf-8-sig"))
                result = remittances_import(
                    rows=rows,
                    filename=upload.name,
                    recorded_by=request.user,
                    dry_run=form.cleaned_data["dry_run"],
                )
            except (UnicodeDecodeError, MalformedFile) as exc:
                errors = [str(exc)]
            except RowErrors as exc:
                errors = [exc.message, *format_errors({"rows": exc.extra["rows"]})]
            except ApplicationError as exc:
                errors = [exc.message]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Import a settlement report",
            "form": form,
            "result": result,
            "errors": errors,
        }
        return TemplateResponse(request, "admin/billing/remittance_import.html", context)
