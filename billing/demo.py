"""Billing demo data: plans, FX rates, events over all six streams in several currencies,
two closed months and an open one, statements, an advance, an expense and a payout batch.

Uses the roster the creators app seeded when there is one; otherwise (or when it is small)
creates a handful of creators on contract itself.
"""

import datetime as dt
import random
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import Q, QuerySet
from django.utils import timezone

from agency.models import Partner
from agency.money import exponent, to_major, to_minor
from billing import conf
from billing.models import CommissionPlan, ExchangeRate, RevenueEvent, Stream
from billing.services import advances, payouts, plans
from billing.services.events import (
    EventInput,
    revenue_events_ingest,
    revenue_events_lock_due,
)
from billing.services.remittances import RemittanceInput, RemittanceLineInput, remittances_record
from billing.services.statements import month_start, next_month, statement_close
from creators.models import Contract, Creator

# Approximate units of X per 1 USD, for demo rates only.
USD_RATES = {
    "EUR": "0.92",
    "GBP": "0.79",
    "JPY": "150",
    "CNY": "7.20",
    "IDR": "15800",
    "BRL": "5.40",
    "MXN": "18.0",
    "KRW": "1350",
    "INR": "83.5",
    "SGD": "1.34",
    "THB": "36.0",
    "PHP": "56.0",
    "AUD": "1.52",
    "CAD": "1.37",
}

# stream: (agency rate, manager share, sub-agency share, basis, tiers, typical gross in USD)
PLAN_TERMS = {
    Stream.BRAND_DEAL: ("0.20", "0.20", "0.10", "gross", [("10000", "0.15")], (800, 6000)),
    Stream.LIVE_GIFTS: ("0.30", "0.15", "0.10", "net", [], (200, 2500)),
    Stream.LIVE_COMMERCE: ("0.15", "0.10", "0.05", "net", [], (300, 3000)),
    Stream.AFFILIATE: ("0.10", "0.10", "0.05", "gross", [], (50, 900)),
    Stream.CREATOR_FUND: ("0.25", "0", "0.10", "gross", [], (20, 400)),
    Stream.AGENCY_SERVICE: ("0.90", "0.05", "0", "gross", [], (450, 560)),
}
FEE_SHARE = {Stream.LIVE_GIFTS: Decimal("0.5"), Stream.LIVE_COMMERCE: Decimal("0.05")}


def _user(username: str, *, finance: bool = False):
    user, created = get_user_model().objects.get_or_create(
        username=username, defaults={"is_staff": True, "email": f"{username}@agency.test"}
    )
    if created:
        user.set_unusable_password()
        user.save()
    if finance:
        user.groups.add(Group.objects.get_or_create(name=conf.FINANCE_GROUP)[0])
    return user


PAYERS = {
    Stream.BRAND_DEAL: "Brand clients",
    Stream.LIVE_GIFTS: "TikTok LIVE",
    Stream.LIVE_COMMERCE: "TikTok Shop LIVE",
    Stream.AFFILIATE: "TikTok Shop affiliate",
    Stream.CREATOR_FUND: "TikTok Creator Rewards",
    Stream.AGENCY_SERVICE: "Service clients",
}


def remittances_for_locked(
    *, events: QuerySet[RevenueEvent], partner: Partner | None, today: dt.date, prefix: str
) -> int:
    """The payers settle every locked sale of ``events``: one remittance per stream and
    currency, a line per event by its source id. Returns how many were recorded."""
    groups: dict[tuple[str, str], list[RevenueEvent]] = {}
    for event in events.filter(
        status=RevenueEvent.Status.LOCKED, kind=RevenueEvent.Kind.SALE
    ).order_by("pk"):
        groups.setdefault((event.stream, event.currency), []).append(event)
    remittances = []
    for (stream, currency), events in groups.items():

        def net(e: RevenueEvent, currency=currency) -> str:
            return str(to_major(e.gross_minor - e.platform_fee_minor, currency))

        remittances.append(
            RemittanceInput(
                payer=PAYERS[stream],
                reference=f"{prefix}-{stream}-{currency}-{today:%Y%m%d}",
                currency=currency,
                amount=str(sum(Decimal(net(e)) for e in events)),
                period_start=min(e.occurred_on for e in events),
                period_end=max(e.occurred_on for e in events),
                received_on=today,
                lines=[
                    RemittanceLineInput(stream=stream, amount=net(e), external_id=e.source_id)
                    for e in events
                ],
            )
        )
    result = remittances_record(remittances=remittances, source="api", partner=partner)
    return len(result.created)


def _roster(start: dt.date, stdout) -> list[Contract]:
    contracts = list(
        Contract.objects.filter(starts_on__lte=start)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gt=timezone.localdate()))
        .select_related("creator")
        .order_by("pk")[:12]
    )
    if len(contracts) >= 10:
        return contracts
    guild = Partner.objects.filter(kind=Partner.Kind.SUB_AGENCY).first()
    manager = _user("talent.mia")
    names = [
        ("Lena Ortiz", "lenaglow", "US", "USD"),
        ("Kenji Mori", "kenjicooks", "JP", "JPY"),
        ("Ana Souza", "anafit", "BR", "BRL"),
        ("Tom Baker", "tomtech", "GB", "GBP"),
        ("Li Wei", "liweilive", "CN", "CNY"),
        ("Marie Dupont", "mariestyle", "FR", "EUR"),
    ]
    for legal, stage, country, currency in names[: 10 - len(contracts)]:
        creator = Creator.objects.create(
            legal_name=legal,
            stage_name=stage,
            country=country,
            payout_currency=currency,
            status=Creator.Status.ACTIVE,
            talent_manager=manager,
            sub_agency=guild,
        )
        contracts.append(
            Contract.objects.create(creator=creator, starts_on=start, payout_currency=currency)
        )
    stdout.write(f"  {len(contracts)} creators on contract")
    return contracts


def _rates(first: dt.date, last: dt.date, currencies: set[str]) -> None:
    rng = random.Random(7)
    rows = []
    for quote in sorted(currencies & USD_RATES.keys()):
        base_rate = Decimal(USD_RATES[quote])
        day = first
        while day <= last:
            drift = Decimal(1) + Decimal(rng.randint(-150, 150)) / Decimal(10000)
            rows.append(
                ExchangeRate(
                    base="USD",
                    quote=quote,
                    valid_on=day,
                    rate=(base_rate * drift).quantize(Decimal("0.000001")),
                    source="demo",
                )
            )
            day += dt.timedelta(days=1)
    ExchangeRate.objects.bulk_create(rows, ignore_conflicts=True)


def _event_currencies(payout: str) -> list[str]:
    """Currencies a creator's events come in: ones with a demo rate to the payout currency."""
    if payout == "USD":
        return ["USD", "USD", "EUR", "JPY"]
    if payout in USD_RATES:
        return [payout, payout, "USD"]
    return [payout]


def _from_usd(usd: Decimal, currency: str) -> Decimal:
    factor = Decimal(1) if currency == "USD" else Decimal(USD_RATES[currency])
    return (usd * factor).quantize(Decimal(1).scaleb(-exponent(currency)))


def _advance_amount(currency: str) -> Decimal:
    if currency == "USD" or currency in USD_RATES:
        return _from_usd(Decimal(2000), currency)
    return Decimal(2000)


# What each demo stream's statement line says (a partner sends its own description).
DEMO_DESCRIPTIONS = {
    "brand_deal": "Sponsored video",
    "live_gifts": "LIVE gifts report",
    "live_commerce": "Live shopping sales",
    "affiliate": "Shop affiliate commissions",
    "creator_fund": "Creator Rewards",
    "agency_service": "Appearance fee",
}


def seed(*, stdout) -> None:
    # Long on purpose: the demo money story as one script read top to bottom (two months of
    # revenue, closes, payouts); each block uses what the previous one made.
    today = timezone.localdate()
    current = month_start(today)
    previous = month_start(current - dt.timedelta(days=1))
    first_month = month_start(previous - dt.timedelta(days=1))  # two months back
    maker, checker = _user("ops.olga"), _user("ops.pete")
    contracts = _roster(first_month, stdout)
    currencies = {c.creator.payout_currency for c in contracts} | {"EUR", "JPY"}
    _rates(first_month - dt.timedelta(days=10), today, currencies)
    stdout.write(f"  FX rates for USD against {', '.join(sorted(currencies & USD_RATES.keys()))}")

    for contract in contracts:
        priced_in_usd = contract.creator.payout_currency in USD_RATES.keys() | {"USD"}
        for stream, (rate, mgr, sub, basis, tiers, _) in PLAN_TERMS.items():
            if CommissionPlan.objects.filter(contract=contract, stream=stream).exists():
                continue
            plan = plans.commission_plan_propose(
                contract=contract,
                stream=stream,
                effective_from=contract.starts_on,
                agency_rate=rate,
                manager_share=mgr,
                sub_agency_share=sub,
                basis=basis,
                tiers=tiers if priced_in_usd else [],
                currency="USD" if priced_in_usd else contract.payout_currency,
                created_by=maker,
            )
            plans.commission_plan_approve(plan=plan, approved_by=checker)

    data_partner = Partner.objects.filter(kind=Partner.Kind.DATA_PARTNER).first()
    rng = random.Random(42)
    rows: list[EventInput] = []
    month = first_month
    while month <= current:
        last_day = min(next_month(month) - dt.timedelta(days=1), today)
        for contract in contracts:
            creator = contract.creator
            for stream, terms in PLAN_TERMS.items():
                low, high = terms[-1]
                currency = rng.choice(_event_currencies(creator.payout_currency))
                usd = Decimal(rng.randint(low * 100, high * 100)) / 100
                gross = _from_usd(usd, currency)
                places = Decimal(1).scaleb(-exponent(currency))
                fee = (gross * FEE_SHARE.get(stream, Decimal(0))).quantize(places)
                day = month + dt.timedelta(days=rng.randint(0, (last_day - month).days))
                rows.append(
                    EventInput(
                        stream=stream,
                        creator_id=creator.pk,
                        occurred_on=day,
                        gross=str(gross),
                        platform_fee=str(fee),
                        currency=currency,
                        source_type="demo",
                        source_id=f"{creator.pk}-{stream}-{month:%Y%m}",
                        description=f"{DEMO_DESCRIPTIONS[stream]}, {month:%B %Y}",
                    )
                )
        month = next_month(month)
    rows.sort(key=lambda r: r.occurred_on)
    created, _ = revenue_events_ingest(rows=rows, partner=data_partner, today=today)
    stdout.write(f"  {len(created)} revenue events over six streams")

    lucky = contracts[0].creator
    approver = _user("finance.ben", finance=True)  # four eyes: maker records, finance approves
    advance = advances.advance_record(
        creator=lucky,
        amount_minor=to_minor(_advance_amount(lucky.payout_currency), lucky.payout_currency),
        recoup_cap_rate="0.30",
        issued_on=first_month,
        recorded_by=maker,
    )
    advances.advance_approve(advance=advance, approved_by=approver)
    expense = advances.expense_record(
        creator=contracts[1].creator,
        amount_minor=to_minor(
            _advance_amount(contracts[1].creator.payout_currency) / 4,
            contracts[1].creator.payout_currency,
        ),
        description="Studio rental for a sponsored shoot",
        incurred_on=first_month + dt.timedelta(days=3),
        recorded_by=maker,
    )
    advances.expense_approve(expense=expense, approved_by=approver)

    revenue_events_lock_due(today=today)
    paid = remittances_for_locked(
        events=RevenueEvent.objects.filter(source_type="demo"),
        partner=data_partner,
        today=today,
        prefix="demo",
    )
    stdout.write(f"  {paid} remittances from the platforms paid the events out of their hold")

    for contract in contracts:
        for period in (first_month, next_month(first_month)):
            statement_close(creator=contract.creator, period=period)
    stdout.write("  two months closed, the current month open")

    # A late refund of a closed month's brand deal: clawed back in the open month.
    original = (
        RevenueEvent.objects.filter(
            creator=lucky, stream=Stream.BRAND_DEAL, occurred_on__lt=next_month(first_month)
        )
        .order_by("pk")
        .first()
    )
    if original is not None:
        revenue_events_ingest(
            rows=[
                EventInput(
                    stream=original.stream,
                    kind=RevenueEvent.Kind.REFUND,
                    creator_id=lucky.pk,
                    occurred_on=today,
                    gross=str(to_major(original.gross_minor // 4, original.currency)),
                    currency=original.currency,
                    source_type="demo",
                    source_id=f"refund-{original.pk}",
                    refund_of_source_id=original.source_id,
                )
            ],
            partner=original.partner,
            today=today,
        )

    preparer = _user("finance.anna", finance=True)
    _user("finance.ben", finance=True)
    batch_count = 0
    for currency in sorted({c.creator.payout_currency for c in contracts}):
        if payouts.payout_batch_prepare(currency=currency, prepared_by=preparer):
            batch_count += 1
    stdout.write(f"  {batch_count} payout batches drafted for finance.ben to approve")
