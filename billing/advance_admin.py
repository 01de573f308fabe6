"""Advances and recoupable expenses in the admin (finance, maker-checker).

A finance member records one (amounts typed in major units of the creator's payout
currency); another finance member approves it with the "Approve" action, which pays the
cash and lets month close count it. Recorded rows are facts: no change or delete; a wrong
one is left unapproved. Every write goes through ``billing.services.advances``.
"""

from django.contrib import admin

from agency.admin_actions import ObjectActionsMixin, requires, run_action
from agency.admin_fields import MoneyAdminMixin, MoneyForm, money_column, rate_column
from agency.roles import FINANCE
from billing.models import Advance, RecoupableExpense
from billing.services import advances as advance_services


class RecordForm(MoneyForm):
    """Refuses here what the service would refuse, so saving never fails."""

    def clean(self):
        cleaned = super().clean()
        creator, currency = cleaned.get("creator"), cleaned.get("currency")
        if creator and currency and currency != creator.payout_currency:
            self.add_error("currency", f"{creator} is paid in {creator.payout_currency}.")
        amount = cleaned.get("amount_minor")
        if isinstance(amount, int) and amount <= 0:
            self.add_error("amount_minor", "Must be positive.")
        return cleaned


class _FourEyesAdmin(ObjectActionsMixin, MoneyAdminMixin, admin.ModelAdmin):
    form = RecordForm
    list_select_related = ["creator", "recorded_by", "approved_by"]
    list_filter = ["currency", ("approved_at", admin.EmptyFieldListFilter)]
    search_fields = ["creator__stage_name"]
    autocomplete_fields = ["creator"]
    actions = ["approve"]
    object_actions = {"approve": "Approve"}
    confirm_actions = ("approve",)
    approved_readonly = ["recorded_by", "approved_by", "approved_at"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # recorded facts; a wrong one stays unapproved

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if obj is None:
            return [f for f in fields if f not in self.approved_readonly]
        return fields

    @admin.display(description="status")
    def status(self, obj) -> str:
        return "approved" if obj.is_approved else "awaiting approval"

    def save_model(self, request, obj, form, change):
        saved = self.record(obj, request.user)  # the form checked what the service refuses
        obj.pk, obj._state.adding = saved.pk, False

    # Finance approves; the service refuses whoever recorded it (a DB CHECK backs it).
    has_approve_permission = requires("billing.change_advance", role=FINANCE)

    @admin.action(
        description="Approve the selected (finance, not whoever recorded it)",
        permissions=["approve"],
    )
    def approve(self, request, queryset):
        run_action(
            self,
            request,
            queryset.order_by("pk"),
            lambda row: self.approve_one(row, request.user),
            "Approved",
        )


@admin.register(Advance)
class AdvanceAdmin(_FourEyesAdmin):
    list_display = [
        "id",
        "creator",
        money_column("amount_minor", description="amount"),
        rate_column("recoup_cap_rate", description="recoup cap"),
        "issued_on",
        "status",
        "recorded_by",
        "approved_by",
    ]
    fields = ["creator", "currency", "amount_minor", "recoup_cap_rate", "issued_on",
              "recorded_by", "approved_by", "approved_at"]  # fmt: skip

    def record(self, obj: Advance, user) -> Advance:
        return advance_services.advance_record(
            creator=obj.creator,
            currency=obj.currency,
            amount_minor=obj.amount_minor,
            recoup_cap_rate=obj.recoup_cap_rate,
            issued_on=obj.issued_on,
            recorded_by=user,
        )

    def approve_one(self, row: Advance, user) -> Advance:
        return advance_services.advance_approve(advance=row, approved_by=user)


@admin.register(RecoupableExpense)
class RecoupableExpenseAdmin(_FourEyesAdmin):
    list_display = [
        "id",
        "creator",
        "description",
        money_column("amount_minor", description="amount"),
        "incurred_on",
        "status",
        "recorded_by",
        "approved_by",
        "deducted_in",
    ]
    list_select_related = [*_FourEyesAdmin.list_select_related, "deducted_in__creator"]
    fields = ["creator", "currency", "amount_minor", "description", "incurred_on",
              "recorded_by", "approved_by", "approved_at", "deducted_in"]  # fmt: skip
    approved_readonly = [*_FourEyesAdmin.approved_readonly, "deducted_in"]

    has_approve_permission = requires("billing.change_recoupableexpense", role=FINANCE)

    def record(self, obj: RecoupableExpense, user) -> RecoupableExpense:
        return advance_services.expense_record(
            creator=obj.creator,
            currency=obj.currency,
            amount_minor=obj.amount_minor,
            description=obj.description,
            incurred_on=obj.incurred_on,
            recorded_by=user,
        )

    def approve_one(self, row: RecoupableExpense, user) -> RecoupableExpense:
        return advance_services.expense_approve(expense=row, approved_by=user)
