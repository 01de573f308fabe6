"""Payouts to creators, talent managers and sub-agencies (``billing.payees``): prepared from
the payee's payable, approved by finance (maker-checker), sent, then paid or failed and
reversed. No other transition exists (also a DB trigger).

Preparing a payout reserves its amount at once (payee payable -> payouts in transit)
while the payee's payable balance row is locked, so two payouts can never together take
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
from billing.payees import PAYABLE_KINDS, Payee
from billing.selectors import is_finance
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


def _payout_amount(
    payee: Payee, currency: str, available: int, requested: int | None
) -> int | None:
    """The amount to reserve: ``requested``, or everything available (None when that is
    below the minimum). Never above the available balance, never below the minimum."""
    minimum = to_minor(conf.payout_minimum(), currency)
    if requested is None:
        return available if available >= minimum else None
    if requested <= 0:
        raise ApplicationError("A payout must be positive.")
    if requested > available:
        raise Conflict(
            f"The payout exceeds the {payee.role.replace('_', '-')}'s available balance.",
            extra={"available_minor": available, "requested_minor": requested},
        )
    if requested < minimum:
        raise ApplicationError(f"Payouts start at {conf.payout_minimum()} {currency}.")
    return requested


@transaction.atomic
def payout_create(
    *,
    batch: PayoutBatch,
    creator: Creator | None = None,
    payee: Payee | None = None,
    amount_minor: int | None = None,
) -> Payout | None:
    """Reserve a payout for ``payee`` (or ``creator``) in ``batch``: the given amount, or
    everything available. None when the available amount is below the minimum. Idempotent
    per (batch, payee). Creators are paid in their payout currency; managers and
    sub-agencies in each currency their payable holds."""
    payee = payee or Payee(creator=creator)
    if batch.status != PayoutBatch.Status.DRAFT:  # not a move: the batch stays a draft
        raise Conflict("Payouts are added to draft batches only.")
    if payee.creator is not None and payee.creator.payout_currency != batch.currency:
        raise ApplicationError("The creator is paid in another currency.")
    if (existing := Payout.objects.filter(batch=batch, **payee.party).first()) is not None:
        return existing
    today = timezone.localdate()
    statement = (  # lock order: statement first
        statement_for_line(creator=payee.creator, on=today) if payee.creator else None
    )
    payable = ledger.account_get(kind=payee.account_kind, currency=batch.currency, **payee.party)
    transit = ledger.account_get(kind=Account.Kind.PAYOUTS_IN_TRANSIT, currency=batch.currency)
    locked = ledger.accounts_lock([payable, transit])
    available = locked[payable.pk].balance_minor - payee.held_minor(batch.currency)
    amount_minor = _payout_amount(payee, batch.currency, available, amount_minor)
    if amount_minor is None:
        return None
    source_id = f"{batch.pk}:{payee.creator.pk}" if payee.creator else f"{batch.pk}:{payee.key}"
    txn = ledger.post(
        source_type="payout_reserve",
        source_id=source_id,
        effective_on=today,
        legs=[ledger.Leg(payable, -amount_minor), ledger.Leg(transit, amount_minor)],
        memo=f"Payout to {payee} in batch {batch.pk}"[:255],
    )
    payout = Payout.objects.create(
        batch=batch,
        currency=batch.currency,
        amount_minor=amount_minor,
        reserve_transaction=txn,
        **payee.party,
    )
    if payee.creator is not None:
        statement_line_add(
            creator=payee.creator,
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
            creator=payee.creator, status=RevenueEvent.Status.PAYABLE, payout__isnull=True
        ).update(payout=payout)
    return payout


def payees_owed(currency: str) -> list[Payee]:
    """Everyone with a positive payable in ``currency``: creators, then talent managers,
    then sub-agencies, each in id order (the lock order of preparing)."""
    accounts = (
        Account.objects.filter(
            kind__in=list(PAYABLE_KINDS.values()), currency=currency, balance_minor__gt=0
        )
        .select_related("creator", "manager", "sub_agency")
        .order_by("kind", "creator_id", "manager_id", "sub_agency_id")
    )
    order = {kind: i for i, kind in enumerate(PAYABLE_KINDS.values())}
    return [Payee.of(a) for a in sorted(accounts, key=lambda a: (order[a.kind], a.pk))]


def payout_batch_prepare(*, currency: str, prepared_by=None) -> PayoutBatch | None:
    """A draft batch paying every creator, talent manager and sub-agency owed in
    ``currency`` whose available balance reaches the minimum (None when there is nobody to
    pay). Each payout locks only its own payee's balance, briefly. Running it again pays
    nobody twice: the first run reserved the money."""
    batch = payout_batch_create(currency=currency, prepared_by=prepared_by)
    for payee in payees_owed(currency):
        if payee.creator is not None and payee.creator.payout_currency != currency:
            continue  # a creator's payable in another currency waits for conversion
        payout_create(batch=batch, payee=payee)
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
    the payee's payable (so the money is available to the next batch) and the batch is
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
    """Give the payout's reserved amount back to the payee's payable (a ledger reversal);
    a creator's statement shows it."""
    today = timezone.localdate()
    statement = None
    if payout.creator_id is not None:  # lock order: statement first
        statement = statement_for_line(creator=payout.creator, on=today)
    txn = ledger.reverse(original=payout.reserve_transaction, effective_on=today)
    if statement is not None:
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
    """Draft a batch per currency (default: every currency someone is owed in) paying
    everyone available above the minimum. The weekly job runs it with no preparer; finance
    runs it on demand, and then another finance member approves. Nobody is paid twice: each
    run reserves what it pays."""
    if prepared_by is not None and not is_finance(prepared_by):
        raise ApplicationError("Only a member of the finance group prepares payout batches.")
    if currencies is None:
        currencies = list(
            Account.objects.filter(kind__in=list(PAYABLE_KINDS.values()), balance_minor__gt=0)
            .order_by("currency")
            .values_list("currency", flat=True)
            .distinct()
        )
    batches = [payout_batch_prepare(currency=c, prepared_by=prepared_by) for c in currencies]
    return [b for b in batches if b is not None]
