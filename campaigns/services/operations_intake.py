"""Operations data in bulk: live sessions, affiliate orders and their refunds, live-commerce
refunds and ad spend, from the partner API (``partner`` = the data partner) and operators'
CSV files (``partner`` None, the staff namespace). One service for both.

All or nothing, like metrics ingestion: every row is validated first (types, money as
decimal strings in the row's currency, dates, references to what exists, duplicates in the
batch, the reporter's own orders and sessions); if any row is bad nothing is written and each
bad row is reported by its 0-based index with field and reason, as
``ValidationError({"rows": {"<index>": {field: [reason]}}})``. Otherwise each row goes
through its record service (``live_session_record``, ``affiliate_order_record``,
``affiliate_refund_record``, ``live_commerce_refund_record``, ``ad_spend_record``), so a row
sent twice changes nothing and every clawback is booked exactly once.
"""

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from agency.models import Partner
from agency.money import CURRENCY_CHOICES, to_minor
from agency.rows import note
from agency.validation import validate_date_in_range
from billing.api.serializers import DecimalStringField
from campaigns.models import (
    AdAccount,
    AdSpend,
    AffiliateLink,
    AffiliateOrder,
    AffiliateRefund,
    Brand,
    LiveCommerceRefund,
    LiveSession,
)
from campaigns.services import affiliate as affiliate_services
from campaigns.services import live as live_services
from campaigns.services.live_sessions import (
    CREATED,
    UNCHANGED,
    UPDATED,
    SessionValues,
    invoiced_session_ids,
    live_operation_prices,
    live_session_problems,
    live_session_record,
    session_changes,
)
from campaigns.services.operations import ad_spend_record
from creators.models import Platform, PlatformAccount
from creators.services.ingestion import IngestionResult

MAX_BATCH_ROWS = 1000
KINDS = ("live_sessions", "affiliate_orders", "affiliate_refunds", "live_commerce_refunds",
         "ad_spend")  # fmt: skip


def _count(help_text: str = "") -> serializers.IntegerField:
    return serializers.IntegerField(
        min_value=0, max_value=10**15, required=False, default=0, help_text=help_text
    )


def _rate(help_text: str, **kwargs) -> DecimalStringField:
    return DecimalStringField(max_digits=9, decimal_places=6, max_value=1, help_text=help_text,
                              **kwargs)  # fmt: skip


def _external_id(help_text: str) -> serializers.CharField:
    return serializers.CharField(max_length=100, help_text=help_text)


# --- rows (the API documents these as its request components) --------------------------------


class LiveSessionRow(serializers.Serializer):
    external_id = _external_id("Your session id; sending it again updates the session.")
    platform = serializers.ChoiceField(choices=Platform.choices)
    platform_account_id = serializers.CharField(max_length=100, help_text="The host's account.")
    started_at = serializers.DateTimeField()
    ended_at = serializers.DateTimeField()
    viewers = _count("Unique viewers.")
    peak_viewers = _count("Peak concurrent viewers.")
    product_clicks = _count()
    orders = _count()
    diamonds = _count("Gift diamonds received.")
    currency = serializers.ChoiceField(choices=CURRENCY_CHOICES)
    gifts_value = DecimalStringField(required=False, default=Decimal(0))
    gmv = DecimalStringField(required=False, default=Decimal(0), help_text="Commerce GMV.")
    commerce_commission_rate = _rate(
        "The agency's commission on the GMV, a fraction of one.", required=False, default="0"
    )
    operated_by_agency = serializers.BooleanField(required=False, default=False)
    client_id = serializers.IntegerField(
        min_value=1, max_value=2**63 - 1, required=False, allow_null=True, default=None,
        help_text="The brand that pays the operation fee.",
    )  # fmt: skip
    operation_fee = DecimalStringField(
        required=False, allow_null=True, default=None,
        help_text="Omit it to charge the standard fee of the price list.",
    )  # fmt: skip


class AffiliateOrderRow(serializers.Serializer):
    external_id = _external_id("The shop's order id.")
    link = serializers.CharField(max_length=200, help_text="The affiliate link or code.")
    product = serializers.CharField(max_length=200)
    gmv = DecimalStringField()
    currency = serializers.ChoiceField(choices=CURRENCY_CHOICES)
    commission_rate = _rate("A fraction of one, 0.01-0.80.")
    ordered_on = serializers.DateField(validators=[validate_date_in_range])
    settlement_days = serializers.IntegerField(
        min_value=0, max_value=affiliate_services.MAX_SETTLEMENT_DAYS, required=False,
        default=affiliate_services.DEFAULT_SETTLEMENT_DAYS,
        help_text="The shop's hold period; the order settles this many days after its date.",
    )  # fmt: skip


class AffiliateRefundRow(serializers.Serializer):
    order_external_id = _external_id("The shop order id you reported the order with.")
    external_id = _external_id("The shop's refund id.")
    amount = DecimalStringField(help_text="Refunded GMV, in the order's currency.")
    refunded_on = serializers.DateField(validators=[validate_date_in_range])


class LiveCommerceRefundRow(serializers.Serializer):
    session_external_id = _external_id("The session id you reported the session with.")
    external_id = _external_id("The platform's refund id.")
    amount = DecimalStringField(help_text="Refunded GMV, in the session's currency.")
    refunded_on = serializers.DateField(validators=[validate_date_in_range])


class AdSpendRow(serializers.Serializer):
    platform = serializers.ChoiceField(choices=Platform.choices)
    ad_account_id = serializers.CharField(max_length=100, help_text="The platform's account id.")
    spent_on = serializers.DateField(validators=[validate_date_in_range])
    currency = serializers.ChoiceField(choices=CURRENCY_CHOICES)
    amount = DecimalStringField(help_text="The day's spend; sending a day again corrects it.")


ROW_SERIALIZERS: dict[str, type[serializers.Serializer]] = {
    "live_sessions": LiveSessionRow,
    "affiliate_orders": AffiliateOrderRow,
    "affiliate_refunds": AffiliateRefundRow,
    "live_commerce_refunds": LiveCommerceRefundRow,
    "ad_spend": AdSpendRow,
}


@dataclass
class _Plan:
    outcome: str
    write: Callable[[], Any] = lambda: None


@dataclass
class _Batch:
    rows: dict[int, dict]
    partner: Partner | None
    today: dt.date
    errors: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    plans: list[_Plan] = field(default_factory=list)

    def bad(self, index: int, name: str, reason: str) -> None:
        note(self.errors.setdefault(str(index), {}), name, reason)

    def minor(self, index: int, name: str, amount: Decimal | None, currency: str) -> int | None:
        if amount is None:
            return None
        try:
            return to_minor(amount, currency)
        except ValueError as exc:
            self.bad(index, name, str(exc))
            return None

    def not_future(self, index: int, name: str, day: dt.date) -> None:
        if day > self.today:
            self.bad(index, name, "Must not be in the future.")

    def duplicate(self, seen: dict, key: tuple, index: int, name: str) -> None:
        if key in seen:
            self.bad(index, name, f"Duplicate of row {seen[key]}.")
        seen.setdefault(key, index)


# --- planners: validate against the database, then say what each row would do ----------------


def _plan_live_sessions(batch: _Batch) -> None:
    # Long on purpose: every lookup of the batch is one query up front (accounts, clients,
    # known sessions, invoiced ones, prices), then one pass checks and plans each row.
    rows = batch.rows
    accounts = {
        (a.platform, a.platform_account_id): a
        for a in PlatformAccount.objects.filter(
            platform_account_id__in={r["platform_account_id"] for r in rows.values()}
        )
    }
    clients = Brand.objects.in_bulk({r["client_id"] for r in rows.values() if r["client_id"]})
    existing = {
        s.external_id: s
        for s in LiveSession.objects.filter(
            partner=batch.partner, external_id__in={r["external_id"] for r in rows.values()}
        )
    }
    billed = invoiced_session_ids(s.pk for s in existing.values())
    prices = live_operation_prices(currencies={r["currency"] for r in rows.values()})
    seen: dict = {}
    for index, row in rows.items():
        batch.duplicate(seen, (row["external_id"],), index, "external_id")
        account = accounts.get((row["platform"], row["platform_account_id"]))
        if account is None:
            batch.bad(index, "platform_account_id", "No account on the roster has this id.")
        client = clients.get(row["client_id"]) if row["client_id"] else None
        if row["client_id"] and client is None:
            batch.bad(index, "client_id", "Unknown client.")
        currency = row["currency"]
        amounts = {
            name: batch.minor(index, name, row[name], currency)
            for name in ("gifts_value", "gmv", "operation_fee")
        }
        if account is None or str(index) in batch.errors:
            continue
        values = SessionValues(
            account=account,
            started_at=row["started_at"],
            ended_at=row["ended_at"],
            currency=currency,
            viewers=row["viewers"],
            peak_viewers=row["peak_viewers"],
            product_clicks=row["product_clicks"],
            orders=row["orders"],
            diamonds=row["diamonds"],
            gifts_value_minor=amounts["gifts_value"],
            gmv_minor=amounts["gmv"],
            commerce_commission_rate=row["commerce_commission_rate"],
            operated_by_agency=row["operated_by_agency"],
            client=client,
            operation_fee_minor=amounts["operation_fee"],
        )
        before = existing.get(row["external_id"])
        problems = live_session_problems(
            values=values,
            existing=before,
            prices=prices,
            billed=before is not None and before.pk in billed,
        )
        for name, reasons in problems.items():
            for reason in reasons:
                batch.bad(index, name, reason)
        if problems:
            continue
        batch.plans.append(
            _Plan(
                session_changes(values=values, existing=before),
                lambda v=values, e=row["external_id"]: live_session_record(
                    values=v, partner=batch.partner, external_id=e
                ),
            )
        )


def _plan_affiliate_orders(batch: _Batch) -> None:
    rows = batch.rows
    links = AffiliateLink.objects.in_bulk({r["link"] for r in rows.values()}, field_name="code")
    existing = {
        o.external_id: o
        for o in AffiliateOrder.objects.filter(
            partner=batch.partner, external_id__in={r["external_id"] for r in rows.values()}
        )
    }
    seen: dict = {}
    for index, row in rows.items():
        batch.duplicate(seen, (row["external_id"],), index, "external_id")
        link = links.get(row["link"])
        if link is None:
            batch.bad(index, "link", "No affiliate link has this code.")
        batch.not_future(index, "ordered_on", row["ordered_on"])
        rate = row["commission_rate"]
        if not affiliate_services.MIN_RATE <= rate <= affiliate_services.MAX_RATE:
            batch.bad(index, "commission_rate", "Must be between 0.01 and 0.80 (1-80 %).")
        gmv = batch.minor(index, "gmv", row["gmv"], row["currency"])
        if gmv == 0:
            batch.bad(index, "gmv", "Must be positive.")
        if str(index) in batch.errors:
            continue
        before = existing.get(row["external_id"])
        if before is not None:
            stored = (before.link_id, before.gmv_minor, before.currency, before.commission_rate)
            same = stored == (link.pk, gmv, row["currency"], rate)
            same = same and before.ordered_on == row["ordered_on"]
            if not same:
                batch.bad(index, "external_id", "Recorded already with other values.")
            else:
                batch.plans.append(_Plan(UNCHANGED))
            continue
        batch.plans.append(
            _Plan(
                CREATED,
                lambda r=row, link=link, gmv=gmv: affiliate_services.affiliate_order_record(
                    link=link,
                    external_id=r["external_id"],
                    product=r["product"],
                    gmv_minor=gmv,
                    currency=r["currency"],
                    commission_rate=r["commission_rate"],
                    ordered_on=r["ordered_on"],
                    settlement_days=r["settlement_days"],
                    partner=batch.partner,
                ),
            )
        )


def _plan_refunds(
    batch: _Batch,
    *,
    parents: Mapping[str, Any],
    parent_field: str,
    refunded_attr: str,
    known: Mapping[tuple[int, str], Any],
    record: Callable[..., Any],
    parent_kwarg: str,
) -> None:
    """Refund rows of orders or sessions this reporter sent: at most the refundable GMV,
    counting the batch's earlier rows; a known refund id with the same amount is unchanged."""
    refunded: dict[int, int] = {}
    seen: dict = {}
    for index, row in batch.rows.items():
        parent = parents.get(row[parent_field])
        if parent is None:
            batch.bad(index, parent_field, "You reported no such id.")
            continue
        batch.duplicate(seen, (parent.pk, row["external_id"]), index, "external_id")
        batch.not_future(index, "refunded_on", row["refunded_on"])
        amount = batch.minor(index, "amount", row["amount"], parent.currency)
        if amount == 0:
            batch.bad(index, "amount", "Must be positive.")
        if str(index) in batch.errors:
            continue
        before = known.get((parent.pk, row["external_id"]))
        if before is not None:
            if before.amount_minor != amount:
                batch.bad(index, "external_id", "Recorded already with another amount.")
            else:
                batch.plans.append(_Plan(UNCHANGED))
            continue
        so_far = refunded.get(parent.pk, getattr(parent, refunded_attr)) + amount
        if so_far > parent.gmv_minor:
            batch.bad(index, "amount", "Refunds would exceed the GMV.")
            continue
        refunded[parent.pk] = so_far
        batch.plans.append(
            _Plan(
                CREATED,
                lambda r=row, p=parent, a=amount: record(
                    **{parent_kwarg: p},
                    external_id=r["external_id"],
                    amount_minor=a,
                    refunded_on=r["refunded_on"],
                    today=batch.today,
                ),
            )
        )


def _refund_planner(parent_model, refund_model, *, parent_field: str, refunded_attr: str,
                    parent_kwarg: str, record: Callable[..., Any]):  # fmt: skip
    def plan(batch: _Batch) -> None:
        ids = {r[parent_field] for r in batch.rows.values()}
        parents = {
            p.external_id: p
            for p in parent_model.objects.filter(partner=batch.partner, external_id__in=ids)
        }
        known = {
            (getattr(r, f"{parent_kwarg}_id"), r.external_id): r
            for r in refund_model.objects.filter(**{f"{parent_kwarg}__in": parents.values()})
        }
        _plan_refunds(batch, parents=parents, parent_field=parent_field,
                      refunded_attr=refunded_attr, known=known, parent_kwarg=parent_kwarg,
                      record=record)  # fmt: skip

    return plan


_plan_affiliate_refunds = _refund_planner(
    AffiliateOrder, AffiliateRefund, parent_field="order_external_id",
    refunded_attr="refunded_minor", parent_kwarg="order",
    record=affiliate_services.affiliate_refund_record,
)  # fmt: skip
_plan_live_commerce_refunds = _refund_planner(
    LiveSession, LiveCommerceRefund, parent_field="session_external_id",
    refunded_attr="refunds_minor", parent_kwarg="session",
    record=live_services.live_commerce_refund_record,
)  # fmt: skip


def _plan_ad_spend(batch: _Batch) -> None:
    rows = batch.rows
    accounts = {
        (a.platform, a.external_id): a
        for a in AdAccount.objects.filter(
            external_id__in={r["ad_account_id"] for r in rows.values()}
        )
    }
    days = {
        (s.ad_account_id, s.spent_on): s
        for s in AdSpend.objects.filter(
            ad_account__in=accounts.values(), spent_on__in={r["spent_on"] for r in rows.values()}
        )
    }
    partner_id = batch.partner.pk if batch.partner else None
    seen: dict = {}
    for index, row in rows.items():
        account = accounts.get((row["platform"], row["ad_account_id"]))
        if account is None:
            batch.bad(index, "ad_account_id", "No ad account has this id.")
            continue
        batch.duplicate(seen, (account.pk, row["spent_on"]), index, "spent_on")
        batch.not_future(index, "spent_on", row["spent_on"])
        if row["currency"] != account.currency:
            batch.bad(index, "currency", f"The ad account is in {account.currency}.")
            continue
        amount = batch.minor(index, "amount", row["amount"], account.currency)
        if str(index) in batch.errors:
            continue
        before = days.get((account.pk, row["spent_on"]))
        if before is not None and before.partner_id != partner_id:
            batch.bad(index, "spent_on", "This day's spend was reported by another source.")
            continue
        outcome = CREATED if before is None else UPDATED
        if before is not None and before.amount_minor == amount:
            outcome = UNCHANGED
        batch.plans.append(
            _Plan(
                outcome,
                lambda acc=account, r=row, a=amount: ad_spend_record(
                    ad_account=acc, spent_on=r["spent_on"], amount_minor=a, partner=batch.partner
                ),
            )
        )


PLANNERS: dict[str, Callable[[_Batch], None]] = {
    "live_sessions": _plan_live_sessions,
    "affiliate_orders": _plan_affiliate_orders,
    "affiliate_refunds": _plan_affiliate_refunds,
    "live_commerce_refunds": _plan_live_commerce_refunds,
    "ad_spend": _plan_ad_spend,
}


@transaction.atomic
def operations_ingest(
    *,
    kind: str,
    rows: Sequence[Mapping[str, Any]],
    partner: Partner | None = None,
    dry_run: bool = False,
    max_rows: int | None = MAX_BATCH_ROWS,
    today: dt.date | None = None,
) -> IngestionResult:
    """Validate every row of ``kind``, then record them all (with ``dry_run``: only count
    what would change). ``max_rows`` caps a batch (the API's limit; operators' files pass
    None). Raises ``ValidationError`` with every bad row; nothing is written then."""
    if kind not in ROW_SERIALIZERS:
        raise ValidationError({"kind": [f"Unknown kind {kind!r}; use {', '.join(KINDS)}."]})
    if not rows:
        raise ValidationError({"rows": ["No rows."]})
    if max_rows is not None and len(rows) > max_rows:
        raise ValidationError({"rows": [f"At most {max_rows} rows per batch; got {len(rows)}."]})
    batch = _Batch(rows={}, partner=partner, today=today or timezone.localdate())
    for index, raw in enumerate(rows):
        row = ROW_SERIALIZERS[kind](data=raw)
        if row.is_valid():
            batch.rows[index] = dict(row.validated_data)
        else:
            batch.errors[str(index)] = {k: [str(m) for m in v] for k, v in row.errors.items()}
    if batch.rows:
        PLANNERS[kind](batch)
    if batch.errors:
        raise ValidationError(
            {"rows": dict(sorted(batch.errors.items(), key=lambda kv: int(kv[0])))}
        )
    result = IngestionResult(kind=kind, dry_run=dry_run, rows=len(rows))
    for plan in batch.plans:
        setattr(result, plan.outcome, getattr(result, plan.outcome) + 1)
        if not dry_run and plan.outcome != UNCHANGED:
            plan.write()
    return result


def operations_ingest_csv(
    *, kind: str, file: io.TextIOBase | Iterable[str], dry_run: bool = False
) -> IngestionResult:
    """The same from an operator's CSV (header row; empty cells count as absent), in the
    staff namespace. Errors name 0-based data rows: data row 0 is line 2 of the file."""
    try:
        reader = csv.DictReader(file)
        rows = [{k: v for k, v in row.items() if k and v not in ("", None)} for row in reader]
    except (csv.Error, UnicodeDecodeError) as exc:
        raise ValidationError({"file": [f"Not a readable CSV file: {exc}"]}) from exc
    if reader.fieldnames is None:
        raise ValidationError({"file": ["The file is empty; a header row is needed."]})
    return operations_ingest(kind=kind, rows=rows, dry_run=dry_run, max_rows=None)
