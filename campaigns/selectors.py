"""Read queries for the brand API, the admin and jobs: partner-scoped, set-based.

A brand partner sees only the deals, deliverables and invoices of the Brand linked to it
(``Brand.partner``); a partner without a brand sees nothing.
"""

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.db.models import (
    Count,
    DateField,
    F,
    IntegerField,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, TruncDate, TruncMonth

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
    LiveHost,
    LiveMonthlyReport,
    LiveOperationPrice,
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
    """Sessions that started in [start, end), per currency: how many, their commerce GMV and
    gifts, and their conversion (orders / viewers) with its grade."""
    rows = list(
        LiveSession.objects.filter(started_at__date__gte=start, started_at__date__lt=end)
        .values("currency")
        .annotate(
            sessions=Count("pk"),
            gmv=Sum("gmv_minor"),
            gifts=Sum("gifts_value_minor"),
            viewers=Sum("viewers"),
            orders=Sum("orders"),
        )
        .order_by("currency")
    )
    for row in rows:
        counts = {"orders": row["orders"] or 0, "viewers": row["viewers"] or 0}
        row["conversion"] = live_conversion_rate(**counts)
        row["grade"] = live_conversion_grade(**counts)
    return rows


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


# --- livestreams: conversion grades, price list, LIVE report reconciliation --------------------


def live_conversion_grade(*, orders: int, viewers: int) -> str | None:
    """A session's or host's conversion (orders / viewers) graded against the thresholds in
    settings (CAMPAIGNS_LIVE_CONVERSION_*; campaigns/README.md). No viewers, no grade."""
    if viewers <= 0:
        return None
    rate = Decimal(orders) / Decimal(viewers)
    if rate < Decimal(settings.CAMPAIGNS_LIVE_CONVERSION_AVERAGE_FROM):
        return "weak"
    if rate < Decimal(settings.CAMPAIGNS_LIVE_CONVERSION_EXCELLENT_FROM):
        return "average"
    return "excellent"


def live_conversion_rate(*, orders: int, viewers: int) -> Decimal | None:
    return (Decimal(orders) / Decimal(viewers)).quantize(Decimal("0.000001")) if viewers else None


def with_price_list(qs: QuerySet[LiveSession]) -> QuerySet[LiveSession]:
    """Annotate the price list's range in force on each session's start day
    (``list_min_minor`` / ``list_max_minor``, None without a price) and ``fee_off_list``."""
    price = LiveOperationPrice.objects.filter(
        currency=OuterRef("currency"), effective_from__lte=OuterRef("start_day")
    ).order_by("-effective_from")
    qs = qs.annotate(start_day=TruncDate("started_at")).annotate(
        list_min_minor=Subquery(price.values("min_fee_minor")[:1]),
        list_max_minor=Subquery(price.values("max_fee_minor")[:1]),
    )
    return qs


def off_list_q() -> Q:
    """Sessions (annotated by ``with_price_list``) whose fee is off the price list."""
    return Q(operation_fee_minor__gt=0) & (
        Q(list_min_minor__isnull=True)
        | Q(operation_fee_minor__lt=F("list_min_minor"))
        | Q(operation_fee_minor__gt=F("list_max_minor"))
    )


def session_fee_off_list(session: LiveSession) -> bool:
    """For a session annotated by ``with_price_list``."""
    fee = session.operation_fee_minor
    if fee <= 0:
        return False
    low, high = session.list_min_minor, session.list_max_minor
    return low is None or not low <= fee <= high


def live_session_list_for_partner(*, partner: Partner) -> QuerySet[LiveSession]:
    """The sessions this data partner reported (another partner's are not found)."""
    return with_price_list(
        LiveSession.objects.filter(partner=partner).select_related("account")
    ).order_by("-started_at", "pk")


def live_hosts(sessions: QuerySet[LiveSession]) -> QuerySet:
    """Per host (creator) over ``sessions``: sessions, viewers, product clicks, orders."""
    return (
        sessions.order_by()
        .values("creator_id", "creator__stage_name")
        .annotate(
            sessions=Count("pk"),
            viewers=Sum("viewers"),
            product_clicks=Sum("product_clicks"),
            orders=Sum("orders"),
        )
        .order_by("creator__stage_name", "creator_id")
    )


def live_host_list_for_partner(*, partner: Partner) -> QuerySet:
    return live_hosts(LiveSession.objects.filter(partner=partner))


def live_host_admin_list() -> QuerySet[LiveHost]:
    """Hosts with at least one session, with their totals (the admin's host grades)."""
    return LiveHost.objects.filter(live_sessions__isnull=False).annotate(
        session_count=Count("live_sessions"),
        viewer_total=Sum("live_sessions__viewers"),
        click_total=Sum("live_sessions__product_clicks"),
        order_total=Sum("live_sessions__orders"),
    )


def affiliate_order_list_for_partner(*, partner: Partner) -> QuerySet[AffiliateOrder]:
    return (
        AffiliateOrder.objects.filter(partner=partner)
        .select_related("link")
        .prefetch_related("refunds")
        .order_by("-ordered_on", "pk")
    )


def ad_spend_list_for_partner(*, partner: Partner) -> QuerySet[AdSpend]:
    return (
        AdSpend.objects.filter(partner=partner)
        .select_related("ad_account")
        .order_by("-spent_on", "pk")
    )


def live_reports_reconciled(qs: QuerySet[LiveMonthlyReport]) -> QuerySet[LiveMonthlyReport]:
    """Each monthly LIVE report beside the sessions of its account and month: how many
    sessions, their diamonds and distinct live days, the gift value their booked revenue
    events carry (``booked_gifts_minor`` in ``sessions_currency``), and the differences
    (report minus sessions)."""
    month_sessions = LiveSession.objects.annotate(
        month=TruncMonth("started_at", output_field=DateField())
    ).filter(account=OuterRef("account"), month=OuterRef("month"))

    def total(expression, **filters):
        return Coalesce(
            Subquery(
                month_sessions.filter(**filters)
                .order_by()
                .values("account")
                .annotate(v=expression)
                .values("v")[:1],
                output_field=IntegerField(),
            ),
            Value(0),
        )

    return qs.annotate(
        session_count=total(Count("pk")),
        session_diamonds=total(Sum("diamonds")),
        session_days=total(Count(TruncDate("started_at"), distinct=True)),
        booked_gifts_minor=total(Sum("gifts_value_minor"), revenue_booked_at__isnull=False),
        sessions_currency=Subquery(
            month_sessions.order_by().values("account").annotate(c=Max("currency")).values("c")[:1]
        ),
    ).annotate(
        diamonds_difference=F("diamonds") - F("session_diamonds"),
        days_difference=F("valid_live_days") - F("session_days"),
    )
