"""Base classes for partner API views and the platform's own endpoints.

Every partner view scopes its data in ``get_queryset()`` through the request's partner,
so another partner's object is a 404 on every route, list and custom action alike.
"""

import functools
from typing import Any

import pghistory
import structlog
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import generics, serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from agency import idempotency
from agency.api.authentication import PartnerPrincipal
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
            replay = exc.replay
            if replay.content is not None:  # the first answer, byte for byte
                response = HttpResponse(
                    replay.content, status=replay.status, content_type="application/json"
                )
            else:
                response = Response(replay.body, status=replay.status)
            response["Idempotent-Replayed"] = "true"
            return response
        return super().handle_exception(exc)

    def raise_uncaught_exception(self, exc: Exception) -> None:
        self._release_idempotency_key(status=500)
        super().raise_uncaught_exception(exc)

    def _release_idempotency_key(
        self, *, status: int, body: Any = None, content: bytes | None = None
    ) -> None:
        key = getattr(self, "_idempotency_key", None)
        if key is not None:
            self._idempotency_key = None
            idempotency.idempotency_complete(
                partner=self.partner, key=key, status=status, body=body, content=content
            )

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if getattr(self, "_idempotency_key", None) is not None:
            response.render()  # the bytes sent now are the bytes a replay sends
            self._release_idempotency_key(
                status=response.status_code, body=response.data, content=response.content
            )
        return response


class _ReplayResponse(Exception):
    def __init__(self, replay: idempotency.Replay):
        self.replay = replay


class PartnerScopedMixin:
    """Scoping for generic views: subclasses implement ``get_partner_queryset(partner)``.
    The schema generator, which has no partner, sees an empty queryset of the serializer's
    model (or of ``queryset`` when declared). Document the GET of a generic view with
    ``@extend_schema_view(get=extend_schema(...))`` on the class; the error responses are
    added to every operation by ``PartnerAutoSchema``, never listed by hand."""

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no partner
            if getattr(self, "queryset", None) is not None:
                return super().get_queryset()
            return self.get_serializer_class().Meta.model.objects.none()
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


# --- the API root ------------------------------------------------------------------------

API_V1 = "/api/v1/"


@functools.cache
def _partner_routes() -> tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...]:
    """Every partner route once: (path template, methods, partner kinds that may call it; none
    named means every kind). Read from the URL configuration, so a new route appears here
    without being listed twice."""
    from drf_spectacular.generators import EndpointEnumerator

    routes: dict[str, tuple[set[str], tuple[str, ...]]] = {}
    for route, _regex, method, callback in EndpointEnumerator().get_api_endpoints():
        view = getattr(callback, "cls", None)
        if view is None or not issubclass(view, PartnerAPIView) or not route.startswith(API_V1):
            continue
        kinds = tuple(str(kind) for kind in view.partner_kinds)
        routes.setdefault(route, (set(), kinds))[0].add(method)
    return tuple((route, tuple(sorted(m)), kinds) for route, (m, kinds) in sorted(routes.items()))


class ApiRootApi(APIView):
    """Where a partner starts: links to every route its key may use, the docs and the schema.
    Without a key it answers too, with the links anyone may follow and how to authenticate."""

    permission_classes = [AllowAny]

    class ResourceSerializer(serializers.Serializer):
        href = serializers.CharField(help_text="Absolute URL; `{id}`-style parts are templates.")
        methods = serializers.ListField(child=serializers.CharField())

    class PartnerSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        name = serializers.CharField()
        kind = serializers.ChoiceField(choices=Partner.Kind.choices)

    OutputSerializer = inline_serializer(
        name="ApiRoot",
        fields={
            "partner": PartnerSerializer(allow_null=True, help_text="The key's partner, if any."),
            "authentication": serializers.CharField(),
            "resources": serializers.DictField(
                child=ResourceSerializer(),
                help_text="Route (path below /api/v1/) to its URL and methods; only the routes "
                "this key's partner kind may call.",
            ),
            "docs": serializers.URLField(),
            "schema": serializers.URLField(),
            "health": serializers.URLField(),
        },
    )

    @extend_schema(
        responses=OutputSerializer,
        summary="The API root: links to every route this key may use",
        auth=[{"ApiKeyAuth": []}, {}],
    )
    def get(self, request: Request) -> Response:
        principal = request.user
        partner = principal.partner if isinstance(principal, PartnerPrincipal) else None
        resources = {}
        base = request.build_absolute_uri(API_V1)  # templates keep their {braces} unescaped
        if partner is not None:
            for route, methods, kinds in _partner_routes():
                if kinds and partner.kind not in kinds:
                    continue
                name = route.removeprefix(API_V1).rstrip("/")
                resources[name] = {"href": base + route.removeprefix(API_V1), "methods": methods}
        return Response(
            {
                "partner": None
                if partner is None
                else {"id": partner.pk, "name": partner.name, "kind": partner.kind},
                "authentication": "Authorization: Api-Key <key>",
                "resources": resources,
                "docs": request.build_absolute_uri(reverse("api-docs")),
                "schema": request.build_absolute_uri(reverse("api-schema")),
                "health": request.build_absolute_uri(reverse("healthz")),
            }
        )


def home(request: HttpRequest) -> HttpResponse:
    """The landing page (the admin's "View site"): the same links ``make run`` prints."""
    from django.contrib import admin

    links = [
        ("admin", "Agency staff: roster, deals, revenue, statements and payouts."),
        ("api-root", "Partners: the REST API (authenticate with an API key)."),
        ("api-docs", "The API's browsable documentation."),
        ("api-schema", "The OpenAPI schema, to generate a client."),
        ("healthz", "Whether the database, the broker and the cache answer."),
    ]
    context = {
        **admin.site.each_context(request),
        "title": "MCN back office",
        "is_nav_sidebar_enabled": False,  # a public page: no app list to show
        "links": [
            {"label": request.build_absolute_uri(_url(name)), "href": _url(name), "text": text}
            for name, text in links
        ],
    }
    return render(request, "agency/home.html", context)


def _url(name: str) -> str:
    return reverse("admin:index") if name == "admin" else reverse(name)


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
