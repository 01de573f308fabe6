"""Partner API for webhooks: register endpoints (secret shown once), list them, read the
delivery log. Scoped to the partner: another partner's endpoint or delivery is a 404."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import get_object_or_404
from rest_framework.request import Request
from rest_framework.response import Response

from agency import webhooks
from agency.api.schema import IdFilter
from agency.api.views import (
    PartnerAPIView,
    PartnerListAPIView,
    PartnerRetrieveAPIView,
    idempotency_key_parameter,
)
from agency.models import Partner, WebhookDelivery, WebhookEndpoint


class WebhookEndpointOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookEndpoint
        fields = ["id", "url", "event_types", "is_active", "created_at"]


class WebhookEndpointCreatedSerializer(WebhookEndpointOutputSerializer):
    secret = serializers.CharField(help_text="The signing secret. Shown only in this response.")

    class Meta(WebhookEndpointOutputSerializer.Meta):
        fields = [*WebhookEndpointOutputSerializer.Meta.fields, "secret"]


class WebhookEndpointListCreateApi(PartnerListAPIView):
    queryset = WebhookEndpoint.objects.none()
    serializer_class = WebhookEndpointOutputSerializer

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "WebhookEndpointInput"

        url = serializers.URLField(max_length=500)
        event_types = serializers.ListField(
            child=serializers.CharField(max_length=60), required=False, max_length=50
        )

    def get_partner_queryset(self, partner: Partner):
        return webhooks.webhook_endpoint_list(partner=partner)

    @extend_schema(
        request=InputSerializer,
        responses={201: WebhookEndpointCreatedSerializer},
        parameters=[idempotency_key_parameter],
        summary="Register a webhook endpoint",
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            endpoint = webhooks.webhook_endpoint_create(partner=self.partner, **data.validated_data)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from exc
        body = WebhookEndpointCreatedSerializer(endpoint).data
        return Response(body, status=status.HTTP_201_CREATED)


class WebhookEndpointDetailApi(PartnerRetrieveAPIView):
    queryset = WebhookEndpoint.objects.none()
    serializer_class = WebhookEndpointOutputSerializer

    def get_partner_queryset(self, partner: Partner):
        return webhooks.webhook_endpoint_list(partner=partner)


class WebhookEndpointDeactivateApi(PartnerAPIView):
    @extend_schema(
        request=None,
        responses=WebhookEndpointOutputSerializer,
        parameters=[idempotency_key_parameter],
        summary="Stop sending events to an endpoint",
    )
    def post(self, request: Request, pk: int) -> Response:
        endpoint = get_object_or_404(webhooks.webhook_endpoint_list(partner=self.partner), pk=pk)
        endpoint = webhooks.webhook_endpoint_deactivate(endpoint=endpoint)
        return Response(WebhookEndpointOutputSerializer(endpoint).data)


class WebhookDeliveryOutputSerializer(serializers.ModelSerializer):
    endpoint = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id", "endpoint", "event_id", "event_type", "status", "attempts",
            "next_attempt_at", "last_status_code", "created_at", "delivered_at",
        ]  # fmt: skip


class WebhookDeliveryFilter(filters.FilterSet):
    # A plain number, not a choice among endpoints: another partner's endpoint id and an id
    # that does not exist both find nothing, so the filter does not tell which ids exist.
    endpoint = IdFilter(field_name="endpoint_id")

    class Meta:
        model = WebhookDelivery
        fields = ["status", "event_type", "endpoint"]


class WebhookDeliveryListApi(PartnerListAPIView):
    """The delivery log, newest first."""

    queryset = WebhookDelivery.objects.none()
    serializer_class = WebhookDeliveryOutputSerializer
    filterset_class = WebhookDeliveryFilter

    def get_partner_queryset(self, partner: Partner):
        return webhooks.webhook_delivery_list(partner=partner)
