"""Remittances for data partners: report the cash a platform paid the agency (with what it
settled, line by line) and read back how it was matched. Scoping lives in get_queryset()."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from agency.api.views import PartnerListAPIView, PartnerRetrieveAPIView, idempotency_key_parameter
from agency.models import Partner
from agency.money import CURRENCY_CHOICES
from agency.rows import RowErrors
from billing import conf, selectors
from billing.api.serializers import (
    DecimalStringField,
    MoneyField,
)
from billing.models import Remittance, RemittanceLine, Stream
from billing.services.remittances import RemittanceInput, remittances_record


class RemittanceLineCreateSerializer(serializers.Serializer):
    stream = serializers.ChoiceField(choices=Stream.choices)
    amount = DecimalStringField(
        help_text="What the payer settled for this item before its fees, major units."
    )
    external_id = serializers.CharField(
        max_length=100,
        required=False,
        default="",
        help_text="The source id of the one revenue event this pays.",
    )
    creator_id = serializers.IntegerField(
        min_value=1,
        max_value=2**63 - 1,
        required=False,
        allow_null=True,
        default=None,
        help_text="Without an external id: pays the creator's events of the stream in the period.",
    )


class RemittanceCreateSerializer(serializers.Serializer):
    payer = serializers.CharField(max_length=100, help_text="Who paid, e.g. TikTok Shop.")
    reference = serializers.CharField(
        max_length=100, help_text="The payer's settlement reference; unique per partner."
    )
    currency = serializers.ChoiceField(choices=CURRENCY_CHOICES)
    amount = DecimalStringField(help_text="The cash received, major units.")
    fee_withheld = DecimalStringField(
        required=False, default="0", help_text="Fees the payer kept, major units."
    )
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    received_on = serializers.DateField()
    lines = RemittanceLineCreateSerializer(many=True, required=False, default=list)


class RemittanceLineSerializer(serializers.ModelSerializer):
    amount = MoneyField(source="amount_minor", currency_attr="remittance.currency")
    expected = MoneyField(
        source="expected_minor",
        currency_attr="remittance.currency",
        allow_null=True,
        help_text="The matched events' net, converted to the remittance currency.",
    )
    difference = MoneyField(
        source="difference_minor",
        currency_attr="remittance.currency",
        allow_null=True,
        help_text="Settled minus expected.",
    )
    applied = MoneyField(source="applied_minor", currency_attr="remittance.currency")
    event_ids = serializers.SerializerMethodField()

    class Meta:
        model = RemittanceLine
        fields = [
            "line_no",
            "stream",
            "creator_id",
            "external_id",
            "amount",
            "expected",
            "difference",
            "applied",
            "status",
            "note",
            "event_ids",
        ]

    def get_event_ids(self, line: RemittanceLine) -> list[int]:
        return [m.event_id for m in line.matches.all()]


class RemittanceSerializer(serializers.ModelSerializer):
    amount = MoneyField(source="amount_minor")
    fee_withheld = MoneyField(source="fee_withheld_minor")
    matched = MoneyField(source="matched_minor", help_text="Applied to revenue events.")
    unmatched = MoneyField(source="unmatched_minor", help_text="Settled, not applied yet.")
    difference = MoneyField(
        source="difference_minor", help_text="Settled minus booked, over the matched lines."
    )
    lines = RemittanceLineSerializer(many=True, read_only=True)

    class Meta:
        model = Remittance
        fields = [
            "id",
            "payer",
            "reference",
            "currency",
            "amount",
            "fee_withheld",
            "period_start",
            "period_end",
            "received_on",
            "status",
            "matched",
            "unmatched",
            "difference",
            "lines",
            "created_at",
        ]


@extend_schema_view(
    get=extend_schema(
        summary="List the remittances you reported",
        responses=RemittanceSerializer(many=True),
    )
)
class RemittanceListCreateApi(PartnerListAPIView):
    """GET: the remittances this data partner reported. POST: report one remittance; it is
    matched to revenue events at once (and again as events arrive)."""

    partner_kinds = (Partner.Kind.DATA_PARTNER,)
    serializer_class = RemittanceSerializer

    def get_partner_queryset(self, partner: Partner):
        return selectors.remittance_list_for_partner(partner=partner)

    @extend_schema(
        request=RemittanceCreateSerializer,
        responses={201: RemittanceSerializer, 200: RemittanceSerializer},
        parameters=[idempotency_key_parameter],
        summary="Report a remittance (201; a known reference with the same amounts: 200)",
    )
    def post(self, request: Request) -> Response:
        body = RemittanceCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        limit = conf.max_batch_size()
        if len(data["lines"]) > limit:
            raise serializers.ValidationError({"lines": [f"At most {limit} lines per call."]})
        remittance = RemittanceInput.from_fields(data, data["lines"])
        try:
            result = remittances_record(
                remittances=[remittance], source=Remittance.Source.API, partner=self.partner
            )
        except RowErrors as exc:
            raise serializers.ValidationError(exc.extra["rows"]["0"]) from exc
        created = bool(result.created)
        saved = (result.created or result.known)[0]
        saved = self.get_queryset().get(pk=saved.pk)
        return Response(
            RemittanceSerializer(saved).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


@extend_schema_view(
    get=extend_schema(
        summary="One remittance with its lines and the events they paid",
        responses=RemittanceSerializer,
    )
)
class RemittanceDetailApi(PartnerRetrieveAPIView):
    partner_kinds = (Partner.Kind.DATA_PARTNER,)
    serializer_class = RemittanceSerializer

    def get_partner_queryset(self, partner: Partner):
        return selectors.remittance_list_for_partner(partner=partner)
