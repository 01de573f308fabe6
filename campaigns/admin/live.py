"""Livestreams in the admin: sessions (entered through the same service as the API, graded
on conversion, fees checked against the price list), hosts' grades, the price list, monthly
LIVE reports beside their sessions, and finance's booking of a report's agreed amount."""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.html import format_html
from rest_framework.exceptions import ValidationError

from agency.admin_actions import ObjectActionsMixin, requires, run_action
from agency.admin_base import ReadOnlyAdmin, ReadOnlyInline
from agency.admin_fields import MoneyAdminMixin, MoneyForm, money_column
from agency.errors import ApplicationError
from agency.money import CURRENCY_CHOICES, format_money, parse_major
from agency.roles import FINANCE
from campaigns import selectors
from campaigns.models import (
    LiveCommerceRefund,
    LiveHost,
    LiveMonthlyReport,
    LiveOperationPrice,
    LiveReportBooking,
    LiveSession,
)
from campaigns.services import live as live_services
from campaigns.services.live_reports import live_report_book, live_report_booking_plan
from campaigns.services.live_sessions import (
    SessionValues,
    invoiced_session_ids,
    live_operation_prices,
    live_session_problems,
    live_session_record,
)
from campaigns.services.operations_intake import ROW_SERIALIZERS, operations_ingest_csv
from creators.admin.metrics import MetricsImportMixin
from creators.services.ingestion import format_errors

# Where a service's field name is shown on the admin form.
_FORM_FIELD = {
    "gifts_value": "gifts_value_minor",
    "gmv": "gmv_minor",
    "operation_fee": "operation_fee_minor",
    "refunds": "refunds_minor",
}


def add_service_errors(form: forms.Form, problems: dict) -> None:
    for name, reasons in problems.items():
        target = _FORM_FIELD.get(name, name)
        for reason in reasons:
            form.add_error(target if target in form.fields else None, reason)


class ImportOperationsForm(forms.Form):
    file = forms.FileField(help_text="CSV with a header row.")
    dry_run = forms.BooleanField(
        required=False, initial=True, help_text="Report what would change; write nothing."
    )


class OperationsImportMixin(MetricsImportMixin):
    """The metrics admins' "Import CSV" page (same URL and button), here through
    ``operations_ingest_csv`` for ``import_kind`` (staff namespace); it needs the permission
    to add the model's rows."""

    import_kind = ""
    change_list_template = "admin/creators/metrics_change_list.html"  # the "Import CSV" button

    def import_csv_view(self, request: HttpRequest):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ImportOperationsForm(request.POST or None, request.FILES or None)
        result, errors = None, []
        if request.method == "POST" and form.is_valid():
            text = (line.decode("utf-8-sig") for line in form.cleaned_data["file"])
            try:
                result = operations_ingest_csv(
                    kind=self.import_kind, file=text, dry_run=form.cleaned_data["dry_run"]
                )
            except (ValidationError, UnicodeDecodeError) as exc:
                errors = format_errors(getattr(exc, "detail", str(exc)))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Import {self.model._meta.verbose_name_plural} from CSV",
            "form": form,
            "result": result,
            "errors": errors,
            "columns": ", ".join(ROW_SERIALIZERS[self.import_kind]().fields),
        }
        return TemplateResponse(request, "admin/campaigns/import_operations.html", context)


class LiveSessionForm(MoneyForm):
    """Checked by the service's rules; saved by ``live_session_record`` (admin.save_model)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        fee = self.fields.get("operation_fee_minor")
        if fee is not None:
            fee.required = False
            fee.help_text = (
                "Leave empty for the price list's standard fee (agency-operated, with a client)."
            )

    def clean(self):
        cleaned = super().clean()
        if self.errors or "account" not in cleaned:
            return cleaned
        self.session_values = SessionValues(
            **{
                name: cleaned.get(name, getattr(SessionValues, name, None))
                for name in SessionValues.__dataclass_fields__
            }
        )
        existing = self.instance if self.instance.pk else None
        billed = existing is not None and bool(invoiced_session_ids([existing.pk]))
        problems = live_session_problems(
            values=self.session_values,
            existing=existing,
            prices=live_operation_prices(currencies=[self.session_values.currency]),
            billed=billed,
        )
        add_service_errors(self, problems)
        cleaned["operation_fee_minor"] = self.session_values.operation_fee_minor
        return cleaned


class LiveCommerceRefundInline(ReadOnlyInline):
    model = LiveCommerceRefund
    fields = [
        "external_id",
        money_column("amount_minor", currency="session.currency", description="refunded GMV"),
        "refunded_on",
        money_column("clawback_minor", currency="session.currency", description="clawed back"),
    ]
    readonly_fields = fields


class FeeOffListFilter(admin.SimpleListFilter):
    title = "operation fee"
    parameter_name = "fee"

    def lookups(self, request, model_admin):
        return [("off", "Off the price list")]

    def queryset(self, request, queryset):
        if self.value() == "off":
            return queryset.filter(selectors.off_list_q())
        return queryset


@admin.register(LiveSession)
class LiveSessionAdmin(
    OperationsImportMixin, ObjectActionsMixin, MoneyAdminMixin, admin.ModelAdmin
):
    form = LiveSessionForm
    import_kind = "live_sessions"
    list_display = ["creator", "started_at", "ended_at", "viewers", "orders", "conversion",
                    "diamonds", money_column("gifts_value_minor", description="gifts value"),
                    money_column("gmv_minor", description="GMV"), "operated_by_agency",
                    "client", "fee", "revenue_booked_at"]  # fmt: skip
    date_hierarchy = "started_at"
    list_filter = ["operated_by_agency", "currency", FeeOffListFilter]
    search_fields = ["creator__stage_name", "external_id"]
    list_select_related = ["creator", "client"]
    raw_id_fields = ["account"]
    exclude = ["creator"]  # the account's creator, set by the service
    readonly_fields = ["creator", "partner", "external_id", "conversion", "fee",
                       "revenue_booked_at", "refunds_minor"]  # fmt: skip
    inlines = [LiveCommerceRefundInline]
    actions = ["book_revenue"]
    object_actions = {"book_revenue": "Book revenue"}
    confirm_actions = ("book_revenue",)

    def get_queryset(self, request):
        return selectors.with_price_list(super().get_queryset(request))

    def get_object(self, request, object_id, from_field=None):
        session = super().get_object(request, object_id, from_field)
        if session is not None and not hasattr(session, "list_min_minor"):
            session = self.get_queryset(request).get(pk=session.pk)
        return session

    def save_model(self, request, obj, form, change):
        try:
            session, _ = live_session_record(
                values=form.session_values,
                session=obj if change else None,
                partner=obj.partner if change else None,
                external_id=obj.external_id if change else "",
            )
        except ValidationError as exc:  # changed meanwhile: the form checked it a moment ago
            raise DjangoValidationError(str(exc.detail)) from exc
        obj.pk = session.pk
        obj.creator_id = session.creator_id

    @admin.display(description="conversion (orders / viewers)")
    def conversion(self, obj: LiveSession) -> str:
        rate = selectors.live_conversion_rate(orders=obj.orders, viewers=obj.viewers)
        if rate is None:
            return "-"
        grade = selectors.live_conversion_grade(orders=obj.orders, viewers=obj.viewers)
        return f"{rate * 100:.2f} % ({grade})"

    @admin.display(description="operation fee")
    def fee(self, obj: LiveSession) -> str:
        if not obj.operation_fee_minor:
            return "-"
        shown = format_money(obj.operation_fee_minor, obj.currency)
        if getattr(obj, "list_min_minor", None) is None and obj.operation_fee_minor:
            return format_html("{} <strong>(no price list)</strong>", shown)
        if selectors.session_fee_off_list(obj):
            low = format_money(obj.list_min_minor, obj.currency)
            high = format_money(obj.list_max_minor, obj.currency)
            return format_html("{} <strong>(off the list {} - {})</strong>", shown, low, high)
        return shown

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


class RefundForm(forms.ModelForm):
    """A refund typed in major units of its order's (or session's) currency, recorded by the
    refund service (which claws back the commission when it was booked already)."""

    amount = forms.CharField(help_text="Refunded GMV, in the currency of what was sold.")
    parent_field = ""
    refunded_attr = ""

    def clean(self):
        cleaned = super().clean()
        parent = cleaned.get(self.parent_field)
        if parent is not None and cleaned.get("amount"):
            try:
                amount = cleaned["amount_minor"] = parse_major(cleaned["amount"], parent.currency)
            except ValueError as exc:
                self.add_error("amount", str(exc))
                return cleaned
            refundable = parent.gmv_minor - getattr(parent, self.refunded_attr)
            if amount <= 0:
                self.add_error("amount", "A refund amount is positive.")
            elif amount > refundable:
                shown = format_money(refundable, parent.currency)
                self.add_error("amount", f"At most {shown} is left to refund.")
        return cleaned


class RefundAdminBase(admin.ModelAdmin):
    """Add-only: a recorded refund is a fact in the books; a mistake is corrected by the
    shop's own reversal, not by editing."""

    parent_field = ""
    record = staticmethod(lambda **kwargs: None)

    def get_form(self, request, obj=None, **kwargs):
        kwargs["fields"] = [self.parent_field, "external_id", "refunded_on"]
        form = super().get_form(request, obj, **kwargs)
        form.parent_field = self.parent_field
        return form

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        try:
            refund = self.record(
                **{self.parent_field: data[self.parent_field]},
                external_id=data["external_id"],
                amount_minor=data["amount_minor"],
                refunded_on=data["refunded_on"],
            )
        except ApplicationError as exc:
            raise DjangoValidationError(exc.message) from exc
        obj.pk = refund.pk


class LiveCommerceRefundForm(RefundForm):
    parent_field = "session"
    refunded_attr = "refunds_minor"


@admin.register(LiveCommerceRefund)
class LiveCommerceRefundAdmin(OperationsImportMixin, RefundAdminBase):
    import_kind = "live_commerce_refunds"
    form = LiveCommerceRefundForm
    parent_field = "session"
    record = staticmethod(live_services.live_commerce_refund_record)
    list_display = ["external_id", "session", "refunded_on",
                    money_column("amount_minor", currency="session.currency",
                                 description="refunded GMV"),
                    money_column("clawback_minor", currency="session.currency",
                                 description="clawed back")]  # fmt: skip
    list_select_related = ["session__creator"]
    raw_id_fields = ["session"]
    search_fields = ["external_id", "session__creator__stage_name"]


@admin.register(LiveHost)
class LiveHostAdmin(ReadOnlyAdmin):
    """Hosts with sessions: totals and the conversion grade (orders / viewers)."""

    list_display = ["stage_name", "session_count", "viewer_total", "order_total", "conversion"]
    search_fields = ["stage_name"]

    def get_queryset(self, request):
        return selectors.live_host_admin_list()

    @admin.display(description="sessions", ordering="session_count")
    def session_count(self, obj) -> int:
        return obj.session_count

    @admin.display(description="viewers", ordering="viewer_total")
    def viewer_total(self, obj) -> int:
        return obj.viewer_total or 0

    @admin.display(description="orders", ordering="order_total")
    def order_total(self, obj) -> int:
        return obj.order_total or 0

    @admin.display(description="conversion (orders / viewers)")
    def conversion(self, obj) -> str:
        orders, viewers = obj.order_total or 0, obj.viewer_total or 0
        rate = selectors.live_conversion_rate(orders=orders, viewers=viewers)
        if rate is None:
            return "-"
        grade = selectors.live_conversion_grade(orders=orders, viewers=viewers)
        return f"{rate * 100:.2f} % ({grade})"


@admin.register(LiveOperationPrice)
class LiveOperationPriceAdmin(MoneyAdminMixin, admin.ModelAdmin):
    """The price list: a new price is a new row from its date on; past prices stay, so a
    session is always judged by the price in force on its day."""

    list_display = ["currency", "effective_from", money_column("min_fee_minor"),
                    money_column("standard_fee_minor"), money_column("max_fee_minor"),
                    "note"]  # fmt: skip
    list_filter = ["currency"]

    def has_change_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.effective_from <= timezone.localdate():
            return False  # in force or past: add a new row instead
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.effective_from <= timezone.localdate():
            return False
        return super().has_delete_permission(request, obj)


class DifferenceFilter(admin.SimpleListFilter):
    title = "reconciliation"
    parameter_name = "reconciliation"

    def lookups(self, request, model_admin):
        return [("differs", "Differs from the sessions"), ("open", "Not booked")]

    def queryset(self, request, queryset):
        if self.value() == "differs":
            return queryset.exclude(diamonds_difference=0, days_difference=0)
        if self.value() == "open":
            return queryset.filter(booking__isnull=True)
        return queryset


@admin.register(LiveMonthlyReport)
class LiveMonthlyReportAdmin(admin.ModelAdmin):
    """Each report beside the sessions of its account and month; finance books the agreed
    amount from here (the "book" link opens the booking form for the report)."""

    list_display = ["account", "month", "diamonds", "session_diamonds", "diamonds_difference",
                    "valid_live_days", "session_days", "days_difference", "booked_gifts",
                    "booking_state"]  # fmt: skip
    list_filter = [DifferenceFilter]
    date_hierarchy = "month"
    raw_id_fields = ["account"]
    list_select_related = ["account", "booking"]

    def get_queryset(self, request):
        return selectors.live_reports_reconciled(super().get_queryset(request))

    @admin.display(description="session diamonds")
    def session_diamonds(self, obj) -> int:
        return obj.session_diamonds

    @admin.display(description="diamonds difference (report - sessions)")
    def diamonds_difference(self, obj) -> int:
        return obj.diamonds_difference

    @admin.display(description="session days")
    def session_days(self, obj) -> int:
        return obj.session_days

    @admin.display(description="days difference")
    def days_difference(self, obj) -> int:
        return obj.days_difference

    @admin.display(description="gifts booked by sessions")
    def booked_gifts(self, obj) -> str:
        if not obj.sessions_currency:
            return "-"
        return format_money(obj.booked_gifts_minor, obj.sessions_currency)

    @admin.display(description="booking")
    def booking_state(self, obj) -> str:
        booking = getattr(obj, "booking", None)
        if booking is not None:
            return f"booked {format_money(booking.agreed_minor, booking.currency)}"
        return format_html(
            '<a href="../livereportbooking/add/?report={}">book the agreed amount</a>', obj.pk
        )


class LiveReportBookingForm(forms.ModelForm):
    agreed = forms.CharField(help_text="The month's agreed gift value, in major units.")
    currency = forms.ChoiceField(choices=CURRENCY_CHOICES)

    class Meta:
        model = LiveReportBooking
        fields = ["report", "currency", "note"]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("agreed") and cleaned.get("currency"):
            try:
                cleaned["agreed_minor"] = parse_major(cleaned["agreed"], cleaned["currency"])
            except ValueError as exc:
                self.add_error("agreed", str(exc))
        if "agreed_minor" in cleaned and cleaned.get("report") and not self.errors:
            try:
                live_report_booking_plan(
                    report=cleaned["report"],
                    agreed_minor=cleaned["agreed_minor"],
                    currency=cleaned["currency"],
                    today=timezone.localdate(),
                )
            except ApplicationError as exc:
                self.add_error(None, exc.message)
        return cleaned


@admin.register(LiveReportBooking)
class LiveReportBookingAdmin(admin.ModelAdmin):
    """Finance books a report's agreed amount once (``live_report_book``); a booking is
    never changed or deleted (it is in the ledger)."""

    form = LiveReportBookingForm
    list_display = ["report", money_column("agreed_minor", description="agreed"),
                    money_column("sessions_booked_minor", description="booked by sessions"),
                    money_column("adjustment_minor", description="booked here"),
                    "booked_by", "booked_at"]  # fmt: skip
    raw_id_fields = ["report"]
    list_select_related = ["report__account", "booked_by"]

    def has_add_permission(self, request) -> bool:
        return requires("campaigns.add_livereportbooking", role=FINANCE)(self, request)

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        try:
            booking = live_report_book(
                report=data["report"],
                agreed_minor=data["agreed_minor"],
                currency=data["currency"],
                note=data.get("note", ""),
                booked_by=request.user,
            )
        except ApplicationError as exc:
            raise DjangoValidationError(exc.message) from exc
        obj.pk = booking.pk
