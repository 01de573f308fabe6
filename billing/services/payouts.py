"""Payouts: prepared from the creator payable, approved by finance (maker-checker), sent,
then paid or failed and reversed. No other transition exists (also a DB trigger).

Preparing a payout reserves its amount at once (creator payable -> payouts in transit)
while the creator's payable balance row is locked, so two payouts can never together take
more than the balance, whatever the concurrency. Amounts still in a hold period are not
available. A negative balance simply carries forward: nothing is paid until it recovers.
"""

import datetime as dt

import structlog
from django.db import transaction
from django.utils import timezone

from agency.errors import ApplicationError, Conflict
from agency.money import to_minor
from agency.states import lock, needs_move, transition
from billing import conf, ledger
from billing.models import Account, Payout, PayoutBatch, RevenueEvent, StatementLine
from billing.selectors import held_minor, is_finance
from billing.services.statements import statement_for_line, statement_line_add
from creators.models import Creator

log = structlog.get_logger(__name__)


def _check_settler(payout: Payout, actor) -> None:
    """Four eyes on money leaving: a person who marks a payout paid or failed, or reverses
    it, is in finance and did not prepare its batch. ``actor`` None is the system (a bank
    feed or a job), which the people who configured it answer for."""
    if actor is None:
        return
    if not is_finance(actor):
        raise ApplicationError("Only a member of the finance group settles payouts.")
    if payout.batch.prepared_by_id is not None and payout.batch.prepared_by_id == actor.pk:
        raise ApplicationError("The preparer of a payout batch cannot settle its payouts.")


@transaction.atomic
def payout_batch_create(*, currency: str, prepared_by=None) -> PayoutBatch:
    return PayoutBatch.objects.create(currency=currency, prepared_by=prepared_by)


@transaction.atomic
def payout_create(
    *, batch: PayoutBatch, creator: Creator, amount_minor: int | None = None
) -> Payout | None:
    """Reserve a payout for ``creator`` in ``batch``: the given amount, or everything
    available. None when the available amount is below the minimum. Idempotent per
    (batch, creator)."""
    if batch.status != PayoutBatch.Status.DRAFT:  # not a move: the batch stays a draft
        raise Conflict("Payouts are added to draft batches only.")
    if creator.payout_currency != batch.currency:
        raise ApplicationError("The creator is paid in another currency.")
    existing = Payout.objects.filter(batch=batch, creator=creator).first()
    if existing is not None:
        return existing
    today = timezone.localdate()
    statement = statement_for_line(creator=creator, on=today)  # lock order: statement first
    payable = ledger.account_get(
        kind=Account.Kind.CREATOR_PAYABLE, currency=batch.currency, creator=creator
    )
    transit = ledger.account_get(kind=Account.Kind.PAYOUTS_IN_TRANSIT, currency=batch.currency)
    locked = ledger.accounts_lock([payable, transit])
    available = locked[payable.pk].balance_minor - held_minor(creator=creator)
    minimum = to_minor(conf.payout_minimum(), batch.currency)
    if amount_minor is None:
        if available < minimum:
            return None
        amount_minor = available
    if amount_minor <= 0:
        raise ApplicationError("A payout must be positive.")
    if amount_minor > available:
        raise Conflict(
            "The payout exceeds the creator's available balance.",
            extra={"available_minor": available, "requested_minor": amount_minor},
        )
    if amount_minor < minimum:
        raise ApplicationError(f"Payouts start at {conf.payout_minimum()} {batch.currency}.")
    txn = ledger.post(
        source_type="payout_reserve",
        source_id=f"{batch.pk}:{creator.pk}",
        effective_on=today,
        legs=[ledger.Leg(payable, -amount_minor), ledger.Leg(transit, amount_minor)],
        memo=f"Payout to creator {creator.pk} in batch {batch.pk}",
    )
    payout = Payout.objects.create(
        batch=batch,
        creator=creator,
        currency=batch.currency,
        amount_minor=amount_minor,
        reserve_transaction=txn,
    )
    statement_line_add(
        creator=creator,
        on=today,
        statement=statement,
        kind=StatementLine.Kind.PAYOUT,
        transaction=txn,
        description=f"Payout #{payout.pk}",
        original_currency=batch.currency,
        original_net_minor=-amount_minor,
        net_minor=-amount_minor,
    )
    RevenueEvent.objects.filter(
        creator=creator, status=RevenueEvent.Status.PAYABLE, payout__isnull=True
    ).update(payout=payout)
    return payout


def payout_batch_prepare(*, currency: str, prepared_by=None) -> PayoutBatch | None:
    """A draft batch paying every creator in ``currency`` whose available balance reaches
    the minimum (None when there is nobody to pay). Each payout locks only its own
    creator's balance, briefly. Running it again pays nobody twice: the first run reserved
    the money."""
    batch = payout_batch_create(currency=currency, prepared_by=prepared_by)
    creator_ids = (
        Account.objects.filter(
            kind=Account.Kind.CREATOR_PAYABLE, currency=currency, balance_minor__gt=0
        )
        .order_by("creator_id")
        .values_list("creator_id", flat=True)
    )
    for creator in Creator.objects.filter(pk__in=list(creator_ids)).order_by("pk"):
        payout_create(batch=batch, creator=creator)
    if not batch.payouts.exists():  # nothing to pay: leave no empty batch behind
        batch.delete()
        return None
    return batch


def _check_checker(batch: PayoutBatch, actor, *, verb: str, done: str) -> None:
    """Maker-checker on a batch: finance, and not the person who prepared it."""
    if not is_finance(actor):
        raise ApplicationError(f"Only a member of the finance group {verb} payout batches.")
    if batch.prepared_by_id is not None and batch.prepared_by_id == actor.pk:
        raise ApplicationError(f"A batch must be {done} by someone other than its maker.")


@transaction.atomic
def payout_batch_approve(*, batch: PayoutBatch, approved_by) -> PayoutBatch:
    """Finance approves a batch another user prepared; its payouts become approved."""
    batch = lock(batch)
    if not needs_move(batch, PayoutBatch.Status.APPROVED):
        return batch
    _check_checker(batch, approved_by, verb="approves", done="approved")
    batch = transition(
        batch,
        PayoutBatch.Status.APPROVED,
        actor=approved_by,
        locked=True,
        changes={"approved_by": approved_by, "approved_at": timezone.now()},
    ).obj
    log.info("payout_batch_approved", batch_id=batch.pk, approved_by=approved_by.pk)
    for payout in batch.payouts.select_for_update().order_by("pk"):
        transition(payout, Payout.Status.APPROVED, actor=approved_by, locked=True)
    return batch


@transaction.atomic
def payout_batch_reject(*, batch: PayoutBatch, rejected_by, note: str = "") -> PayoutBatch:
    """Finance rejects a batch another user prepared: each payout's reserve goes back to
    the creator payable (so the money is available to the next batch) and the batch is
    closed. Rejecting a rejected batch changes nothing."""
    batch = lock(batch)
    if not needs_move(batch, PayoutBatch.Status.REJECTED):
        return batch
    _check_checker(batch, rejected_by, verb="rejects", done="rejected")
    batch = transition(
        batch, PayoutBatch.Status.REJECTED, actor=rejected_by, note=note, locked=True
    ).obj
    log.info("payout_batch_rejected", batch_id=batch.pk, rejected_by=rejected_by.pk)
    payouts = batch.payouts.select_for_update(of=("self",)).select_related("creator")
    for payout in payouts.order_by("pk"):
        _reserve_release(payout, description=f"Payout #{payout.pk} rejected with its batch")
        transition(payout, Payout.Status.REVERSED, actor=rejected_by, note=note, locked=True)
    return batch


def _reserve_release(payout: Payout, *, description: str) -> None:
    """Give the payout's reserved amount back to the creator payable (a ledger reversal)."""
    today = timezone.localdate()
    statement = statement_for_line(creator=payout.creator, on=today)  # lock order
    txn = ledger.reverse(original=payout.reserve_transaction, effective_on=today)
    statement_line_add(
        creator=payout.creator,
        on=today,
        statement=statement,
        kind=StatementLine.Kind.PAYOUT_REVERSAL,
        transaction=txn,
        description=description,
        original_currency=payout.currency,
        original_net_minor=payout.amount_minor,
        net_minor=payout.amount_minor,
    )
    payout.revenue_events.update(payout=None)


def payouts_send_approved() -> list[int]:
    """Send every approved payout of an approved batch (each in its own transaction; a
    payout sent meanwhile is skipped by its state guard). Returns the ids handled."""
    ids = list(
        Payout.objects.filter(
            batch__status=PayoutBatch.Status.APPROVED, status=Payout.Status.APPROVED
        ).values_list("pk", flat=True)
    )
    for payout_id in ids:
        payout_send(payout_id=payout_id)
    return ids


def _settle(payout_id: int, to: str, actor, *, already=()) -> tuple[Payout, bool]:
    """Lock the payout (its row only; the batch is read for the four-eyes check), check
    the settler and move it; False when it was at ``to`` (or ``already``) before."""
    payout = lock(Payout(pk=payout_id), related=("batch",))
    _check_settler(payout, actor)
    moved = transition(payout, to, actor=actor, idempotent=True, already=already, locked=True)
    return moved.obj, moved.moved


@transaction.atomic
def payout_send(*, payout_id: int) -> Payout:
    payout = lock(Payout(pk=payout_id), related=("batch",))
    sent_already = (Payout.Status.PAID, Payout.Status.FAILED)  # running twice sends once
    return transition(
        payout, Payout.Status.SENT, idempotent=True, already=sent_already, locked=True
    ).obj


@transaction.atomic
def payout_mark_paid(*, payout_id: int, paid_on: dt.date | None = None, actor=None) -> Payout:
    """The bank confirmed the transfer: cash leaves, the events it covered are paid."""
    payout, moved = _settle(payout_id, Payout.Status.PAID, actor)
    if not moved:
        return payout
    ledger.post(
        source_type="payout_paid",
        source_id=payout.pk,
        effective_on=paid_on or timezone.localdate(),
        legs=[
            ledger.Leg(
                ledger.account_get(kind=Account.Kind.PAYOUTS_IN_TRANSIT, currency=payout.currency),
                -payout.amount_minor,
            ),
            ledger.Leg(
                ledger.account_get(kind=Account.Kind.CASH, currency=payout.currency),
                payout.amount_minor,
            ),
        ],
        memo=f"Payout #{payout.pk} paid",
    )
    payout.revenue_events.update(status=RevenueEvent.Status.PAID)
    return payout


@transaction.atomic
def payout_mark_failed(*, payout_id: int, actor=None) -> Payout:
    return _settle(payout_id, Payout.Status.FAILED, actor, already=(Payout.Status.REVERSED,))[0]


@transaction.atomic
def payout_reverse(*, payout_id: int, actor=None) -> Payout:
    """Give a failed payout's amount back to the creator payable (a ledger reversal)."""
    payout, moved = _settle(payout_id, Payout.Status.REVERSED, actor)
    if moved:
        _reserve_release(payout, description=f"Payout #{payout.pk} failed and reversed")
    return payout


def payout_batches_prepare(
    *, currencies: list[str] | None = None, prepared_by=None
) -> list[PayoutBatch]:
    """Draft a batch per currency (default: every currency some creator is owed in) paying
    everyone available above the minimum. The weekly job runs it with no preparer; finance
    runs it on demand, and then another finance member approves. Nobody is paid twice: each
    run reserves what it pays."""
    if prepared_by is not None and not is_finance(prepared_by):
        raise ApplicationError("Only a member of the finance group prepares payout batches.")
    if currencies is None:
        currencies = list(
            Account.objects.filter(kind=Account.Kind.CREATOR_PAYABLE, balance_minor__gt=0)
            .order_by("currency")
            .values_list("currency", flat=True)
            .distinct()
        )
    batches = [payout_batch_prepare(currency=c, prepared_by=prepared_by) for c in currencies]
    return [b for b in batches if b is not None]
