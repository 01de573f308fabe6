"""Operations data for data partners: live sessions (with conversion grades and the price
list's verdict on the fee), live hosts, affiliate orders and their refunds, live-commerce
refunds, ad spend. Writes are bulk, all or nothing, through ``operations_ingest``; reads show
only what the calling partner reported (``get_partner_queryset``), so another partner's row
is a 404 and never counted."""

from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from agency.api.views import (
    PartnerAPIView,
    PartnerListAPIView,
    PartnerRetrieveAPIView,
    idempotency_key_parameter,
)
from agency.models import Partner
from billing.api.serializers import MoneyField, money
from campaigns import selectors
from campaigns.models import AdSpend, AffiliateOrder, AffiliateRefund, LiveSession
from campaigns.services.operations_intake import (
    MAX_BATCH_ROWS,
    AdSpendRow,
    AffiliateOrderRow,
    AffiliateRefundRow,
    LiveCommerceRefundRow,
    LiveSessionRow,
    operations_ingest,
)
from creators.api.serializers import IngestionOutputSerializer

DATA_PARTNERS = (Partner.Kind.DATA_PARTNER,)
GRADE = serializers.ChoiceField(
    choices=["weak", "average", "excellent"],
    allow_null=True,
    help_text="Conversion grade (thresholds in campaigns/README.md); null without viewers.",
)
RATE = serializers.CharField(allow_null=True, help_text="Decimal string, a fraction of one.")

INGEST_DESCRIPTION = (
    f"At most {MAX_BATCH_ROWS} rows; more is a 400. Every row is validated first; if any is "
    "bad nothing is written and each bad row is reported under `fields.rows.<index>` with its "
    "field and reason. Money is a decimal string in the row's currency. Re-sending the same "
    "rows changes nothing; `dry_run` only counts what would change."
)


# --- request bodies ---------------------------------------------------------------------------


class _BatchInput(serializers.Serializer):
    """Rows are plain objects here; the service validates every row in one pass."""

    rows = serializers.ListField(child=serializers.DictField(), allow_empty=False)
    dry_run = serializers.BooleanField(default=False)


def _batch(name: str, row: type[serializers.Serializer]) -> type[serializers.Serializer]:
    """The documented request body: ``rows`` typed as ``row``."""
    return type(
        name,
        (serializers.Serializer,),
        {
            "rows": row(many=True, max_length=MAX_BATCH_ROWS),
            "dry_run": serializers.BooleanField(default=False),
            "__module__": __name__,
        },
    )


LiveSessionBatch = _batch("LiveSessionBatch", LiveSessionRow)
AffiliateOrderBatch = _batch("AffiliateOrderBatch", AffiliateOrderRow)
AffiliateRefundBatch = _batch("AffiliateRefundBatch", AffiliateRefundRow)
LiveCommerceRefundBatch = _batch("LiveCommerceRefundBatch", LiveCommerceRefundRow)
AdSpendBatch = _batch("AdSpendBatch", AdSpendRow)


# --- responses --------------------------------------------------------------------------------


class PriceRange(serializers.Serializer):
    minimum = serializers.CharField(help_text="Decimal string, major units.")
    maximum = serializers.CharField(help_text="Decimal string, major units.")
    currency = serializers.CharField()


class LiveSessionSerializer(serializers.ModelSerializer):
    platform = serializers.CharField(source="account.platform")
    platform_account_id = serializers.CharField(source="account.platform_account_id")
    gifts_value = MoneyField(source="gifts_value_minor")
    gmv = MoneyField(source="gmv_minor")
    refunds = MoneyField(source="refunds_minor", help_text="Commerce GMV refunded.")
    operation_fee = MoneyField(source="operation_fee_minor")
    price_list = serializers.SerializerMethodField(
        help_text="The livestream-operation price range in force on the session's day."
    )
    fee_off_list = serializers.SerializerMethodField(
        help_text="True when the session has a fee outside the price list (or no list)."
    )
    conversion_rate = serializers.SerializerMethodField(
        help_text="Orders / viewers, a decimal string; null without viewers."
    )
    conversion_grade = serializers.SerializerMethodField()

    class Meta:
        model = LiveSession
        fields = [
            "id", "external_id", "creator_id", "platform", "platform_account_id",
            "started_at", "ended_at", "viewers", "peak_viewers", "product_clicks", "orders",
            "diamonds", "currency", "gifts_value", "gmv", "refunds", "commerce_commission_rate",
            "operated_by_agency", "client_id", "operation_fee", "price_list", "fee_off_list",
            "conversion_rate", "conversion_grade", "revenue_booked_at",
        ]  # fmt: skip

    @extend_schema_field(PriceRange(allow_null=True))
    def get_price_list(self, session: LiveSession) -> dict | None:
        if session.list_min_minor is None:
            return None
        low = money(session.list_min_minor, session.currency)
        high = money(session.list_max_minor, session.currency)
        return {"minimum": low["amount"], "maximum": high["amount"], "currency": session.currency}

    def get_fee_off_list(self, session: LiveSession) -> bool:
        return selectors.session_fee_off_list(session)

    @extend_schema_field(RATE)
    def get_conversion_rate(self, session: LiveSession) -> str | None:
        return _rate(session.orders, session.viewers)

    @extend_schema_field(GRADE)
    def get_conversion_grade(self, session: LiveSession) -> str | None:
        return selectors.live_conversion_grade(orders=session.orders, viewers=session.viewers)


class LiveHostSerializer(serializers.Serializer):
    creator_id = serializers.IntegerField()
    stage_name = serializers.CharField(source="creator__stage_name")
    sessions = serializers.IntegerField()
    viewers = serializers.IntegerField()
    product_clicks = serializers.IntegerField()
    orders = serializers.IntegerField()
    conversion_rate = serializers.SerializerMethodField(help_text="Orders / viewers, overall.")
    conversion_grade = serializers.SerializerMethodField()

    @extend_schema_field(RATE)
    def get_conversion_rate(self, host: dict) -> str | None:
        return _rate(host["orders"], host["viewers"])

    @extend_schema_field(GRADE)
    def get_conversion_grade(self, host: dict) -> str | None:
        return selectors.live_conversion_grade(orders=host["orders"], viewers=host["viewers"])


class AffiliateRefundSerializer(serializers.ModelSerializer):
    amount = MoneyField(source="amount_minor", currency_attr="order.currency")
    clawback = MoneyField(
        source="clawback_minor",
        currency_attr="order.currency",
        help_text="Commission clawed back (refunds after settlement).",
    )

    class Meta:
        model = AffiliateRefund
        fields = ["external_id", "amount", "refunded_on", "after_settlement", "clawback"]


class AffiliateOrderSerializer(serializers.ModelSerializer):
    link = serializers.CharField(source="link.code")
    gmv = MoneyField(source="gmv_minor")
    refunded = MoneyField(source="refunded_minor")
    settled_commission = MoneyField(source="settled_commission_minor", allow_null=True)
    refunds = AffiliateRefundSerializer(many=True, read_only=True)

    class Meta:
        model = AffiliateOrder
        fields = [
            "id", "external_id", "link", "product", "currency", "gmv", "refunded",
            "commission_rate", "ordered_on", "settles_on", "status", "settled_commission",
            "refunds",
        ]  # fmt: skip


class AdSpendSerializer(serializers.ModelSerializer):
    platform = serializers.CharField(source="ad_account.platform")
    ad_account_id = serializers.CharField(source="ad_account.external_id")
    amount = MoneyField(source="amount_minor", currency_attr="ad_account.currency")

    class Meta:
        model = AdSpend
        fields = ["id", "platform", "ad_account_id", "spent_on", "amount"]


def _rate(orders: int, viewers: int) -> str | None:
    rate = selectors.live_conversion_rate(orders=orders, viewers=viewers)
    return None if rate is None else str(rate)


# --- views ------------------------------------------------------------------------------------


class _IngestMixin:
    """POST: one bulk call of ``operations_ingest`` for ``kind`` on behalf of the partner."""

    kind: str

    def ingest(self, request: Request) -> Response:
        body = _BatchInput(data=request.data)
        body.is_valid(raise_exception=True)
        result = operations_ingest(
            kind=self.kind,
            rows=body.validated_data["rows"],
            partner=self.partner,
            dry_run=body.validated_data["dry_run"],
        )
        return Response(IngestionOutputSerializer(result.as_dict()).data)


def _write_schema(summary: str, request, description: str = "") -> dict:
    return {
        "summary": summary,
        "description": (description + " " + INGEST_DESCRIPTION).strip(),
        "request": request,
        "responses": IngestionOutputSerializer,
        "parameters": [idempotency_key_parameter],
    }


@extend_schema_view(
    get=extend_schema(
        summary="List the live sessions you reported", responses=LiveSessionSerializer(many=True)
    )
)
class LiveSessionListCreateApi(_IngestMixin, PartnerListAPIView):
    """GET: the sessions you reported, graded. POST: report sessions (upsert by your id)."""

    partner_kinds = DATA_PARTNERS
    queryset = LiveSession.objects.none()
    serializer_class = LiveSessionSerializer
    kind = "live_sessions"

    def get_partner_queryset(self, partner: Partner):
        return selectors.live_session_list_for_partner(partner=partner)

    @extend_schema(**_write_schema(
        "Report live sessions", LiveSessionBatch,
        "A session is keyed by your `external_id`: sending it again updates it (once its "
        "revenue is booked its money is fixed). An agency-operated session with a client and "
        "no `operation_fee` is charged the price list's standard fee.",
    ))  # fmt: skip
    def post(self, request: Request) -> Response:
        return self.ingest(request)


@extend_schema_view(
    get=extend_schema(summary="One live session you reported", responses=LiveSessionSerializer)
)
class LiveSessionDetailApi(PartnerRetrieveAPIView):
    partner_kinds = DATA_PARTNERS
    queryset = LiveSession.objects.none()
    serializer_class = LiveSessionSerializer

    def get_partner_queryset(self, partner: Partner):
        return selectors.live_session_list_for_partner(partner=partner)


@extend_schema_view(
    get=extend_schema(
        summary="Live hosts graded on conversion", responses=LiveHostSerializer(many=True)
    )
)
class LiveHostListApi(PartnerListAPIView):
    """Per host, over the sessions you reported: totals and the conversion grade."""

    partner_kinds = DATA_PARTNERS
    queryset = LiveSession.objects.none()
    serializer_class = LiveHostSerializer

    def get_partner_queryset(self, partner: Partner):
        return selectors.live_host_list_for_partner(partner=partner)


@extend_schema_view(
    get=extend_schema(
        summary="List the affiliate orders you reported",
        responses=AffiliateOrderSerializer(many=True),
    )
)
class AffiliateOrderListCreateApi(_IngestMixin, PartnerListAPIView):
    partner_kinds = DATA_PARTNERS
    queryset = AffiliateOrder.objects.none()
    serializer_class = AffiliateOrderSerializer
    kind = "affiliate_orders"

    def get_partner_queryset(self, partner: Partner):
        return selectors.affiliate_order_list_for_partner(partner=partner)

    @extend_schema(**_write_schema(
        "Report affiliate orders", AffiliateOrderBatch,
        "The settlement date is computed: the order date plus `settlement_days` (default 15). "
        "An order id sent again with the same values is unchanged; with others it is refused.",
    ))  # fmt: skip
    def post(self, request: Request) -> Response:
        return self.ingest(request)


@extend_schema_view(
    get=extend_schema(
        summary="One affiliate order you reported, with its refunds",
        responses=AffiliateOrderSerializer,
    )
)
class AffiliateOrderDetailApi(PartnerRetrieveAPIView):
    partner_kinds = DATA_PARTNERS
    queryset = AffiliateOrder.objects.none()
    serializer_class = AffiliateOrderSerializer

    def get_partner_queryset(self, partner: Partner):
        return selectors.affiliate_order_list_for_partner(partner=partner)


class AffiliateRefundCreateApi(_IngestMixin, PartnerAPIView):
    partner_kinds = DATA_PARTNERS
    kind = "affiliate_refunds"

    @extend_schema(**_write_schema(
        "Report affiliate refunds", AffiliateRefundBatch,
        "Refunds of orders you reported. Before settlement a refund lowers what settles; "
        "after, the commission on it is clawed back from the creator's next open period.",
    ))  # fmt: skip
    def post(self, request: Request) -> Response:
        return self.ingest(request)


class LiveCommerceRefundCreateApi(_IngestMixin, PartnerAPIView):
    partner_kinds = DATA_PARTNERS
    kind = "live_commerce_refunds"

    @extend_schema(**_write_schema(
        "Report live-commerce refunds", LiveCommerceRefundBatch,
        "Refunds of the commerce GMV of sessions you reported; after the session's revenue "
        "is booked the commission on it is clawed back.",
    ))  # fmt: skip
    def post(self, request: Request) -> Response:
        return self.ingest(request)


@extend_schema_view(
    get=extend_schema(
        summary="List the ad spend you reported", responses=AdSpendSerializer(many=True)
    )
)
class AdSpendListCreateApi(_IngestMixin, PartnerListAPIView):
    partner_kinds = DATA_PARTNERS
    queryset = AdSpend.objects.none()
    serializer_class = AdSpendSerializer
    kind = "ad_spend"

    def get_partner_queryset(self, partner: Partner):
        return selectors.ad_spend_list_for_partner(partner=partner)

    @extend_schema(**_write_schema(
        "Report ad spend per account and day", AdSpendBatch,
        "A day sent again corrects its amount; a day another source reported is refused.",
    ))  # fmt: skip
    def post(self, request: Request) -> Response:
        return self.ingest(request)
