"""Read queries for the API, admin and jobs: partner-scoped, set-based, no N+1."""

from django.db.models import Prefetch, QuerySet

from agency.models import Partner
from billing.models import RevenueEvent, RevenueSplit, Statement, StatementLine


def statement_list_for_partner(*, partner: Partner) -> QuerySet[Statement]:
    """A sub-agency's creators' statements; nothing for any other partner."""
    if partner.kind != Partner.Kind.SUB_AGENCY:
        return Statement.objects.none()
    return (
        Statement.objects.filter(creator__sub_agency=partner)
        .select_related("creator")
        .order_by("-period", "creator_id", "pk")
    )


def statement_detail_for_partner(*, partner: Partner) -> QuerySet[Statement]:
    return statement_list_for_partner(partner=partner).prefetch_related(
        Prefetch("lines", queryset=StatementLine.objects.order_by("occurred_on", "pk"))
    )


def commission_line_list_for_partner(*, partner: Partner) -> QuerySet[RevenueSplit]:
    """The splits that credited this sub-agency (its own commission lines)."""
    if partner.kind != Partner.Kind.SUB_AGENCY:
        return RevenueSplit.objects.none()
    return (
        RevenueSplit.objects.filter(sub_agency=partner)
        .exclude(sub_agency_minor=0)
        .select_related("event")
        .order_by("-pk")
    )


def revenue_event_list_for_partner(*, partner: Partner) -> QuerySet[RevenueEvent]:
    """The events this data partner posted."""
    return RevenueEvent.objects.filter(partner=partner).order_by("-pk")
