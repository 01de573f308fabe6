"""Read queries for the brand API, the admin and jobs: partner-scoped, set-based.

A brand partner sees only the deals, deliverables and invoices of the Brand linked to it
(``Brand.partner``); a partner without a brand sees nothing.
"""

import datetime as dt
from decimal import Decimal

from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from agency.models import Partner
from billing.models import RevenueEvent
from campaigns.models import (
    AdSpend,
    AffiliateLink,
    AffiliateOrder,
    BrandDeal,
    DealCreator,
    DealStatus,
    Deliverable,
    Invoice,
    InvoiceLine,
    LiveSession,
)

# Conversion grades (orders / clicks), from the published benchmarks (weak about 0.6 %,
# average 1-6 %, excellent 5-8 %). The benchmarks overlap, so the boundaries are fixed as:
#   weak       rate <  1 %
#   average    1 % <= rate < 5 %
#   excellent  rate >= 5 %
# A link with no clicks has no grade.
CONVERSION_AVERAGE_FROM = Decimal("0.01")
CONVERSION_EXCELLENT_FROM = Decimal("0.05")


def conversion_grade(*, orders: int, clicks: int) -> str | None:
    if clicks <= 0:
        return None
    rate = Decimal(orders) / Decimal(clicks)
    if rate < CONVERSION_AVERAGE_FROM:
        return "weak"
    if rate < CONVERSION_EXCELLENT_FROM:
        return "average"
    return "excellent"


def affiliate_conversion_by_creator() -> list[dict]:
    """Per creator: clicks, orders (not fully refunded), conversion rate and grade."""
    orders = (
        AffiliateOrder.objects.filter(link__creator=OuterRef("creator"))
        .exclude(status=AffiliateOrder.Status.REFUNDED)
        .values("link__creator")
        .annotate(n=Count("pk"))
        .values("n")
    )
    rows = (
        AffiliateLink.objects.values("creator", "creator__stage_name")
        .annotate(clicks=Sum("clicks"))
        .annotate(orders=Coalesce(Subquery(orders[:1]), Value(0)))
        .order_by("creator__stage_name", "creator")
    )
    out = []
    for row in rows:
        clicks, n = row["clicks"] or 0, row["orders"] or 0
        out.append(
            {
                "creator_id": row["creator"],
                "stage_name": row["creator__stage_name"],
                "clicks": clicks,
                "orders": n,
                "conversion_rate": (Decimal(n) / clicks) if clicks else None,
                "grade": conversion_grade(orders=n, clicks=clicks),
            }
        )
    return out


def deal_list_for_partner(*, partner: Partner) -> QuerySet[BrandDeal]:
    return (
        BrandDeal.objects.filter(brand__partner=partner)
        .select_related("brand")
        .prefetch_related(
            Prefetch(
                "shares",
                queryset=DealCreator.objects.select_related("creator").order_by("pk"),
            )
        )
        .annotate(deliverable_count=Count("deliverables", distinct=True))
        .order_by("-created_at", "-pk")
    )


def deliverable_list_for_partner(*, partner: Partner) -> QuerySet[Deliverable]:
    """Deliverables with their content's results (the linked video's metrics)."""
    return (
        Deliverable.objects.filter(deal__brand__partner=partner)
        .select_related("creator", "video")
        .order_by("due_on", "pk")
    )


def invoice_list_for_partner(*, partner: Partner) -> QuerySet[Invoice]:
    """Issued, paid and void invoices (a draft is not the brand's business yet)."""
    return (
        Invoice.objects.filter(brand__partner=partner)
        .exclude(status=Invoice.Status.DRAFT)
        .select_related("series")
        .prefetch_related(
            Prefetch("lines", queryset=InvoiceLine.objects.filter(is_active=True).order_by("pk"))
        )
        .annotate(
            total_minor=Coalesce(Sum("lines__amount_minor", filter=Q(lines__is_active=True)), 0)
        )
        .order_by("-issued_on", "-pk")
    )


def deliverables_due_between(*, start: dt.date, end: dt.date) -> QuerySet[Deliverable]:
    return (
        Deliverable.objects.filter(due_on__gte=start, due_on__lte=end)
        .exclude(status=Deliverable.Status.APPROVED)
        .select_related("deal__brand", "creator")
    )


def pipeline_value() -> list[dict]:
    """Open and paid deals' fees per state and currency (cancelled ones left out)."""
    return list(
        BrandDeal.objects.exclude(status=DealStatus.CANCELLED)
        .values("status", "currency")
        .annotate(deals=Count("pk"), total=Sum("fee_minor"))
        .order_by("currency", "status")
    )


def live_sessions_between(*, start: dt.date, end: dt.date) -> list[dict]:
    """Sessions that started in [start, end): how many and their commerce GMV, per currency."""
    return list(
        LiveSession.objects.filter(started_at__date__gte=start, started_at__date__lt=end)
        .values("currency")
        .annotate(sessions=Count("pk"), gmv=Sum("gmv_minor"), gifts=Sum("gifts_value_minor"))
        .order_by("currency")
    )


def ad_spend_by_brand(*, start: dt.date, end: dt.date) -> list[dict]:
    return list(
        AdSpend.objects.filter(spent_on__gte=start, spent_on__lt=end)
        .values("ad_account__brand__name", "ad_account__currency")
        .annotate(total=Sum("amount_minor"))
        .order_by("ad_account__currency", "-total")
    )


def overdue_invoices() -> QuerySet[Invoice]:
    return Invoice.objects.filter(is_overdue=True)


def revenue_events_for(*, keys: list[tuple[str, str]]) -> list[RevenueEvent]:
    """The staff-namespace events of these (source type, source id) pairs, in that order."""
    found = {
        (e.source_type, e.source_id): e
        for e in RevenueEvent.objects.filter(
            partner__isnull=True, source_id__in=[k[1] for k in keys]
        )
    }
    return [found[k] for k in keys if k in found]


def invoice_total_minor(invoice: Invoice) -> int:
    return invoice.lines.filter(is_active=True).aggregate(t=Sum("amount_minor"))["t"] or 0
