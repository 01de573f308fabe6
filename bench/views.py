"""Bare Django views: the same rows as the partner API, read with ``.values()`` and returned
as JSON, with no authentication, serializers or pagination. The API benchmark's floor."""

from django.db.models import OuterRef, Subquery
from django.http import JsonResponse

from billing.models import Statement, StatementLine
from creators.models import Creator, CreatorPerformance, PlatformAccount
from creators.models.performance import TIER_WINDOW

CREATOR_FIELDS = [
    "id",
    "stage_name",
    "country",
    "legal_name",
    "date_of_birth",
    "status",
    "payout_currency",
    "created_at",
]


def bare_creator_list(request):
    """Page 1 of a sub-agency's creators (100 by stage name), their latest 28-day snapshot
    and their accounts: two queries."""
    sub_agency = int(request.GET["sub_agency"])
    size = int(request.GET.get("page_size", 100))
    latest = CreatorPerformance.objects.filter(
        creator=OuterRef("pk"), window_days=TIER_WINDOW
    ).order_by("-as_of")
    rows = list(
        Creator.objects.filter(sub_agency_id=sub_agency)
        .annotate(
            latest_as_of=Subquery(latest.values("as_of")[:1]),
            latest_score=Subquery(latest.values("score")[:1]),
            latest_tier=Subquery(latest.values("tier")[:1]),
        )
        .order_by("stage_name", "pk")
        .values(*CREATOR_FIELDS, "latest_as_of", "latest_score", "latest_tier")[:size]
    )
    accounts: dict[int, list] = {}
    for account in (
        PlatformAccount.objects.filter(creator_id__in=[r["id"] for r in rows])
        .order_by("platform", "handle")
        .values("id", "creator_id", "platform", "handle", "niche")
    ):
        accounts.setdefault(account.pop("creator_id"), []).append(account)
    for row in rows:
        row["accounts"] = accounts.get(row["id"], [])
    return JsonResponse({"results": rows})


def bare_statement_detail(request, pk: int):
    statement = (
        Statement.objects.filter(pk=pk)
        .values(
            "id",
            "creator_id",
            "creator__stage_name",
            "period",
            "currency",
            "status",
            "opening_minor",
            "closing_minor",
            "closed_at",
        )
        .get()
    )
    statement["lines"] = list(
        StatementLine.objects.filter(statement_id=pk)
        .order_by("occurred_on", "pk")
        .values(
            "id",
            "kind",
            "occurred_on",
            "description",
            "original_currency",
            "gross_minor",
            "fee_minor",
            "agency_minor",
            "manager_minor",
            "sub_agency_minor",
            "fx_rate",
            "net_minor",
        )
    )
    return JsonResponse(statement)
