"""Affiliate and shop sales: orders, settlement, refunds and clawbacks, conversion grades.

Commission arithmetic (integers in minor units, one rounding, half to even):
    commission(order) = round(rate x (GMV - refunded GMV))
- Before settlement a refund only lowers the refunded GMV; the event booked at settlement
  carries the commission on what is left.
- After settlement each refund claws back
      settled commission - round(rate x (GMV - refunded so far)) - clawed back earlier
  as a billing refund event linked to the order's event. Computing from the cumulative
  refund (not per refund) means the clawbacks of any sequence of partial refunds sum to
  exactly the settled commission when the order is fully refunded.
"""

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from agency.errors import ApplicationError, Conflict
from agency.models import Partner
from agency.money import CURRENCY_EXPONENTS, round_minor
from billing.models import RevenueEvent, Stream
from campaigns.models import AffiliateLink, AffiliateOrder, AffiliateRefund
from campaigns.services.revenue import SOURCE_AFFILIATE, Booking, revenue_book

# TikTok Shop pays affiliate commission about 15 days after delivery (domain.md).
DEFAULT_SETTLEMENT_DAYS = 15
MAX_SETTLEMENT_DAYS = 365
MIN_RATE, MAX_RATE = Decimal("0.01"), Decimal("0.80")


def commission_minor(*, gmv_minor: int, refunded_minor: int, rate: Decimal) -> int:
    return round_minor((gmv_minor - refunded_minor) * rate)


@transaction.atomic
def affiliate_order_record(
    *,
    link: AffiliateLink,
    external_id: str,
    product: str,
    gmv_minor: int,
    currency: str,
    commission_rate: Decimal,
    ordered_on: dt.date,
    settlement_days: int = DEFAULT_SETTLEMENT_DAYS,
    partner: Partner | None = None,
) -> AffiliateOrder:
    """Record a shop order (a second report of the same order id by the same reporter returns
    the first). The settlement date is the order date plus the shop's hold period."""
    existing = AffiliateOrder.objects.filter(partner=partner, external_id=external_id).first()
    if existing is not None:
        return existing
    errors = {}
    if not MIN_RATE <= Decimal(commission_rate) <= MAX_RATE:
        errors["commission_rate"] = "Must be between 0.01 and 0.80 (1-80 %)."
    if gmv_minor <= 0:
        errors["gmv"] = "Must be positive."
    if currency not in CURRENCY_EXPONENTS:
        errors["currency"] = "Unknown currency."
    if not 0 <= settlement_days <= MAX_SETTLEMENT_DAYS:
        errors["settlement_days"] = f"Must be between 0 and {MAX_SETTLEMENT_DAYS}."
    if errors:
        raise ApplicationError("Invalid order.", extra=errors)
    return AffiliateOrder.objects.create(
        link=link,
        partner=partner,
        external_id=external_id,
        product=product,
        gmv_minor=gmv_minor,
        currency=currency,
        commission_rate=commission_rate,
        ordered_on=ordered_on,
        settles_on=ordered_on + dt.timedelta(days=settlement_days),
    )


@transaction.atomic
def affiliate_order_settle(*, order: AffiliateOrder, today: dt.date) -> AffiliateOrder:
    """Settle a due order: its commission on the unrefunded GMV becomes an affiliate revenue
    event dated the settlement day. A fully refunded order books nothing. Safe to rerun."""
    order = AffiliateOrder.objects.select_for_update().select_related("link").get(pk=order.pk)
    if order.status != AffiliateOrder.Status.PENDING:
        return order
    if order.settles_on > today:
        raise Conflict(f"The order settles on {order.settles_on}.")
    if order.refunded_minor >= order.gmv_minor:
        order.status = AffiliateOrder.Status.REFUNDED
        order.save(update_fields=["status"])
        return order
    commission = commission_minor(
        gmv_minor=order.gmv_minor, refunded_minor=order.refunded_minor, rate=order.commission_rate
    )
    revenue_book(
        bookings=[
            Booking(
                stream=Stream.AFFILIATE,
                creator_id=order.link.creator_id,
                occurred_on=order.settles_on,
                gross_minor=commission,
                currency=order.currency,
                source_type=SOURCE_AFFILIATE,
                source_id=str(order.pk),
            )
        ],
        today=today,
    )
    order.status = AffiliateOrder.Status.SETTLED
    order.settled_commission_minor = commission
    order.save(update_fields=["status", "settled_commission_minor"])
    return order


def affiliate_orders_settle_due(*, today: dt.date) -> int:
    """Settle every pending order whose settlement date has come (each in its own
    transaction, so one order's problem does not hold back the others)."""
    due = AffiliateOrder.objects.filter(
        status=AffiliateOrder.Status.PENDING, settles_on__lte=today
    ).values_list("pk", flat=True)
    settled = 0
    for pk in list(due):
        affiliate_order_settle(order=AffiliateOrder(pk=pk), today=today)
        settled += 1
    return settled


@transaction.atomic
def affiliate_refund_record(
    *,
    order: AffiliateOrder,
    external_id: str,
    amount_minor: int,
    refunded_on: dt.date,
    today: dt.date | None = None,
) -> AffiliateRefund:
    """A full or partial refund of an order's GMV (a second report of the same refund id
    returns the first). After settlement the commission is clawed back proportionally."""
    existing = AffiliateRefund.objects.filter(order=order, external_id=external_id).first()
    if existing is not None:
        return existing
    order = AffiliateOrder.objects.select_for_update().select_related("link").get(pk=order.pk)
    if amount_minor <= 0:
        raise ApplicationError("A refund amount is positive.", extra={"amount": amount_minor})
    if order.refunded_minor + amount_minor > order.gmv_minor:
        raise ApplicationError(
            "Refunds would exceed the order's GMV.",
            extra={"refundable_minor": order.gmv_minor - order.refunded_minor},
        )
    order.refunded_minor += amount_minor
    after_settlement = order.status == AffiliateOrder.Status.SETTLED
    clawback = 0
    if after_settlement:
        earlier = order.refunds.aggregate(c=Sum("clawback_minor"))["c"] or 0
        remaining = commission_minor(
            gmv_minor=order.gmv_minor,
            refunded_minor=order.refunded_minor,
            rate=order.commission_rate,
        )
        clawback = order.settled_commission_minor - remaining - earlier
    if order.refunded_minor == order.gmv_minor:
        order.status = AffiliateOrder.Status.REFUNDED
    order.save(update_fields=["refunded_minor", "status"])
    refund = AffiliateRefund.objects.create(
        order=order,
        external_id=external_id,
        amount_minor=amount_minor,
        refunded_on=refunded_on,
        after_settlement=after_settlement,
        clawback_minor=max(clawback, 0),
    )
    if clawback > 0:
        revenue_book(
            bookings=[
                Booking(
                    stream=Stream.AFFILIATE,
                    kind=RevenueEvent.Kind.REFUND,
                    creator_id=order.link.creator_id,
                    occurred_on=refunded_on,
                    gross_minor=clawback,
                    currency=order.currency,
                    source_type=SOURCE_AFFILIATE,
                    source_id=f"{order.pk}:refund:{refund.pk}",
                    refund_of_source_id=str(order.pk),
                )
            ],
            today=today or timezone.localdate(),
        )
    return refund
