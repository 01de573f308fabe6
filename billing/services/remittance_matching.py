"""Matching remittance lines to the revenue events they pay (rules in billing/README.md).

A line's candidates are posted events of its stream that no remittance paid; what the payer
settled is compared with their net converted to the remittance currency. A line that covers
its events marks every sale cash-received through ``revenue_event_cash_receive`` (the one
pay-when-paid path) and posts one application that clears the unmatched amount against the
receivables, converting through FX clearing; a difference inside the FX tolerance goes to
FX differences. Open lines are retried on every record, by the admin and hourly.
"""

import math

from django.db import IntegrityError, transaction
from django.db.models import Q

from agency.errors import Conflict
from agency.money import to_major
from billing import conf, fx, ledger
from billing.models import Account, Remittance, RemittanceLine, RemittanceMatch, RevenueEvent
from billing.services.events import revenue_event_cash_receive
from billing.services.posting import RECEIVABLE_BY_STREAM


@transaction.atomic
def remittance_match(*, remittance: Remittance) -> Remittance:
    """Match every line not matched yet (see the module docstring). Running it again only
    retries the lines still open, so nothing is ever paid twice."""
    remittance = Remittance.objects.select_for_update().get(pk=remittance.pk)
    for line in remittance.lines.exclude(status=RemittanceLine.Status.MATCHED).order_by("pk"):
        _line_match(remittance, line)
    applied = sum(remittance.lines.values_list("applied_minor", flat=True))
    if applied == 0:
        remittance.status = Remittance.Status.UNMATCHED
    elif applied == remittance.settled_minor:
        remittance.status = Remittance.Status.MATCHED
    else:
        remittance.status = Remittance.Status.PARTLY_MATCHED
    remittance.save(update_fields=["status"])
    return remittance


def remittances_match_open() -> int:
    """Retry every remittance with open lines (events or rates may have arrived since).
    Returns how many lines are matched now that were not."""
    before = RemittanceLine.objects.filter(status=RemittanceLine.Status.MATCHED).count()
    open_ids = (
        Remittance.objects.exclude(status=Remittance.Status.MATCHED)
        .filter(lines__status__in=[RemittanceLine.Status.UNMATCHED, RemittanceLine.Status.SHORT])
        .values_list("pk", flat=True)
        .distinct()
    )
    for remittance in Remittance.objects.filter(pk__in=list(open_ids)).order_by("pk"):
        remittance_match(remittance=remittance)
    return RemittanceLine.objects.filter(status=RemittanceLine.Status.MATCHED).count() - before


def _unpaid(remittance: Remittance, line: RemittanceLine):
    """Posted events of the line's stream that no remittance paid yet. A data partner's
    remittance pays staff-booked events and its own, never another partner's."""
    events = RevenueEvent.objects.filter(stream=line.stream, posted_at__isnull=False).exclude(
        pk__in=RemittanceMatch.objects.values("event_id")
    )
    if remittance.partner_id is not None:
        events = events.filter(Q(partner__isnull=True) | Q(partner_id=remittance.partner_id))
    return events


def _sales(remittance: Remittance, line: RemittanceLine) -> list[RevenueEvent] | str:
    """The sales a line pays (locked), or why there are none."""
    sales = _unpaid(remittance, line).filter(
        kind=RevenueEvent.Kind.SALE, cash_received_on__isnull=True
    )
    if line.creator_id is not None:
        sales = sales.filter(creator_id=line.creator_id)
    if line.external_id:
        found = list(
            sales.filter(source_id=line.external_id).select_for_update(of=("self",)).order_by("pk")
        )
        if not found:
            return "No unpaid posted event of this stream has this external id."
        if len(found) > 1:
            return f"{len(found)} unpaid events have this external id; name the creator."
        return found
    found = list(
        sales.filter(occurred_on__range=(remittance.period_start, remittance.period_end))
        .select_for_update(of=("self",))
        .order_by("pk")
    )
    return found or "No unpaid posted events of this creator and stream in the period."


def _refunds(remittance, line, sales: list[RevenueEvent]) -> list[RevenueEvent]:
    """Refunds the payer netted off: those of the sales paid now and, for a creator's
    period, the period's refunds of sales paid before."""
    refunds = Q(refund_of__in=sales)
    if not line.external_id:
        refunds |= Q(
            creator_id=line.creator_id,
            occurred_on__range=(remittance.period_start, remittance.period_end),
        )
    return list(
        _unpaid(remittance, line)
        .exclude(kind=RevenueEvent.Kind.SALE)
        .filter(refunds)
        .select_for_update(of=("self",))
        .order_by("pk")
    )


def _line_match(remittance: Remittance, line: RemittanceLine) -> None:
    # Long on purpose: the matching rules in the order they apply (sales, refunds, currency,
    # tolerance, allocation); each early return is one outcome of the line.
    sales = _sales(remittance, line)
    if isinstance(sales, str):
        line.status, line.note, line.expected_minor = RemittanceLine.Status.UNMATCHED, sales, None
        line.save(update_fields=["status", "note", "expected_minor"])
        return
    events = sales + _refunds(remittance, line, sales)
    ccy = remittance.currency
    try:
        rates = {
            e.currency: fx.rate_for(base=e.currency, quote=ccy, on=remittance.received_on)
            for e in events
        }
    except fx.MissingExchangeRate as exc:
        line.status, line.expected_minor = RemittanceLine.Status.UNMATCHED, None
        line.note = exc.message[:255]
        line.save(update_fields=["status", "note", "expected_minor"])
        return
    matches = [
        RemittanceMatch(
            line=line,
            event=e,
            net_minor=e.gross_minor - e.platform_fee_minor,
            converted_minor=fx.convert_minor(
                e.gross_minor - e.platform_fee_minor,
                base=e.currency,
                quote=ccy,
                rate=rates[e.currency],
            ),
            fx_rate=rates[e.currency],
        )
        for e in events
    ]
    expected = sum(m.converted_minor for m in matches)
    line.expected_minor = expected
    if expected <= 0:
        line.status, line.note = RemittanceLine.Status.UNMATCHED, "Its events net to nothing."
        line.save(update_fields=["status", "note", "expected_minor"])
        return
    cross = any(e.currency != ccy for e in events)
    slack = math.floor(expected * conf.remittance_fx_tolerance()) if cross else 0
    if line.amount_minor < expected - slack:
        line.status = RemittanceLine.Status.SHORT
        line.note = (
            f"Settled {to_major(line.amount_minor, ccy)} of {to_major(expected, ccy)} booked "
            f"for {len(events)} events; none is marked paid."
        )
        line.save(update_fields=["status", "note", "expected_minor"])
        return
    applied = line.amount_minor if line.amount_minor <= expected + slack else expected
    try:
        with transaction.atomic():
            RemittanceMatch.objects.bulk_create(matches)
    except IntegrityError as exc:  # another remittance paid one of them meanwhile
        raise Conflict(f"Remittance line {line.pk}: an event was paid meanwhile; retry.") from exc
    for sale in sales:
        paid = revenue_event_cash_receive(event=sale, received_on=remittance.received_on)
        if paid.cash_received_on != remittance.received_on:  # another path paid it meanwhile
            raise Conflict(f"Event {sale.pk} was marked paid meanwhile; match again.")
    line.transaction = ledger.post(
        source_type="remittance_line",
        source_id=line.pk,
        effective_on=remittance.received_on,
        legs=_application_legs(ccy=ccy, matches=matches, applied=applied, expected=expected),
        memo=f"Remittance {remittance.reference} line {line.line_no}: {len(events)} events",
    )
    line.applied_minor = applied
    line.status = RemittanceLine.Status.MATCHED
    excess = line.amount_minor - applied
    line.note = (
        f"{to_major(excess, ccy)} settled above the booked amount stays unmatched."
        if excess
        else ""
    )
    line.save(update_fields=["status", "note", "expected_minor", "applied_minor", "transaction"])


def _application_legs(
    *, ccy: str, matches: list[RemittanceMatch], applied: int, expected: int
) -> list[ledger.Leg]:
    """Clear ``applied`` of the unmatched remittances against the events' receivables.

    ``revenue_event_cash_receive`` booked each sale's net as cash in the event's currency;
    the cash really arrived in the receipt, so that cash is handed back here, and refunds
    netted off by the payer clear their receivable credit. Per event currency the net goes
    through FX clearing into the remittance currency; what was applied beyond (or short of)
    the converted total, within the tolerance, is an FX difference.
    """

    def acct(kind: str, currency: str = ccy) -> Account:
        return ledger.account_get(kind=kind, currency=currency)

    legs = [
        ledger.Leg(acct(Account.Kind.UNMATCHED_REMITTANCES), -applied),
        ledger.Leg(acct(Account.Kind.FX_DIFFERENCE), applied - expected),
    ]
    for match in matches:
        event = match.event
        if event.kind == RevenueEvent.Kind.SALE:
            legs.append(ledger.Leg(acct(Account.Kind.CASH, event.currency), match.net_minor))
        else:
            receivable = RECEIVABLE_BY_STREAM.get(event.stream, Account.Kind.PLATFORM_RECEIVABLE)
            legs.append(ledger.Leg(acct(receivable, event.currency), match.net_minor))
        legs.append(ledger.Leg(acct(Account.Kind.FX_CLEARING, event.currency), -match.net_minor))
    legs.append(ledger.Leg(acct(Account.Kind.FX_CLEARING), expected))  # the converted total
    return legs
