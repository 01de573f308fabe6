"""Base classes for partner API views and the platform's own endpoints.

Every partner view scopes its data in ``get_queryset()`` through the request's partner,
so another partner's object is a 404 on every route, list and custom action alike.
"""

from typing import Any

import pghistory
import structlog
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from agency import idempotency
from agency.models import Partner, PartnerAPIKey
from agency.selectors import partner_api_key_list
from agency.services import partner_api_key_revoke

logger = structlog.get_logger(__name__)

IDEMPOTENCY_HEADER = "Idempotency-Key"

idempotency_key_parameter = OpenApiParameter(
    name=IDEMPOTENCY_HEADER,
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        "Makes the POST safe to retry: the same key with the same body returns the first "
        "response; with a different body 422; while the first is running 409. Kept 48 hours."
    ),
)


class PartnerAPIView(APIView):
    """An authenticated partner endpoint. ``partner_kinds`` restricts who may call it."""

    partner_kinds: tuple[str, ...] = ()

    @property
    def partner(self) -> Partner:
        return self.request.user.partner

    # Idempotency-Key: reserve before the handler runs, store the answer after it.
    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        pghistory.context(partner=self.partner.pk)  # recorded with every change this makes
        self._idempotency_key = None
        key = request.headers.get(IDEMPOTENCY_HEADER)
        if request.method != "POST" or key is None:
            return
        replay = idempotency.idempotency_begin(
            partner=self.partner,
            key=key,
            request_fingerprint=idempotency.fingerprint(
                method=request.method, path=request.get_full_path(), body=request.body
            ),
        )
        if replay is not None:
            raise _ReplayResponse(replay)
        self._idempotency_key = key

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, _ReplayResponse):
            response = Response(exc.replay.body, status=exc.replay.status)
            response["Idempotent-Replayed"] = "true"
            return response
        return super().handle_exception(exc)

    def raise_uncaught_exception(self, exc: Exception) -> None:
        self._release_idempotency_key(status=500)
        super().raise_uncaught_exception(exc)

    def _release_idempotency_key(self, *, status: int, body: Any = None) -> None:
        key = getattr(self, "_idempotency_key", None)
        if key is not None:
            self._idempotency_key = None
            idempotency.idempotency_complete(
                partner=self.partner, key=key, status=status, body=body
            )

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        self._release_idempotency_key(status=response.status_code, body=response.data)
        return response


class _ReplayResponse(Exception):
    def __init__(self, replay: idempotency.Replay):
        self.replay = replay


class PartnerScopedMixin:
    """Scoping for generic views: subclasses implement ``get_partner_queryset(partner)`` and
    declare ``queryset = Model.objects.none()``, which only the schema generator sees."""

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return super().get_queryset()
        return self.get_partner_queryset(self.partner)

    def get_partner_queryset(self, partner: Partner):
        raise NotImplementedError


class PartnerListAPIView(PartnerScopedMixin, PartnerAPIView, generics.ListAPIView):
    """A paginated, partner-scoped list."""


class PartnerRetrieveAPIView(PartnerScopedMixin, PartnerAPIView, generics.RetrieveAPIView):
    """A partner-scoped detail: an object outside the partner's queryset is a 404."""


# --- the platform's own partner endpoints -------------------------------------------------


class PartnerMeApi(PartnerAPIView):
    class OutputSerializer(serializers.ModelSerializer):
        class Meta:
            model = Partner
            fields = ["id", "name", "kind", "is_active", "created_at"]
            ref_name = "PartnerMe"

    @extend_schema(responses=OutputSerializer, summary="The partner this API key belongs to")
    def get(self, request: Request) -> Response:
        return Response(self.OutputSerializer(self.partner).data)


class ApiKeyOutputSerializer(serializers.Serializer):
    prefix = serializers.CharField()
    name = serializers.CharField()
    created = serializers.DateTimeField()
    revoked = serializers.BooleanField()
    expiry_date = serializers.DateTimeField(allow_null=True)


class PartnerApiKeyListApi(PartnerListAPIView):
    """The partner's own API keys (never the secret part, which is not stored)."""

    queryset = PartnerAPIKey.objects.none()
    serializer_class = ApiKeyOutputSerializer

    def get_partner_queryset(self, partner: Partner):
        return partner_api_key_list(partner=partner)


class PartnerApiKeyDetailApi(PartnerRetrieveAPIView):
    queryset = PartnerAPIKey.objects.none()
    serializer_class = ApiKeyOutputSerializer
    lookup_field = "prefix"

    def get_partner_queryset(self, partner: Partner):
        return partner_api_key_list(partner=partner)


class PartnerApiKeyRevokeApi(PartnerAPIView):
    """Revoke one of the partner's own keys (e.g. a leaked one). Revoking twice is harmless."""

    @extend_schema(
        request=None,
        responses=ApiKeyOutputSerializer,
        parameters=[idempotency_key_parameter],
        summary="Revoke an API key",
    )
    def post(self, request: Request, prefix: str) -> Response:
        api_key = generics.get_object_or_404(
            partner_api_key_list(partner=self.partner), prefix=prefix
        )
        api_key = partner_api_key_revoke(api_key=api_key)
        return Response(ApiKeyOutputSerializer(api_key).data)


def healthz(request) -> JsonResponse:
    """Liveness and readiness: the database answers a query, the broker and the cache a ping.

    Only the database is vital: without Redis the API still answers (throttling falls back
    to a per-process window, queued work is re-driven from PostgreSQL once Redis is back), so
    a broker or cache outage answers 200 with ``"status": "degraded"`` and keeps the web
    processes in the load balancer; a database outage answers 503.
    """
    checks = {"database": _check_database(), "broker": _check_broker(), "cache": _check_cache()}
    if checks["database"] != "ok":
        status = "error"
    elif any(v != "ok" for v in checks.values()):
        status = "degraded"
    else:
        status = "ok"
    if status == "degraded":
        logger.warning("healthz_degraded", **checks)
    return JsonResponse({"status": status, **checks}, status=503 if status == "error" else 200)


def _check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return "ok"
    except Exception as exc:  # health checks report, they do not raise
        return f"error: {type(exc).__name__}"


def _check_broker() -> str:
    from agency.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
            conn.default_channel.client.ping()
        return "ok"
    except Exception as exc:
        return f"error: {type(exc).__name__}"


def _check_cache() -> str:
    try:
        cache.get("healthz-probe")  # a round trip to the cache's server
        return "ok"
    except Exception as exc:
        return f"error: {type(exc).__name__}"
