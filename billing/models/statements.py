"""Monthly creator statements in the payout currency. A closed statement never changes."""

import pgtrigger
from django.db import models
from django.db.models import Q

from agency.money import CURRENCY_CHOICES
from billing.models.events import RevenueEvent
from billing.models.ledger import LedgerTransaction
from billing.models.references import DECLARE, kept_while_referenced_sql, parents_exist_sql
from creators.models import Creator


class Statement(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    creator = models.ForeignKey(
        Creator,
        on_delete=models.PROTECT,
        related_name="statements",
        db_index=False,  # statement_one_per_creator_month starts with it
    )
    period = models.DateField("period", help_text="First day of the month.")
    currency = models.CharField("currency", max_length=3, choices=CURRENCY_CHOICES)
    status = models.CharField("status", max_length=10, choices=Status.choices, default="open")
    # Minor units of ``currency``; set when the statement closes.
    opening_minor = models.BigIntegerField("opening balance", null=True, blank=True)
    closing_minor = models.BigIntegerField("closing balance", null=True, blank=True)
    closed_at = models.DateTimeField("closed at", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-period", "creator"]
        permissions = [("export_statement", "Can export statements (CSV, PDF)")]
        constraints = [
            models.UniqueConstraint(
                fields=["creator", "period"],
                name="statement_one_per_creator_month",
                violation_error_message="This creator has a statement for that month already.",
            ),
            models.CheckConstraint(
                name="statement_period_first_of_month",
                condition=Q(period__day=1),
                violation_error_message="A statement period starts on the first of a month.",
            ),
            models.CheckConstraint(
                name="statement_closed_has_balances",
                condition=Q(status="open")
                | Q(
                    opening_minor__isnull=False,
                    closing_minor__isnull=False,
                    closed_at__isnull=False,
                ),
                violation_error_message="A closed statement has its balances.",
            ),
        ]
        indexes = [models.Index(fields=["creator", "status", "period"], name="statement_open")]
        triggers = [
            pgtrigger.Protect(
                name="statement_closed_immutable",
                operation=pgtrigger.Update | pgtrigger.Delete,
                condition=pgtrigger.Q(old__status="closed"),
            ),
            # Lines name their statement without a foreign key (``statement_line_checked``).
            pgtrigger.Trigger(
                name="statement_referenced_kept",
                when=pgtrigger.Before,
                operation=pgtrigger.Delete,
                condition=pgtrigger.Q(old__status="open"),
                func=kept_while_referenced_sql(
                    what="statement", children=[("billing_statementline", "statement_id")]
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.creator} {self.period:%Y-%m}"


# Once per INSERT (or COPY) statement of lines, over the new rows as a set, instead of a
# foreign-key probe per line at COMMIT: the statements, ledger transactions and events named
# exist, and no statement named is closed. Statements and events are locked as a foreign key
# would lock them (the posting engine holds them FOR UPDATE already); ledger transactions
# are never deleted. Deletes on the other side: ``statement_referenced_kept``,
# ``revenue_event_referenced_kept``, ``ledger_transaction_immutable``.
STATEMENT_LINE_CHECK_SQL = (
    parents_exist_sql(
        rows="new_lines",
        column="statement_id",
        parent="billing_statement",
        what="statement line names statement",
        lock="all",
    )
    + parents_exist_sql(
        rows="new_lines",
        column="transaction_id",
        parent="billing_ledgertransaction",
        what="statement line names ledger transaction",
    )
    + parents_exist_sql(
        rows="new_lines",
        column="event_id",
        parent="billing_revenueevent",
        what="statement line names event",
        lock="all",
    )
    + """
    SELECT s.id INTO bad
      FROM new_lines l JOIN billing_statement s ON s.id = l.statement_id
     WHERE s.status = 'closed'
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'statement % is closed', bad.id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
"""
)


class StatementLine(models.Model):
    """One line of a statement. Columns gross..sub-agency are in the event's currency;
    ``net_minor`` is the creator's amount in the statement currency, converted once at
    ``fx_rate`` (1 when no conversion). Lines are never edited; a closed statement takes
    no new lines (trigger)."""

    class Kind(models.TextChoices):
        EARNING = "earning", "Earning"
        CLAWBACK = "clawback", "Refund / chargeback clawback"
        RECOUPMENT = "recoupment", "Advance recoupment"
        EXPENSE = "expense", "Recoupable expense"
        PAYOUT = "payout", "Payout"
        PAYOUT_REVERSAL = "payout_reversal", "Payout reversal"

    # References checked once per statement by ``statement_line_checked``, not by a foreign
    # key probe per row (billing/README.md, "Posting engine"); Django keeps PROTECT.
    statement = models.ForeignKey(
        Statement,
        on_delete=models.PROTECT,
        related_name="lines",
        db_index=False,  # statement_line_by_kind starts with it
        db_constraint=False,
    )
    kind = models.CharField("kind", max_length=20, choices=Kind.choices)
    event = models.ForeignKey(
        RevenueEvent,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
    )
    transaction = models.ForeignKey(
        LedgerTransaction,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
    )
    description = models.CharField("description", max_length=255)
    occurred_on = models.DateField("date")
    original_currency = models.CharField("event currency", max_length=3, choices=CURRENCY_CHOICES)
    gross_minor = models.BigIntegerField("gross", default=0)
    fee_minor = models.BigIntegerField("platform fee", default=0)
    agency_minor = models.BigIntegerField("agency commission", default=0)
    manager_minor = models.BigIntegerField("manager cut", default=0)
    sub_agency_minor = models.BigIntegerField("sub-agency cut", default=0)
    original_net_minor = models.BigIntegerField("net (event currency)", default=0)
    fx_rate = models.DecimalField("FX rate", max_digits=20, decimal_places=10, default=1)
    net_minor = models.BigIntegerField("net (statement currency)")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["statement", "occurred_on", "pk"]
        indexes = [models.Index(fields=["statement", "kind"], name="statement_line_by_kind")]
        triggers = [
            pgtrigger.Protect(
                name="statement_line_immutable", operation=pgtrigger.Update | pgtrigger.Delete
            ),
            pgtrigger.Trigger(
                name="statement_line_checked",
                level=pgtrigger.Statement,
                when=pgtrigger.After,
                operation=pgtrigger.Insert,
                referencing=pgtrigger.Referencing(new="new_lines"),
                declare=[("bad", "record"), *DECLARE],
                func=STATEMENT_LINE_CHECK_SQL,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.net_minor}"
