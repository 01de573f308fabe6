"""Brand partner API: deal proposals, deals, deliverables (with content results, approval
and change requests) and invoices. Every view scopes through the partner's Brand in
``get_partner_queryset``; another brand's object is a 404 on every route and action."""

from decimal import Decimal

from django.shortcuts import get_object_or_404
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from agency.api.schema import IdFilter
from agency.api.views import (
    PartnerAPIView,
    PartnerListAPIView,
    PartnerRetrieveAPIView,
    idempotency_key_parameter,
)
from agency.models import Partner
from agency.money import CURRENCY_CHOICES, to_minor
from agency.validation import validate_date_in_range
from billing.api.serializers import DecimalStringField
from campaigns import selectors
from campaigns.api.serializers import DealSerializer, DeliverableSerializer, InvoiceSerializer
from campaigns.models import BrandDeal, DealStatus, Deliverable, Invoice
from campaigns.services.deals import (
    DeliverableSpec,
    brand_for_partner,
    deal_create,
    deliverable_review,
)
from creators.selectors import creator_scope_for_partner

BRANDS = (Partner.Kind.BRAND,)


class DealFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=DealStatus.choices)

    class Meta:
        model = BrandDeal
        fields = ["status"]


@extend_schema_view(get=extend_schema(summary="List your deals"))
class DealListCreateApi(PartnerListAPIView):
    """GET: your deals. POST: propose a deal; it lands in state ``lead``."""

    partner_kinds = BRANDS
    queryset = BrandDeal.objects.none()
    serializer_class = DealSerializer
    filterset_class = DealFilter

    def get_partner_queryset(self, partner: Partner):
        return selectors.deal_list_for_partner(partner=partner)

    class InputSerializer(serializers.Serializer):
        class CreatorInput(serializers.Serializer):
            creator_id = serializers.IntegerField(min_value=1)
            share = serializers.DecimalField(
                max_digits=9, decimal_places=6, min_value=Decimal("0.000001"), default=Decimal(1),
                help_text="Relative weight of this creator's share of the fee.",
            )  # fmt: skip

            class Meta:
                ref_name = "DealProposalCreatorInput"

        class DeliverableInput(serializers.Serializer):
            creator_id = serializers.IntegerField(min_value=1)
            type = serializers.ChoiceField(choices=Deliverable.Type.choices)
            due_on = serializers.DateField(validators=[validate_date_in_range])

            class Meta:
                ref_name = "DealProposalDeliverableInput"

        title = serializers.CharField(max_length=200)
        brief = serializers.CharField(required=False, allow_blank=True, default="")
        fee = DecimalStringField(help_text='Major units, a decimal string ("1500.00").')
        currency = serializers.ChoiceField(choices=CURRENCY_CHOICES)
        creators = CreatorInput(many=True, allow_empty=False)
        deliverables = DeliverableInput(many=True, required=False, default=list)

        class Meta:
            ref_name = "DealProposalInput"

        def validate(self, attrs):  # parsing only: the service checks the deal's rules
            try:
                attrs["fee_minor"] = to_minor(attrs["fee"], attrs["currency"])
            except ValueError as exc:
                raise serializers.ValidationError({"fee": [str(exc)]}) from exc
            return attrs

    @extend_schema(
        request=InputSerializer,
        responses={201: DealSerializer},
        parameters=[idempotency_key_parameter],
        summary="Propose a deal",
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        deal = deal_create(
            brand=brand_for_partner(partner=self.partner),
            title=v["title"],
            brief=v["brief"],
            fee_minor=v["fee_minor"],
            currency=v["currency"],
            creator_shares=[(c["creator_id"], c["share"]) for c in v["creators"]],
            deliverables=[
                DeliverableSpec(d["creator_id"], d["type"], d["due_on"]) for d in v["deliverables"]
            ],
            actor_partner=self.partner,
            creators_visible=creator_scope_for_partner(partner=self.partner),
        )
        deal = selectors.deal_list_for_partner(partner=self.partner).get(pk=deal.pk)
        return Response(DealSerializer(deal).data, status=status.HTTP_201_CREATED)


@extend_schema_view(get=extend_schema(summary="One of your deals"))
class DealDetailApi(PartnerRetrieveAPIView):
    partner_kinds = BRANDS
    queryset = BrandDeal.objects.none()
    serializer_class = DealSerializer

    def get_partner_queryset(self, partner: Partner):
        return selectors.deal_list_for_partner(partner=partner)


class DeliverableFilter(filters.FilterSet):
    deal = IdFilter(field_name="deal_id")
    status = filters.ChoiceFilter(choices=Deliverable.Status.choices)

    class Meta:
        model = Deliverable
        fields = ["deal", "status"]


@extend_schema_view(get=extend_schema(summary="List your deliverables"))
class DeliverableListApi(PartnerListAPIView):
    """Your deals' deliverables with the posted content's results."""

    partner_kinds = BRANDS
    queryset = Deliverable.objects.none()
    serializer_class = DeliverableSerializer
    filterset_class = DeliverableFilter

    def get_partner_queryset(self, partner: Partner):
        return selectors.deliverable_list_for_partner(partner=partner)


@extend_schema_view(get=extend_schema(summary="One deliverable with its content's results"))
class DeliverableDetailApi(PartnerRetrieveAPIView):
    partner_kinds = BRANDS
    queryset = Deliverable.objects.none()
    serializer_class = DeliverableSerializer

    def get_partner_queryset(self, partner: Partner):
        return selectors.deliverable_list_for_partner(partner=partner)


class DeliverableApproveApi(PartnerAPIView):
    partner_kinds = BRANDS

    @extend_schema(
        request=None,
        responses={200: DeliverableSerializer},
        parameters=[idempotency_key_parameter],
        summary="Approve a submitted deliverable",
    )
    def post(self, request: Request, pk: int) -> Response:
        item = get_object_or_404(
            selectors.deliverable_list_for_partner(partner=self.partner), pk=pk
        )
        deliverable_review(deliverable=item, approve=True, actor_partner=self.partner)
        item = selectors.deliverable_list_for_partner(partner=self.partner).get(pk=pk)
        return Response(DeliverableSerializer(item).data)


class DeliverableRequestChangesApi(PartnerAPIView):
    partner_kinds = BRANDS

    class InputSerializer(serializers.Serializer):
        note = serializers.CharField(max_length=4000, help_text="What should change.")

        class Meta:
            ref_name = "DeliverableChangeRequestInput"

    @extend_schema(
        request=InputSerializer,
        responses={200: DeliverableSerializer},
        parameters=[idempotency_key_parameter],
        summary="Ask for changes to a submitted deliverable",
    )
    def post(self, request: Request, pk: int) -> Response:
        item = get_object_or_404(
            selectors.deliverable_list_for_partner(partner=self.partner), pk=pk
        )
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        deliverable_review(
            deliverable=item,
            approve=False,
            note=data.validated_data["note"],
            actor_partner=self.partner,
        )
        item = selectors.deliverable_list_for_partner(partner=self.partner).get(pk=pk)
        return Response(DeliverableSerializer(item).data)


class InvoiceFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=Invoice.Status.choices)

    class Meta:
        model = Invoice
        fields = ["status", "is_overdue"]


@extend_schema_view(get=extend_schema(summary="List your invoices"))
class InvoiceListApi(PartnerListAPIView):
    """Your issued, paid and void invoices."""

    partner_kinds = BRANDS
    queryset = Invoice.objects.none()
    serializer_class = InvoiceSerializer
    filterset_class = InvoiceFilter

    def get_partner_queryset(self, partner: Partner):
        return selectors.invoice_list_for_partner(partner=partner)


@extend_schema_view(get=extend_schema(summary="One of your invoices"))
class InvoiceDetailApi(PartnerRetrieveAPIView):
    partner_kinds = BRANDS
    queryset = Invoice.objects.none()
    serializer_class = InvoiceSerializer

    def get_partner_queryset(self, partner: Partner):
        return selectors.invoice_list_for_partner(partner=partner)
