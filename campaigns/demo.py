"""Campaigns demo data: brands (linked to the demo brand partners), deals in every state,
live sessions, ad accounts with spend, services, affiliate orders and invoices.

Uses USD creators with approved commission plans (seeded by the creators and billing demos);
creates a few on contract when there are none. Money is booked today or later than the
months billing's demo closed, so nothing lands in a closed statement.
"""

import datetime as dt
import random
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone

from agency.errors import ApplicationError
from agency.models import Partner
from billing.demo import remittances_for_locked
from billing.models import RevenueEvent, Stream
from billing.services import plans
from billing.services.events import revenue_events_lock_due
from campaigns.models import (
    AdAccount,
    AffiliateLink,
    Brand,
    DealStatus,
    Deliverable,
    LiveOperationPrice,
    LiveSession,
    ServiceAgreement,
    ServiceUnit,
)
from campaigns.services import affiliate, deals, invoices, live, operations
from creators.models import Contract, Creator, Platform, PlatformAccount, Video

BRANDS = [
    ("Glow Cosmetics", 30),
    ("Nimbus Audio", 45),
    ("Lumen Tea", 60),
]
PIPELINE = [
    DealStatus.LEAD,
    DealStatus.NEGOTIATING,
    DealStatus.CONTRACTED,
    DealStatus.IN_PRODUCTION,
    DealStatus.DELIVERED,
    DealStatus.APPROVED,
    DealStatus.INVOICED,
    DealStatus.PAID,
    DealStatus.CANCELLED,
]


def _staff(username: str):
    user, created = get_user_model().objects.get_or_create(
        username=username, defaults={"is_staff": True, "email": f"{username}@agency.test"}
    )
    if created:
        user.set_unusable_password()
        user.save()
    return user


def _creators(today: dt.date, stdout) -> list[Creator]:
    """USD creators with every stream's plan in force today (at most eight)."""
    chosen = []
    for creator in Creator.objects.filter(
        payout_currency="USD", status=Creator.Status.ACTIVE
    ).order_by("pk")[:200]:
        try:
            for stream in Stream.values:
                plans.commission_plan_in_force(creator=creator, stream=stream, on=today)
        except ApplicationError:
            continue
        chosen.append(creator)
        if len(chosen) == 8:
            break
    if len(chosen) >= 3:
        return chosen
    maker, checker = _staff("ops.olga"), _staff("ops.pete")
    start = today - dt.timedelta(days=200)
    for stage in ["gloria.glam", "beatsbyray", "teatime.tess"][: 3 - len(chosen)]:
        creator = Creator.objects.create(
            legal_name=stage.replace(".", " ").title(),
            stage_name=stage,
            country="US",
            payout_currency="USD",
            status=Creator.Status.ACTIVE,
        )
        contract = Contract.objects.create(creator=creator, starts_on=start, payout_currency="USD")
        for stream in Stream.values:
            plan = plans.commission_plan_propose(
                contract=contract,
                stream=stream,
                effective_from=start,
                agency_rate="0.20",
                manager_share="0",
                sub_agency_share="0",
                basis="gross",
                tiers=[],
                currency="USD",
                created_by=maker,
            )
            plans.commission_plan_approve(plan=plan, approved_by=checker)
        chosen.append(creator)
    stdout.write(f"  {len(chosen)} creators for campaigns")
    return chosen


def _account(creator: Creator) -> PlatformAccount:
    account = creator.accounts.order_by("pk").first()
    if account is None:
        account = PlatformAccount.objects.create(
            creator=creator,
            platform=Platform.TIKTOK,
            platform_account_id=f"demo-{creator.pk}",
            handle=creator.stage_name.replace(" ", "_")[:90],
        )
    return account


def _brands() -> list[Brand]:
    out = []
    for name, net_days in BRANDS:
        partner = Partner.objects.filter(name=name, kind=Partner.Kind.BRAND).first()
        brand, _ = Brand.objects.get_or_create(
            name=name, defaults={"partner": partner, "default_net_days": net_days}
        )
        out.append(brand)
    return out


def _deals(brands, creators, today, staff, rng) -> int:
    count = 0
    for i, target in enumerate(PIPELINE * 2):
        brand = brands[i % len(brands)]
        team = rng.sample(creators, k=min(len(creators), 1 + i % 3))
        deal = deals.deal_create(
            brand=brand,
            title=f"{brand.name}: {rng.choice(['launch', 'holiday', 'review', 'duet'])} #{i + 1}",
            brief="Sponsored short videos with a product close-up.",
            fee_minor=rng.randint(8, 60) * 100_00,
            currency="USD",
            creator_shares=[(c.pk, Decimal(rng.choice([1, 1, 2]))) for c in team],
            deliverables=[
                deals.DeliverableSpec(
                    c.pk,
                    rng.choice(Deliverable.Type.values),
                    today + dt.timedelta(days=rng.randint(-5, 20)),
                )
                for c in team
            ],
            actor=staff,
        )
        _advance(deal, target, today, staff)
        count += 1
    return count


def _advance(deal, target: str, today: dt.date, staff) -> None:
    if target == DealStatus.CANCELLED:
        deals.deal_transition(deal=deal, to_status=target, actor=staff, note="Budget cut")
        return
    for status in PIPELINE[1 : PIPELINE.index(target) + 1]:
        if status == DealStatus.DELIVERED:
            for item in deal.deliverables.all():
                video = Video.objects.filter(account__creator_id=item.creator_id).first()
                deals.deliverable_submit(
                    deliverable=item,
                    posted_url=f"https://www.tiktok.com/@demo/video/{item.pk}",
                    video=video,
                    actor=staff,
                )
        if status == DealStatus.APPROVED:
            for item in deal.deliverables.all():
                deals.deliverable_review(deliverable=item, approve=True, actor=staff)
            deal.refresh_from_db()
            if deal.status == DealStatus.APPROVED:
                continue
        if status == DealStatus.INVOICED:
            invoices.invoice_for_deal(deal=deal, actor=staff, on=today)
            continue
        if status == DealStatus.PAID:
            invoice = deal.invoiceline_set.get().invoice
            invoices.invoice_payment_record(invoice=invoice, paid_on=today, actor=staff)
            continue
        deals.deal_transition(deal=deal, to_status=status, actor=staff)


def _live(brands, creators, today, rng) -> int:
    sessions = []
    now = timezone.now()
    # The demo's clients pay in USD: a USD price list, so a USD 560 fee shows as off the list.
    LiveOperationPrice.objects.get_or_create(
        currency="USD",
        effective_from=dt.date(2020, 1, 1),
        defaults={"min_fee_minor": 400_00, "max_fee_minor": 550_00, "standard_fee_minor": 500_00},
    )
    for day in range(1, 21):
        creator = creators[day % len(creators)]
        start = now - dt.timedelta(days=day, hours=rng.randint(0, 6))
        operated = day % 3 == 0
        gmv = rng.randint(0, 8000) * 100
        sessions.append(
            LiveSession(
                creator=creator,
                account=_account(creator),
                started_at=start,
                ended_at=start + dt.timedelta(minutes=rng.randint(60, 240)),
                # weak, average and excellent conversion (orders / viewers) in turn
                viewers=(viewers := 5_000 + day * 1_500),
                peak_viewers=viewers // 8,
                product_clicks=viewers // 6,
                orders=viewers * (4, 30, 65)[day % 3] // 1000,
                diamonds=(diamonds := rng.randint(2_000, 90_000)),
                gifts_value_minor=diamonds // 2,  # a diamond is worth about half a cent
                gmv_minor=gmv,
                refunds_minor=gmv // rng.randint(8, 20),
                commerce_commission_rate=Decimal("0.10"),
                currency="USD",
                operated_by_agency=operated,
                client=brands[day % 2] if operated else None,
                operation_fee_minor=rng.choice([450_00, 500_00, 560_00]) if operated else 0,
            )
        )
    LiveSession.objects.bulk_create(sessions)
    for session in LiveSession.objects.filter(ended_at__date__gte=today.replace(day=1)):
        live.live_session_revenue_book(session=session, today=today)
    return len(sessions)


def _ads_and_services(brands, creators, today, rng) -> None:
    glow, nimbus, lumen = brands
    fee = AdAccount.objects.create(
        brand=glow, platform=Platform.TIKTOK, external_id="7301-glow", currency="USD",
        fee_model=AdAccount.FeeModel.FEE, fee_rate=Decimal("0.10"), creator=creators[0],
    )  # fmt: skip
    rebate = AdAccount.objects.create(
        brand=nimbus, platform=Platform.TIKTOK, external_id="7302-nimbus", currency="USD",
        fee_model=AdAccount.FeeModel.REBATE, fee_rate=Decimal("0.05"), creator=creators[1],
    )  # fmt: skip
    for day in range(1, 41):
        for account in (fee, rebate):
            operations.ad_spend_record(
                ad_account=account,
                spent_on=today - dt.timedelta(days=day),
                amount_minor=rng.randint(200, 1500) * 100,
            )
    last_month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    operations.ad_rebate_book(ad_account=rebate, month=last_month)
    start = today - dt.timedelta(days=90)
    ServiceAgreement.objects.create(
        client=glow, kind=ServiceAgreement.Kind.ACCOUNT_OPERATION,
        billing=ServiceAgreement.Billing.RETAINER, price_minor=3_000_00, currency="USD",
        starts_on=start, creator=creators[0],
    )  # fmt: skip
    production = ServiceAgreement.objects.create(
        client=nimbus, kind=ServiceAgreement.Kind.CONTENT_PRODUCTION,
        billing=ServiceAgreement.Billing.PER_UNIT, price_minor=250_00, currency="USD",
        starts_on=start,
    )  # fmt: skip
    ServiceAgreement.objects.create(
        client=lumen, kind=ServiceAgreement.Kind.DATA_TOOLS,
        billing=ServiceAgreement.Billing.RETAINER, price_minor=400_00, currency="USD",
        starts_on=start,
    )  # fmt: skip
    for week in range(8):
        ServiceUnit.objects.create(
            agreement=production,
            performed_on=today - dt.timedelta(days=7 * week + 1),
            quantity=rng.randint(1, 4),
            description="Short video edit",
        )


def _client_invoices(brands, today) -> int:
    """Last month's client invoices: Glow's paid, Nimbus's issued, Lumen's overdue."""
    last_month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    glow, nimbus, lumen = brands
    count = 0
    for brand in (glow, nimbus):
        draft = operations.client_month_invoice_draft(brand=brand, month=last_month, currency="USD")
        if draft is None:
            continue
        issued = invoices.invoice_issue(invoice=draft, on=today)
        count += 1
        if brand == glow:
            invoices.invoice_payment_record(invoice=issued, paid_on=today)
    # Lumen's data-tools retainer (no creator, so no earnings) was billed two months ago.
    two_months = (last_month - dt.timedelta(days=1)).replace(day=1)
    draft = operations.client_month_invoice_draft(brand=lumen, month=two_months, currency="USD")
    if draft is not None:
        invoices.invoice_issue(invoice=draft, on=today - dt.timedelta(days=75))
        count += 1
    invoices.invoices_flag_overdue(today=today)
    return count


def _affiliate(creators, today, rng) -> int:
    orders = 0
    for i, creator in enumerate(creators):
        link = AffiliateLink.objects.create(
            creator=creator,
            platform=Platform.TIKTOK,
            code=f"https://shop.tiktok.test/{creator.pk}/serum",
            clicks=rng.randint(300, 3000),
        )
        for n in range(rng.randint(2, 40) if i % 3 else rng.randint(0, 5)):
            order = affiliate.affiliate_order_record(
                link=link,
                external_id=f"demo-{creator.pk}-{n}",
                product=rng.choice(["Glow serum", "Tinted balm", "Earbuds case"]),
                gmv_minor=rng.randint(15, 90) * 100,
                currency="USD",
                commission_rate=Decimal(rng.choice(["0.08", "0.12", "0.20"])),
                ordered_on=today - dt.timedelta(days=rng.randint(0, 25)),
            )
            orders += 1
            if n % 7 == 3:
                affiliate.affiliate_refund_record(
                    order=order,
                    external_id=f"demo-r-{order.pk}",
                    amount_minor=order.gmv_minor // 2,
                    refunded_on=order.ordered_on + dt.timedelta(days=2),
                    today=today,
                )
    affiliate.affiliate_orders_settle_due(today=today)
    return orders


def seed(*, stdout) -> None:
    today = timezone.localdate()
    rng = random.Random(5)
    staff = _staff("ops.olga")
    creators = _creators(today, stdout)
    brands = _brands()
    stdout.write(f"  brands: {', '.join(b.name for b in brands)}")
    stdout.write(f"  {_deals(brands, creators, today, staff, rng)} deals in every pipeline state")
    stdout.write(f"  {_live(brands, creators, today, rng)} live sessions")
    _ads_and_services(brands, creators, today, rng)
    stdout.write("  ad accounts (fee and rebate) with 40 days of spend; retainers and units")
    stdout.write(f"  {_client_invoices(brands, today)} client invoices (paid, issued, overdue)")
    stdout.write(f"  {_affiliate(creators, today, rng)} affiliate orders")
    revenue_events_lock_due(today=today)
    platform = RevenueEvent.objects.filter(
        partner__isnull=True,
        stream__in=[Stream.LIVE_GIFTS, Stream.LIVE_COMMERCE, Stream.AFFILIATE],
    )
    paid = remittances_for_locked(events=platform, partner=None, today=today, prefix="platform")
    stdout.write(f"  {paid} platform remittances paid the live and affiliate earnings due")
