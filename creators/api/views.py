"""The creators partner API: roster reads (scoped in get_queryset) and metrics ingestion."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.request import Request
from rest_framework.response import Response

from agency.api.views import (
    PartnerAPIView,
    PartnerListAPIView,
    PartnerRetrieveAPIView,
    idempotency_key_parameter,
)
from agency.errors import NotFound
from agency.models import Partner
from creators import selectors
from creators.api import serializers as s
from creators.api import waves
from creators.api.filters import CreatorFilter
from creators.models import Creator
from creators.services.ingestion import MAX_BATCH_ROWS, metrics_ingest

READERS = (Partner.Kind.BRAND.value, Partner.Kind.SUB_AGENCY.value)
NO_SNAPSHOT = "No snapshot on or before that date."


class _CreatorScoped:
    partner_kinds = READERS

    def get_serializer_context(self) -> dict:
        context = super().get_serializer_context()
        context["private"] = self.partner.kind == Partner.Kind.SUB_AGENCY
        return context


@extend_schema(
    summary="List creators",
    responses=s.CreatorSerializer(many=True),
    description=(
        "Sub-agencies: their own creators with private fields. Brands: the public profile "
        "of active creators. Data partners: not available."
    ),
)
class CreatorListApi(_CreatorScoped, PartnerListAPIView):
    queryset = Creator.objects.none()
    serializer_class = s.CreatorSerializer
    filterset_class = CreatorFilter

    def get_partner_queryset(self, partner: Partner):
        return selectors.creator_list_for_partner(partner=partner)

    def filter_queryset(self, queryset):
        """Without a filter parameter the queryset is the answer: building the filter set and
        its form would cost more than rendering the page."""
        if self.request.query_params.keys().isdisjoint(self.filterset_class.base_filters):
            return queryset
        return super().filter_queryset(queryset)

    def list(self, request: Request, *args, **kwargs) -> Response:
        """Flat rows for the page (counted in the same query) and one query for their
        accounts (no object per row)."""
        rows = self.paginator.paginate_rows(
            selectors.creator_rows(self.filter_queryset(self.get_queryset())), request, self
        )
        accounts = selectors.accounts_by_creator(creator_ids=[row["id"] for row in rows])
        private = self.get_serializer_context()["private"]
        return self.get_paginated_response(s.creator_list_data(rows, accounts, private=private))


@extend_schema(summary="A creator's profile", responses=s.CreatorSerializer)
class CreatorDetailApi(_CreatorScoped, PartnerRetrieveAPIView):
    queryset = Creator.objects.none()
    serializer_class = s.CreatorSerializer

    def get_partner_queryset(self, partner: Partner):
        return selectors.creator_list_for_partner(partner=partner)


def _as_of(request: Request):
    query = s.AsOfQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    return query.validated_data.get("as_of")


AS_OF_PARAMETER = OpenApiParameter(
    "as_of", type=str, description="YYYY-MM-DD; the latest snapshot on or before it."
)


class CreatorPerformanceApi(PartnerAPIView):
    partner_kinds = READERS

    @extend_schema(
        summary="A creator's performance snapshot (7, 28, 90 days)",
        parameters=[AS_OF_PARAMETER],
        responses=waves.PerformanceWithWavesSerializer,
    )
    def get(self, request: Request, pk: int) -> Response:
        as_of = _as_of(request)
        creator = generics.get_object_or_404(
            selectors.creator_scope_for_partner(partner=self.partner), pk=pk
        )
        found, windows, accounts = selectors.creator_performance(creator=creator, as_of=as_of)
        if found is None:
            raise NotFound(NO_SNAPSHOT)
        data = {"creator_id": creator.pk, "as_of": found, "windows": windows, "accounts": accounts}
        summaries = selectors.creator_waves(creator=creator, as_of=found)
        trend = selectors.creator_wave_history(creator=creator, as_of=found)
        data["waves"] = {"windows": summaries, "trend": trend} if summaries else None
        data["restrictions"] = selectors.account_restrictions(creator=creator, as_of=found)
        return Response(waves.PerformanceWithWavesSerializer(data).data)


class CreatorEligibilityApi(PartnerAPIView):
    """Monetisation readiness, with earnings estimates: the creator's sub-agency only."""

    partner_kinds = (Partner.Kind.SUB_AGENCY.value,)

    @extend_schema(
        summary="A creator's eligibility for every monetisation program",
        parameters=[AS_OF_PARAMETER],
        responses=s.EligibilityOutputSerializer,
    )
    def get(self, request: Request, pk: int) -> Response:
        as_of = _as_of(request)
        creator = generics.get_object_or_404(
            selectors.creator_scope_for_partner(partner=self.partner), pk=pk
        )
        found, results = selectors.creator_eligibility(creator=creator, as_of=as_of)
        if found is None:
            raise NotFound(NO_SNAPSHOT)
        data = {"creator_id": creator.pk, "as_of": found, "results": results}
        return Response(s.EligibilityOutputSerializer(data).data)


class _IngestApi(PartnerAPIView):
    """Bulk upsert by natural key, all or nothing. At most MAX_BATCH_ROWS rows."""

    partner_kinds = (Partner.Kind.DATA_PARTNER.value,)
    kind: str
    input_serializer: type

    def post(self, request: Request) -> Response:
        body = self.input_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        result = metrics_ingest(
            kind=self.kind, rows=body.validated_data["rows"], dry_run=body.validated_data["dry_run"]
        )
        return Response(s.IngestionOutputSerializer(result.as_dict()).data)


_INGEST_DESCRIPTION = (
    f"At most {MAX_BATCH_ROWS} rows; more is a 400. Every row is validated first; if any is "
    "bad nothing is written and each bad row is reported under `fields.rows.<index>` with "
    "its field and reason. Rows match accounts by (platform, platform_account_id), else by "
    "the handle held on the row's date. Re-sending the same rows changes nothing."
)


class DailyMetricsIngestApi(_IngestApi):
    kind = "daily"
    input_serializer = s.DailyIngestInput

    @extend_schema(
        summary="Upsert daily account metrics",
        description=_INGEST_DESCRIPTION,
        request=s.DailyIngestDoc,
        responses=s.IngestionOutputSerializer,
        parameters=[idempotency_key_parameter],
    )
    def post(self, request: Request) -> Response:
        return super().post(request)


class VideoMetricsIngestApi(_IngestApi):
    kind = "videos"
    input_serializer = s.VideoIngestInput

    @extend_schema(
        summary="Upsert video metrics",
        description=_INGEST_DESCRIPTION,
        request=s.VideoIngestDoc,
        responses=s.IngestionOutputSerializer,
        parameters=[idempotency_key_parameter],
    )
    def post(self, request: Request) -> Response:
        return super().post(request)


class VideoDailyMetricsIngestApi(_IngestApi):
    kind = "video_daily"
    input_serializer = s.VideoDailyIngestInput

    @extend_schema(
        summary="Upsert daily video metrics (one row per video and day of its life)",
        description=_INGEST_DESCRIPTION
        + " The video must be stored already (matched by account and platform_video_id);"
        " a day before its posting date is refused. Counts are that day's, not running totals."
        " A day that has hourly rows is refused: its daily row is the sum of its hours.",
        request=s.VideoDailyIngestDoc,
        responses=s.IngestionOutputSerializer,
        parameters=[idempotency_key_parameter],
    )
    def post(self, request: Request) -> Response:
        return super().post(request)


class VideoHourlyMetricsIngestApi(_IngestApi):
    kind = "video_hourly"
    input_serializer = s.VideoHourlyIngestInput

    @extend_schema(
        summary="Upsert hourly video metrics (intraday rows, one per video and hour)",
        description=_INGEST_DESCRIPTION
        + " As the daily video rows, for one hour (UTC): `hour` is any time in it, stored as"
        " the hour's start; an hour before the video's posting hour is refused. Counts are"
        " that hour's, not running totals. Each day the rows touch gets its daily row"
        " rewritten as the sum of its hours; waves use them for the hour a video reached its"
        " pool.",
        request=s.VideoHourlyIngestDoc,
        responses=s.IngestionOutputSerializer,
        parameters=[idempotency_key_parameter],
    )
    def post(self, request: Request) -> Response:
        return super().post(request)
