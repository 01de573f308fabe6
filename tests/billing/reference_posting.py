"""The reference for the batch posting engine: posting one event per call, as the product
did before posting was batched. Frozen here on purpose, as the oracle the property test in
``test_batch_equivalence.py`` compares the engine with; not used by the product.

It reads the month-to-date total by rescanning the month's splits for every event and looks
every account, plan, rate and statement up again per event, which is slow and obviously
right: the engine must produce exactly what this produces. It never reads the stored
``MonthToDate`` totals; it only adds each sale to them, as the schema requires, so both runs
can be compared row for row.
"""

from decimal import Decimal
from fractions import Fraction

from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone

from agency.locks import advisory_lock
from billing import fx, ledger
from billing.display import event_line_text
from billing.models import (
    Account,
    MonthToDate,
    RevenueEvent,
    RevenueSplit,
    StatementLine,
    Stream,
)
from billing.services.plans import commission_plan_in_force, plan_terms
from billing.services.statements import (
    month_start,
    next_month,
    statement_for_line,
    statement_line_add,
)
from billing.splits import Legs, PlanTerms, split_event, split_refund

RECEIVABLE = {
    Stream.BRAND_DEAL: Account.Kind.BRAND_RECEIVABLE,
    Stream.AGENCY_SERVICE: Account.Kind.BRAND_RECEIVABLE,
}


def _month_to_date(*, event: RevenueEvent, currency: str) -> Fraction:
    start = month_start(event.occurred_on)
    snapshots = RevenueSplit.objects.filter(
        event__creator_id=event.creator_id,
        event__stream=event.stream,
        event__kind=RevenueEvent.Kind.SALE,
        event__occurred_on__gte=start,
        event__occurred_on__lt=next_month(start),
    ).values_list("rates", flat=True)
    total = Fraction(0)
    for rates in snapshots:
        in_plan = rates["gross_in_plan_currency"]
        if rates["terms"]["currency"] == currency and in_plan is not None:
            total += Fraction(in_plan)
    return total


def _split(event: RevenueEvent) -> RevenueSplit:
    creator = event.creator
    if event.refund_of_id is None:
        advisory_lock("month_to_date", creator.pk, event.stream, month_start(event.occurred_on))
        plan = commission_plan_in_force(creator=creator, stream=event.stream, on=event.occurred_on)
        terms: PlanTerms = plan_terms(plan=plan, creator=creator)
        try:
            to_plan = fx.rate_for(base=event.currency, quote=terms.currency, on=event.occurred_on)
        except fx.MissingExchangeRate:
            if terms.tiers:
                raise
            to_plan = None
        result = split_event(
            gross_minor=event.gross_minor,
            fee_minor=event.platform_fee_minor,
            currency=event.currency,
            terms=terms,
            month_to_date=_month_to_date(event=event, currency=terms.currency),
            to_plan_rate=to_plan or Decimal(1),
        )
        legs, rates = result.legs, result.snapshot(terms, to_plan_rate=to_plan or Decimal(1))
        if to_plan is None:
            rates["gross_in_plan_currency"] = rates["to_plan_rate"] = None
        manager_id, sub_agency_id = creator.talent_manager_id, creator.sub_agency_id
    else:
        original = RevenueSplit.objects.select_for_update().get(event_id=event.refund_of_id)
        before = -(
            RevenueSplit.objects.filter(event__refund_of_id=event.refund_of_id).aggregate(
                s=Sum("gross_minor")
            )["s"]
            or 0
        )
        legs = split_refund(
            original=Legs(
                original.fee_minor,
                original.agency_minor,
                original.manager_minor,
                original.sub_agency_minor,
                original.creator_minor,
            ),
            refunded_before=before,
            amount=-event.gross_minor,
        )
        plan = original.plan
        rates = {**original.rates, "reverses_split": original.pk}
        manager_id, sub_agency_id = original.manager_id, original.sub_agency_id
    split = RevenueSplit.objects.create(
        event=event,
        plan=plan,
        currency=event.currency,
        gross_minor=event.gross_minor,
        fee_minor=legs.fee,
        agency_minor=legs.agency,
        manager_minor=legs.manager,
        sub_agency_minor=legs.sub_agency,
        creator_minor=legs.creator,
        manager_id=manager_id,
        sub_agency_id=sub_agency_id,
        rates=rates,
    )
    in_plan = rates.get("gross_in_plan_currency")
    if event.kind == RevenueEvent.Kind.SALE and in_plan is not None:
        total, _ = MonthToDate.objects.get_or_create(
            creator_id=event.creator_id,
            stream=event.stream,
            month=month_start(event.occurred_on),
            currency=rates["terms"]["currency"],
            defaults={"gross_scaled": 0},
        )
        scaled = Fraction(in_plan) * MonthToDate.SCALE
        MonthToDate.objects.filter(pk=total.pk).update(gross_scaled=F("gross_scaled") + int(scaled))
    return split


@transaction.atomic
def reference_event_post(*, event: RevenueEvent) -> RevenueEvent:
    """Split and post one event, one lookup at a time."""
    event = (
        RevenueEvent.objects.select_for_update(of=("self",))
        .select_related("creator")
        .get(pk=event.pk)
    )
    if event.posted_at is not None:
        return event
    creator = event.creator
    statement = statement_for_line(creator=creator, on=event.occurred_on)
    split = _split(event)
    ccy, payout_ccy = event.currency, creator.payout_currency
    rate = fx.rate_for(base=ccy, quote=payout_ccy, on=event.occurred_on)
    creator_net = fx.convert_minor(split.creator_minor, base=ccy, quote=payout_ccy, rate=rate)

    def acct(kind, currency=ccy, **party):
        return ledger.account_get(kind=kind, currency=currency, **party)

    net = split.gross_minor - split.fee_minor
    legs = [
        ledger.Leg(acct(RECEIVABLE.get(event.stream, Account.Kind.PLATFORM_RECEIVABLE)), -net),
        ledger.Leg(acct(Account.Kind.AGENCY_REVENUE), split.agency_minor),
    ]
    if split.manager_minor:
        legs.append(
            ledger.Leg(
                acct(Account.Kind.MANAGER_PAYABLE, manager_id=split.manager_id),
                split.manager_minor,
            )
        )
    if split.sub_agency_minor:
        legs.append(
            ledger.Leg(
                acct(Account.Kind.SUB_AGENCY_PAYABLE, sub_agency_id=split.sub_agency_id),
                split.sub_agency_minor,
            )
        )
    creator_payable = acct(Account.Kind.CREATOR_PAYABLE, payout_ccy, creator=creator)
    if ccy == payout_ccy:
        legs.append(ledger.Leg(creator_payable, split.creator_minor))
    else:
        legs += [
            ledger.Leg(acct(Account.Kind.FX_CLEARING), split.creator_minor),
            ledger.Leg(acct(Account.Kind.FX_CLEARING, payout_ccy), -creator_net),
            ledger.Leg(creator_payable, creator_net),
        ]
    txn = ledger.post(
        source_type="revenue_event",
        source_id=event.pk,
        effective_on=event.occurred_on,
        legs=legs,
        memo=f"{event.get_kind_display()} {event.stream} {event.source_type}:{event.source_id}",
    )
    is_sale = event.kind == RevenueEvent.Kind.SALE
    statement_line_add(
        creator=creator,
        on=event.occurred_on,
        statement=statement,
        kind=StatementLine.Kind.EARNING if is_sale else StatementLine.Kind.CLAWBACK,
        event=event,
        transaction=txn,
        description=event_line_text(
            description=event.description, stream=event.stream, occurred_on=event.occurred_on
        ),
        original_currency=ccy,
        gross_minor=split.gross_minor,
        fee_minor=split.fee_minor,
        agency_minor=split.agency_minor,
        manager_minor=split.manager_minor,
        sub_agency_minor=split.sub_agency_minor,
        original_net_minor=split.creator_minor,
        fx_rate=rate,
        net_minor=creator_net,
    )
    event.posted_at = timezone.now()
    event.platform_fee_minor = split.fee_minor
    event.save(update_fields=["posted_at", "platform_fee_minor"])
    return event
