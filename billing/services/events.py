"""Revenue events: validation, ingestion (API and CSV batches), approval, holds, cash.

Posting itself (split, ledger, statement line) is in ``billing.services.posting``.
"""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from agency.db import retry_on_contention
from agency.errors import ApplicationError, Conflict
from agency.models import Partner
from agency.money import CURRENCY_EXPONENTS, UnknownCurrency, to_minor
from agency.rows import Reasons, note, rows_validate
from agency.rows import RowErrors as RowErrors  # importers and tests catch it from here
from agency.states import lock, needs_move, transition
from agency.validation import date_range_error
from billing import fx, ledger
from billing.models import (
    Account,
    HoldPolicy,
    ImportBatch,
    RevenueEvent,
    Stream,
)
from billing.scoping import creators_in_scope
from billing.selectors import commission_plan_in_force
from billing.services.posting import RECEIVABLE_BY_STREAM, revenue_events_post
from creators.models import Creator, PlatformAccount


@dataclass
class EventInput:
    """One incoming row, as parsed from JSON or CSV (amounts as decimal strings)."""

    stream: str
    creator_id: int
    occurred_on: dt.date
    gross: str
    currency: str
    source_type: str
    source_id: str
    platform_fee: str = "0"
    kind: str = RevenueEvent.Kind.SALE
    account_id: int | None = None
    refund_of_source_id: str | None = None
    description: str = ""  # what the statement line says; empty: the stream and date
    errors: dict[str, list[str]] = field(default_factory=dict)


def _amount(row: EventInput, name: str, value: str) -> int | None:
    """Minor units of a decimal string in the row's currency, or None with the reason noted."""
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite():
        note(row.errors, name, "Not a decimal amount.")
        return None
    try:
        minor = to_minor(amount, row.currency)
    except (ValueError, UnknownCurrency) as exc:
        note(row.errors, name, str(exc))
        return None
    if minor < 0:
        note(row.errors, name, "Must not be negative.")
        return None
    if abs(minor) >= 10**15:
        note(row.errors, name, "Too large.")
        return None
    return minor


@dataclass
class _Context:
    """What validating one batch reads once (creators, accounts, known and original events)
    and what it remembers from row to row (sources seen, refunds so far per original)."""

    today: dt.date
    creators: dict[int, Creator]
    accounts: dict[int, PlatformAccount]
    existing: set[tuple[str, str]]
    originals: dict[tuple[str, str], RevenueEvent]
    seen: set[tuple[str, str]] = field(default_factory=set)
    refund_totals: dict[int, int] = field(default_factory=dict)


def _context(rows: Sequence[EventInput], today: dt.date, partner: Partner | None) -> _Context:
    own = RevenueEvent.objects.filter(partner=partner)
    return _Context(
        today=today,
        # a creator outside the partner's scope is unknown to it
        creators=creators_in_scope(
            partner=partner, creators=Creator.objects.in_bulk({r.creator_id for r in rows})
        ),
        accounts=PlatformAccount.objects.in_bulk({r.account_id for r in rows if r.account_id}),
        existing=set(
            own.filter(source_id__in=[r.source_id for r in rows]).values_list(
                "source_type", "source_id"
            )
        ),
        originals={
            (e.source_type, e.source_id): e
            for e in own.filter(
                source_id__in=[r.refund_of_source_id for r in rows if r.refund_of_source_id],
                kind=RevenueEvent.Kind.SALE,
            )
        },
    )


# --- the rules, each on one row; reasons go to ``row.errors`` ------------------------------


def _rule_source_once(row: EventInput, ctx: _Context) -> bool:
    """A source id once per batch. False: the source is known already (a re-import is a
    no-op, not an error), so the row is skipped."""
    key = (row.source_type, row.source_id)
    if key in ctx.seen:
        note(row.errors, "source_id", "Duplicate source id in this batch.")
    ctx.seen.add(key)
    return key not in ctx.existing


def _rule_known_codes(row: EventInput) -> bool:
    """A known stream and currency. False: the currency is unknown, so amounts cannot be read."""
    if row.stream not in Stream.values:
        note(row.errors, "stream", f"Unknown stream {row.stream!r}.")
    if row.currency not in CURRENCY_EXPONENTS:
        note(row.errors, "currency", f"Unknown currency {row.currency!r}.")
        return False
    return True


def _rule_creator_and_account(row: EventInput, ctx: _Context) -> Creator | None:
    creator = ctx.creators.get(row.creator_id)
    if creator is None:
        note(row.errors, "creator_id", "Unknown creator.")
    account = ctx.accounts.get(row.account_id) if row.account_id else None
    if row.account_id and (account is None or account.creator_id != row.creator_id):
        note(row.errors, "account_id", "Not an account of this creator.")
    return creator


def _rule_date(row: EventInput, ctx: _Context) -> None:
    if row.occurred_on > ctx.today:
        note(row.errors, "occurred_on", "Must not be in the future.")
    elif reason := date_range_error(row.occurred_on):
        note(row.errors, "occurred_on", reason)


def _rule_sale(row: EventInput, gross: int | None, fee: int | None) -> None:
    if gross is not None and fee is not None and fee > gross:
        note(row.errors, "platform_fee", "Exceeds the gross.")


_NO_ORIGINAL = "Names no known original event of this source type."


def _rule_refund(row: EventInput, gross: int | None, ctx: _Context) -> RevenueEvent | None:
    """A refund or chargeback names a posted original of the same source type, creator and
    currency, and refunds no more than what is left of it (this batch included)."""
    original = ctx.originals.get((row.source_type, row.refund_of_source_id or ""))
    if original is None:
        note(
            row.errors, "refund_of_source_id", "Names no known original event of this source type."
        )
    elif original.posted_at is None:
        note(row.errors, "refund_of_source_id", "The original event is not posted yet.")
    elif gross is not None:
        done = ctx.refund_totals.get(original.pk, _refunded(original))
        if done + gross > original.gross_minor:
            note(row.errors, "gross", "Refunds would exceed the original event.")
        ctx.refund_totals[original.pk] = done + gross
        if original.creator_id != row.creator_id or original.currency != row.currency:
            note(row.errors, "refund_of_source_id", "The original has another creator or currency.")
    return original


def _rule_plan_and_rates(row: EventInput, creator: Creator) -> None:
    """A sale has a commission plan in force (and, for tiers, a rate to the plan's
    currency); every event has a rate to the creator's payout currency."""
    if row.kind == RevenueEvent.Kind.SALE:
        try:
            plan = commission_plan_in_force(creator=creator, stream=row.stream, on=row.occurred_on)
            if plan.tiers:  # tiers measure the event in the plan's currency
                fx.rate_for(base=row.currency, quote=plan.currency, on=row.occurred_on)
        except fx.MissingExchangeRate as exc:
            note(row.errors, "currency", exc.message)
            return
        except ApplicationError as exc:
            note(row.errors, "creator_id", exc.message)
            return
    try:
        fx.rate_for(base=row.currency, quote=creator.payout_currency, on=row.occurred_on)
    except fx.MissingExchangeRate as exc:
        note(row.errors, "currency", exc.message)


DESCRIPTION_MAX = RevenueEvent._meta.get_field("description").max_length


def _check_row(row: EventInput, ctx: _Context) -> dict | None:
    """Every rule on one row: its clean field dict, or None (reasons in ``row.errors``, or
    a known source skipped)."""
    if row.errors:  # could not even be parsed
        return None
    if not _rule_source_once(row, ctx) or not _rule_known_codes(row):
        return None
    creator = _rule_creator_and_account(row, ctx)
    _rule_date(row, ctx)
    if len(row.description) > DESCRIPTION_MAX:
        note(row.errors, "description", f"At most {DESCRIPTION_MAX} characters.")
    gross = _amount(row, "gross", row.gross)
    fee = _amount(row, "platform_fee", row.platform_fee)
    if gross is not None and gross == 0:
        note(row.errors, "gross", "Must be positive.")
    original = None
    if row.kind == RevenueEvent.Kind.SALE:
        _rule_sale(row, gross, fee)
    elif row.kind in (RevenueEvent.Kind.REFUND, RevenueEvent.Kind.CHARGEBACK):
        original = _rule_refund(row, gross, ctx)
    else:
        note(row.errors, "kind", f"Unknown kind {row.kind!r}.")
    if creator is not None and not row.errors:
        _rule_plan_and_rates(row, creator)
    if row.errors:
        return None
    return {
        "stream": row.stream,
        "kind": row.kind,
        "creator": creator,
        "account_id": row.account_id,
        "occurred_on": row.occurred_on,
        "gross_minor": gross if original is None else -gross,
        "fee_minor": fee,
        "currency": row.currency,
        "source_type": row.source_type,
        "source_id": row.source_id,
        "refund_of": original,
        "description": row.description.strip(),
    }


def revenue_events_validate(
    *, rows: Sequence[EventInput], today: dt.date, partner: Partner | None = None
) -> list[dict]:
    """Validate every row against the database; return clean field dicts or raise RowErrors
    listing every bad row (index, field, reason).

    Sources are namespaced per partner (staff CSV imports have none): a partner's re-post is
    a no-op, another partner's ids neither collide nor can be refunded."""
    ctx = _context(rows, today, partner)
    return rows_validate(rows, lambda _i, row, _e: _check_row(row, ctx), errors_of=_errors)


def _errors(row: EventInput) -> Reasons:
    return row.errors


def _refunded(original: RevenueEvent) -> int:
    """Minor units refunded so far (positive)."""
    total = original.refunds.aggregate(s=Sum("gross_minor"))["s"] or 0
    return -total


# Defaults, also seeded by migration 0002; the table is the source of truth once it exists.
DEFAULT_HOLD_DAYS = {
    Stream.BRAND_DEAL: 45,
    Stream.LIVE_GIFTS: 15,
    Stream.LIVE_COMMERCE: 15,
    Stream.AFFILIATE: 45,
    Stream.CREATOR_FUND: 30,
    Stream.AGENCY_SERVICE: 30,
}


def _hold_days() -> dict[str, HoldPolicy]:
    """Every stream's hold policy; a stream missing from the table gets its default row."""
    policies = {p.stream: p for p in HoldPolicy.objects.all()}
    for stream, days in DEFAULT_HOLD_DAYS.items():
        if stream not in policies:
            policies[stream], _ = HoldPolicy.objects.get_or_create(
                stream=stream, defaults={"hold_days": days}
            )
    return policies


@retry_on_contention
@transaction.atomic
def revenue_events_ingest(
    *,
    rows: Sequence[EventInput],
    partner: Partner | None = None,
    import_batch: ImportBatch | None = None,
    post: bool = True,
    today: dt.date | None = None,
) -> tuple[list[RevenueEvent], int]:
    """Create (and post, unless ``post`` is false) the events of a batch, all or nothing.

    Rows whose source is known already are skipped (a re-import is a no-op). Returns the
    new events and the number of skipped rows.
    """
    today = today or timezone.localdate()
    clean = revenue_events_validate(rows=rows, today=today, partner=partner)
    policies = _hold_days()
    created: list[RevenueEvent] = []
    for data in clean:
        original: RevenueEvent | None = data["refund_of"]
        gross = data["gross_minor"]
        if original is None:
            fee = data["fee_minor"]
            hold = dt.timedelta(days=policies[data["stream"]].hold_days)
            locks_on = data["occurred_on"] + hold
            status = RevenueEvent.Status.PENDING
        else:  # the fee share of a refund follows the original's split
            fee = -(original.platform_fee_minor * -gross // original.gross_minor)
            locks_on = data["occurred_on"]
            status = RevenueEvent.Status.PAYABLE  # a clawback needs no hold
        fields = {
            "stream": data["stream"] if original is None else original.stream,
            "kind": data["kind"],
            "creator": data["creator"],
            "account_id": data["account_id"],
            "occurred_on": data["occurred_on"],
            "gross_minor": gross,
            "platform_fee_minor": fee,
            "currency": data["currency"],
            "source_type": data["source_type"],
            "source_id": data["source_id"],
            "description": data["description"],
            "refund_of": original,
            "status": status,
            "locks_on": locks_on,
            "partner": partner,
            "import_batch": import_batch,
        }
        created.append(RevenueEvent(**fields))
    try:
        with transaction.atomic():
            created = RevenueEvent.objects.bulk_create(created)
    except IntegrityError as exc:  # one of the sources is being posted concurrently
        raise Conflict(
            "Some of these sources are being posted by another request; retry and they "
            "will be skipped."
        ) from exc
    if post and created:
        revenue_events_post(event_ids=[e.pk for e in created]).raise_for_failures()
    return created, len(rows) - len(clean)


@transaction.atomic
def revenue_events_import(
    *, rows: Sequence[EventInput], filename: str, dry_run: bool = False
) -> tuple[ImportBatch | None, int, int]:
    """Stage a CSV import: validate every row (all or nothing), then create an ImportBatch
    whose events post money only when a staff member approves it. With ``dry_run`` nothing
    is written. Returns (batch, new rows, rows already imported)."""
    today = timezone.localdate()
    clean = revenue_events_validate(rows=rows, today=today)
    if dry_run:
        return None, len(clean), len(rows) - len(clean)
    batch = ImportBatch.objects.create(filename=filename[:255], row_count=len(clean))
    revenue_events_ingest(rows=rows, import_batch=batch, post=False, today=today)
    return batch, len(clean), len(rows) - len(clean)


@transaction.atomic
def import_batch_reject(*, batch: ImportBatch, actor=None) -> ImportBatch:
    """Reject a pending import: its unposted events are removed, so the corrected file can
    be imported again. Rejecting twice changes nothing."""
    batch = lock(batch)
    if not needs_move(batch, ImportBatch.Status.REJECTED):
        return batch
    batch.events.filter(posted_at__isnull=True).delete()
    return transition(batch, ImportBatch.Status.REJECTED, actor=actor, locked=True).obj


@retry_on_contention
@transaction.atomic
def import_batch_approve(*, batch: ImportBatch, approved_by) -> ImportBatch:
    """Post every event of a CSV import. Approving twice posts nothing more."""
    batch = lock(batch)
    if not needs_move(batch, ImportBatch.Status.APPROVED):
        return batch
    if not approved_by.is_staff:
        raise ApplicationError("Only staff members approve imports.")
    ids = batch.events.order_by("occurred_on", "pk").values_list("pk", flat=True)
    revenue_events_post(event_ids=list(ids)).raise_for_failures()
    return transition(
        batch,
        ImportBatch.Status.APPROVED,
        actor=approved_by,
        locked=True,
        changes={"approved_by": approved_by, "approved_at": timezone.now()},
    ).obj


@transaction.atomic
def revenue_event_cash_receive(*, event: RevenueEvent, received_on: dt.date) -> RevenueEvent:
    """Record that the platform or brand paid this event: cash in, receivable cleared.
    A locked event becomes payable (pay when paid). Running twice changes nothing."""
    event = RevenueEvent.objects.select_for_update().get(pk=event.pk)
    if event.cash_received_on is not None:
        return event
    if event.posted_at is None or event.kind != RevenueEvent.Kind.SALE:
        raise Conflict("Only a posted sale can be marked as received.")
    net = event.gross_minor - event.platform_fee_minor
    if net:
        receivable = RECEIVABLE_BY_STREAM.get(event.stream, Account.Kind.PLATFORM_RECEIVABLE)
        ledger.post(
            source_type="cash_receipt",
            source_id=event.pk,
            effective_on=received_on,
            legs=[
                ledger.Leg(
                    ledger.account_get(kind=Account.Kind.CASH, currency=event.currency), -net
                ),
                ledger.Leg(ledger.account_get(kind=receivable, currency=event.currency), net),
            ],
            memo=f"Cash received for event {event.pk}",
        )
    event.cash_received_on = received_on
    if event.status == RevenueEvent.Status.LOCKED:
        event.status = RevenueEvent.Status.PAYABLE
    event.save(update_fields=["cash_received_on", "status"])
    return event


@transaction.atomic
def revenue_events_lock_due(*, today: dt.date) -> int:
    """Lock posted events whose hold period ended; make them payable when their stream does not
    wait for cash or the cash has arrived. Set-based; safe to run any number of times."""
    locked = RevenueEvent.objects.filter(
        status=RevenueEvent.Status.PENDING, posted_at__isnull=False, locks_on__lte=today
    ).update(status=RevenueEvent.Status.LOCKED)
    no_wait = HoldPolicy.objects.filter(pay_when_paid=False).values_list("stream", flat=True)
    RevenueEvent.objects.filter(status=RevenueEvent.Status.LOCKED).filter(
        stream__in=list(no_wait)
    ).update(status=RevenueEvent.Status.PAYABLE)
    RevenueEvent.objects.filter(
        status=RevenueEvent.Status.LOCKED, cash_received_on__isnull=False
    ).update(status=RevenueEvent.Status.PAYABLE)
    return locked
