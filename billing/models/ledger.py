"""The double-entry ledger. Only ``billing.ledger`` writes these rows.

Sign convention: a leg's ``amount_minor`` is positive for a credit and negative for a debit,
so liabilities and revenue (creator payable, agency revenue) have positive balances and
assets (cash, receivables, advances) negative ones. Every transaction's legs sum to zero per
currency: PostgreSQL checks it once per statement of legs, set-based, and re-checks at
COMMIT any transaction that did not balance yet (``BalanceRecheck``).
"""

import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import Func, Q

from agency.models import Partner
from agency.money import CURRENCY_CHOICES
from billing.models.references import DECLARE, parents_exist_sql
from creators.models import Creator

# An account that has legs is never deleted (the legs' references are checked when they are
# inserted, by ``LEG_CHECK_SQL``, and must stay valid).
ACCOUNT_KEPT_SQL = """
    IF EXISTS (SELECT 1 FROM billing_ledgerleg WHERE account_id = OLD.id) THEN
        RAISE EXCEPTION 'account % has ledger legs and cannot be deleted', OLD.id
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN OLD;
"""


class Account(models.Model):
    """One account per party, kind and currency. ``balance_minor`` = SUM(legs), kept by
    ``billing.ledger`` under a row lock in the posting transaction; ``verify_ledger`` checks it.
    """

    class Kind(models.TextChoices):
        CREATOR_PAYABLE = "creator_payable", "Creator payable"
        AGENCY_REVENUE = "agency_revenue", "Agency revenue"
        MANAGER_PAYABLE = "manager_payable", "Manager payable"
        SUB_AGENCY_PAYABLE = "sub_agency_payable", "Sub-agency payable"
        BRAND_RECEIVABLE = "brand_receivable", "Brand receivable"
        PLATFORM_RECEIVABLE = "platform_receivable", "Platform receivable"
        CASH = "cash", "Cash"
        ADVANCES = "advances", "Advances to creators"
        FX_CLEARING = "fx_clearing", "FX clearing"
        PAYOUTS_IN_TRANSIT = "payouts_in_transit", "Payouts in transit"
        PLATFORM_FEES = "platform_fees", "Fees withheld by payers"
        FX_DIFFERENCE = "fx_difference", "FX differences (gain +, loss -)"
        UNMATCHED_REMITTANCES = "unmatched_remittances", "Remittances not yet matched"

    kind = models.CharField("kind", max_length=30, choices=Kind.choices)
    currency = models.CharField("currency", max_length=3, choices=CURRENCY_CHOICES)
    creator = models.ForeignKey(
        Creator, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    sub_agency = models.ForeignKey(
        Partner, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Sum of this account's legs, in minor units of ``currency`` (credit positive).
    balance_minor = models.BigIntegerField("balance (minor units)", default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "currency", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "currency", "creator", "manager", "sub_agency"],
                nulls_distinct=False,
                name="account_unique_party_kind_currency",
                violation_error_message="This account exists already.",
            ),
            models.CheckConstraint(
                name="account_party_matches_kind",
                condition=(
                    Q(
                        kind__in=["creator_payable", "advances"],
                        creator__isnull=False,
                        manager__isnull=True,
                        sub_agency__isnull=True,
                    )
                    | Q(
                        kind="manager_payable",
                        creator__isnull=True,
                        manager__isnull=False,
                        sub_agency__isnull=True,
                    )
                    | Q(
                        kind="sub_agency_payable",
                        creator__isnull=True,
                        manager__isnull=True,
                        sub_agency__isnull=False,
                    )
                    | Q(
                        kind__in=[
                            "agency_revenue",
                            "brand_receivable",
                            "platform_receivable",
                            "cash",
                            "fx_clearing",
                            "payouts_in_transit",
                            "platform_fees",
                            "fx_difference",
                            "unmatched_remittances",
                        ],
                        creator__isnull=True,
                        manager__isnull=True,
                        sub_agency__isnull=True,
                    )
                ),
                violation_error_message="An account's party must match its kind.",
            ),
        ]
        triggers = [
            pgtrigger.Trigger(
                name="account_with_legs_kept",
                when=pgtrigger.Before,
                operation=pgtrigger.Delete,
                func=ACCOUNT_KEPT_SQL,
            ),
        ]

    def __str__(self) -> str:
        party = self.creator_id or self.manager_id or self.sub_agency_id or "agency"
        return f"{self.get_kind_display()} {self.currency} ({party})"


# Once per INSERT (or COPY) statement of ledger transactions, over the new rows as a set:
# each row names the database transaction inserting it (``posted_xact``, which PostgreSQL
# fills in), so ``LEG_CHECK_SQL`` can tell a transaction still being posted from a committed
# one. Transactions are never updated, so the value stays what was checked here. The
# transaction a reversal names exists (instead of a foreign-key probe per row, mostly on a
# NULL); transactions are never deleted, so it stays.
TRANSACTION_CHECK_SQL = (
    """
    SELECT t.id INTO bad
      FROM new_transactions t
     WHERE t.posted_xact IS DISTINCT FROM txid_current()
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'ledger transaction % names another database transaction', bad.id
            USING ERRCODE = 'check_violation';
    END IF;"""
    + parents_exist_sql(
        rows="new_transactions",
        column="reverses_id",
        parent="billing_ledgertransaction",
        what="ledger transaction reverses transaction",
    )
    + """
    RETURN NULL;
"""
)

# Once per INSERT (or COPY) statement of legs, over the new rows as a set (two joins, not a
# foreign-key probe per leg): every leg names an existing account of its currency and a
# transaction opened by this database transaction. Accounts with legs and transactions are
# never deleted (``ACCOUNT_KEPT_SQL``, ``ledger_transaction_immutable``), so the reference
# stays valid: this is what the legs' foreign keys checked, once per row, at COMMIT. Then
# the balance of the transactions named, set-based (a third query), instead of a deferred
# trigger call per transaction at COMMIT: only those that do not balance yet wait for COMMIT.
LEG_CHECK_SQL = """
    -- The accounts named are locked as a foreign key would lock them (FOR KEY SHARE), so an
    -- account cannot be deleted while a transaction adding legs to it is still open.
    PERFORM 1 FROM billing_account
      WHERE id IN (SELECT DISTINCT account_id FROM new_legs) ORDER BY id FOR KEY SHARE;
    SELECT l.id, l.currency, l.account_id, a.id AS found INTO bad
      FROM new_legs l LEFT JOIN billing_account a ON a.id = l.account_id
     WHERE a.id IS NULL OR a.currency <> l.currency
     LIMIT 1;
    IF FOUND AND bad.found IS NULL THEN
        RAISE EXCEPTION 'ledger leg names account %, which does not exist', bad.account_id
            USING ERRCODE = 'foreign_key_violation';
    ELSIF FOUND THEN
        RAISE EXCEPTION 'ledger leg % currency % does not match its account', bad.id, bad.currency
            USING ERRCODE = 'check_violation';
    END IF;
    SELECT l.transaction_id, t.id AS found INTO bad
      FROM new_legs l LEFT JOIN billing_ledgertransaction t ON t.id = l.transaction_id
     WHERE t.id IS NULL OR t.posted_xact <> txid_current()
     LIMIT 1;
    IF FOUND AND bad.found IS NULL THEN
        RAISE EXCEPTION 'ledger leg names transaction %, which does not exist',
            bad.transaction_id
            USING ERRCODE = 'foreign_key_violation';
    ELSIF FOUND THEN
        RAISE EXCEPTION 'ledger transaction % is committed: legs cannot be added to it',
            bad.transaction_id
            USING ERRCODE = 'check_violation';
    END IF;
    -- The balance, set-based: every transaction these legs belong to, summed over all its
    -- legs so far (earlier statements included) per currency, in one grouped query. One
    -- that does not balance yet (legs inserted one statement at a time) is queued for the
    -- re-check at COMMIT (``BALANCE_RECHECK_SQL``); one queued already stays queued. The
    -- ids as an array: an index scan per batch of legs, never a join with the whole table.
    INSERT INTO billing_balancerecheck (transaction_id)
    SELECT DISTINCT l.transaction_id
      FROM billing_ledgerleg l
     WHERE l.transaction_id = ANY(ARRAY(SELECT DISTINCT n.transaction_id FROM new_legs n))
     GROUP BY l.transaction_id, l.currency
    HAVING SUM(l.amount_minor) <> 0
        ON CONFLICT (transaction_id) DO NOTHING;
    RETURN NULL;
"""

# Once per queued transaction, at COMMIT (or at ``SET CONSTRAINTS ... IMMEDIATE``): a
# deferred constraint trigger on the queue row. The transaction's legs must sum to zero per
# currency by then; the row is then removed, so the queue is empty between transactions.
# The trigger fires on the row as inserted even if it was deleted or updated meanwhile, so
# tampering with the queue cannot skip the check.
BALANCE_RECHECK_SQL = """
    SELECT currency, SUM(amount_minor) AS total INTO bad
      FROM billing_ledgerleg
     WHERE transaction_id = NEW.transaction_id
     GROUP BY currency
    HAVING SUM(amount_minor) <> 0
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'ledger transaction % does not balance in %: sum %',
            NEW.transaction_id, bad.currency, bad.total
            USING ERRCODE = 'check_violation';
    END IF;
    DELETE FROM billing_balancerecheck WHERE transaction_id = NEW.transaction_id;
    RETURN NULL;
"""


class LedgerTransaction(models.Model):
    """A posting. Exactly one per source reference; reversed at most once."""

    source_type = models.CharField("source type", max_length=40)
    source_id = models.CharField("source id", max_length=100)
    memo = models.CharField("memo", max_length=255, blank=True)
    effective_on = models.DateField("effective on")
    # Checked once per statement by ``ledger_transaction_checked``, not by a foreign key.
    reverses = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversed_by",
        verbose_name="reverses",
        db_constraint=False,
    )
    posted_at = models.DateTimeField("posted at", auto_now_add=True)
    # The database transaction that inserted the row (set by PostgreSQL, checked on insert):
    # legs can be added to a transaction only in the database transaction that opened it.
    posted_xact = models.BigIntegerField(
        "database transaction", editable=False, db_default=Func(function="txid_current")
    )

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["source_type", "source_id"],
                name="ledger_transaction_one_posting_per_source",
                violation_error_message="This source has been posted already.",
            ),
        ]
        triggers = [
            pgtrigger.Protect(
                name="ledger_transaction_immutable",
                operation=pgtrigger.Update | pgtrigger.Delete,
            ),
            pgtrigger.Trigger(
                name="ledger_transaction_checked",
                level=pgtrigger.Statement,
                when=pgtrigger.After,
                operation=pgtrigger.Insert,
                referencing=pgtrigger.Referencing(new="new_transactions"),
                declare=[("bad", "record"), *DECLARE],
                func=TRANSACTION_CHECK_SQL,
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.source_type}:{self.source_id}"


class LedgerLeg(models.Model):
    """One side of a posting. Never zero, never edited, never deleted."""

    # References checked once per INSERT statement by ``ledger_leg_checked`` (not by a
    # foreign-key probe per row) and kept valid by the triggers that refuse deleting a
    # transaction or an account with legs: billing/README.md, "Posting engine".
    transaction = models.ForeignKey(
        LedgerTransaction, on_delete=models.PROTECT, related_name="legs", db_constraint=False
    )
    account = models.ForeignKey(
        Account,
        on_delete=models.PROTECT,
        related_name="legs",
        db_constraint=False,
        db_index=False,  # leg_by_account starts with it
    )
    # Minor units of ``currency``; positive = credit, negative = debit.
    amount_minor = models.BigIntegerField("amount (minor units)")
    currency = models.CharField("currency", max_length=3, choices=CURRENCY_CHOICES)

    class Meta:
        ordering = ["transaction", "pk"]
        constraints = [
            models.CheckConstraint(
                name="ledger_leg_not_zero",
                condition=~Q(amount_minor=0),
                violation_error_message="A ledger leg must not be zero.",
            ),
        ]
        indexes = [models.Index(fields=["account", "transaction"], name="leg_by_account")]
        triggers = [
            pgtrigger.Protect(
                name="ledger_leg_immutable", operation=pgtrigger.Update | pgtrigger.Delete
            ),
            pgtrigger.Trigger(
                name="ledger_leg_checked",
                level=pgtrigger.Statement,
                when=pgtrigger.After,
                operation=pgtrigger.Insert,
                referencing=pgtrigger.Referencing(new="new_legs"),
                declare=[("bad", "record")],
                func=LEG_CHECK_SQL,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount_minor} {self.currency} on {self.account_id}"


class BalanceRecheck(models.Model):
    """A ledger transaction whose legs did not sum to zero per currency after a statement
    that added legs to it (``ledger_leg_checked``), waiting for its re-check at COMMIT.

    Empty outside a database transaction: the deferred trigger removes each row once its
    transaction balances, and refuses the COMMIT otherwise. A posting that inserts all its
    legs in one statement, as ``billing.ledger`` does, never queues a row."""

    # A ledger transaction's id (checked by ``ledger_leg_checked`` before it is queued).
    transaction_id = models.BigIntegerField("ledger transaction", primary_key=True)

    class Meta:
        triggers = [
            pgtrigger.Trigger(
                name="balance_rechecked_at_commit",
                when=pgtrigger.After,
                operation=pgtrigger.Insert,
                timing=pgtrigger.Deferred,
                declare=[("bad", "record")],
                func=BALANCE_RECHECK_SQL,
            ),
        ]

    def __str__(self) -> str:
        return f"Balance re-check of ledger transaction {self.transaction_id}"
