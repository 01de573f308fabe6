"""Billing partner API: data partners post revenue events; sub-agencies read their
creators' statements and their own commission lines. Scoping lives in get_queryset()."""

import datetime as dt
import functools

from django.utils import timezone
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
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
from agency.money import CURRENCY_CHOICES
from agency.months import month_start
from agency.rows import RowErrors
from agency.validation import validate_date_in_range
from billing import conf, selectors
from billing.api.serializers import (
    DecimalStringField,
    MoneyField,
    money,
)
from billing.models import RevenueEvent, RevenueSplit, Statement, StatementLine, Stream
from billing.services.events import EventInput, revenue_events_ingest


class RevenueEventOutputSerializer(serializers.ModelSerializer):
    gross = MoneyField(source="gross_minor")
    platform_fee = MoneyField(source="platform_fee_minor")

    class Meta:
        model = RevenueEvent
        fields = [
            "id",
            "stream",
            "kind",
            "creator_id",
            "occurred_on",
            "gross",
            "platform_fee",
            "source_type",
            "source_id",
            "description",
            "status",
            "created_at",
        ]
        ref_name = "RevenueEvent"


class RevenueEventRowSerializer(serializers.Serializer):
    """One revenue event a data partner reports. Money is a decimal string in major units."""

    stream = serializers.ChoiceField(choices=Stream.choices)
    kind = serializers.ChoiceField(
        choices=RevenueEvent.Kind.choices, default=RevenueEvent.Kind.SALE
    )
    creator_id = serializers.IntegerField(min_value=1)
    account_id = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    occurred_on = serializers.DateField()
    gross = DecimalStringField(help_text='Positive, major units, a decimal string ("12.34").')
    platform_fee = DecimalStringField(
        default="0", help_text="What the platform kept, major units, a decimal string."
    )
    currency = serializers.ChoiceField(choices=CURRENCY_CHOICES)
    source_type = serializers.CharField(max_length=40)
    source_id = serializers.CharField(max_length=100)
    refund_of_source_id = serializers.CharField(
        max_length=100, required=False, allow_null=True, help_text="For refunds/chargebacks."
    )
    description = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        default="",
        help_text="What the creator's statement line says (the deal, the product, the "
        "report month). Empty: the stream and the date. Source ids are never shown.",
    )

    class Meta:
        ref_name = "RevenueEventRow"


class RevenueEventBatchSerializer(serializers.Serializer):
    events = RevenueEventRowSerializer(many=True, allow_empty=False)

    class Meta:
        ref_name = "RevenueEventBatch"


class RevenueEventBatchResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    skipped = serializers.IntegerField(help_text="Rows whose source was known already.")
    events = RevenueEventOutputSerializer(many=True)

    class Meta:
        ref_name = "RevenueEventBatchResult"


@extend_schema_view(
    get=extend_schema(
        summary="List the revenue events you posted",
        responses=RevenueEventOutputSerializer(many=True),
    )
)
class RevenueEventListCreateApi(PartnerListAPIView):
    """GET: the revenue events this data partner posted. POST: a batch of revenue events,
    validated all or nothing (errors name row index and field); known sources are skipped."""

    partner_kinds = (Partner.Kind.DATA_PARTNER,)
    serializer_class = RevenueEventOutputSerializer

    def get_partner_queryset(self, partner: Partner):
        return selectors.revenue_event_list_for_partner(partner=partner)

    class EnvelopeSerializer(serializers.Serializer):
        """Checks the envelope only, so that each row's errors are reported by index."""

        events = serializers.ListField(child=serializers.DictField(), allow_empty=False)

    @extend_schema(
        request=RevenueEventBatchSerializer,
        responses={201: RevenueEventBatchResultSerializer},
        parameters=[idempotency_key_parameter],
        summary="Post revenue events (bulk, all or nothing)",
    )
    def post(self, request: Request) -> Response:
        envelope = self.EnvelopeSerializer(data=request.data)
        envelope.is_valid(raise_exception=True)
        rows = envelope.validated_data["events"]
        limit = conf.max_batch_size()
        if len(rows) > limit:
            raise serializers.ValidationError({"events": [f"At most {limit} events per call."]})
        parsed = RevenueEventRowSerializer(data=rows, many=True)
        if not parsed.is_valid():
            raise serializers.ValidationError({"events": parsed.errors})
        inputs = [
            EventInput(
                stream=row["stream"],
                kind=row["kind"],
                creator_id=row["creator_id"],
                account_id=row.get("account_id"),
                occurred_on=row["occurred_on"],
                gross=str(row["gross"]),
                platform_fee=str(row["platform_fee"]),
                currency=row["currency"],
                source_type=row["source_type"],
                source_id=row["source_id"],
                refund_of_source_id=row.get("refund_of_source_id"),
                description=row["description"],
            )
            for row in parsed.validated_data
        ]
        try:
            created, skipped = revenue_events_ingest(rows=inputs, partner=self.partner)
        except RowErrors as exc:
            raise serializers.ValidationError({"events": exc.extra["rows"]}) from exc
        body = RevenueEventBatchResultSerializer(
            {"created": len(created), "skipped": skipped, "events": created}
        ).data
        return Response(body, status=status.HTTP_201_CREATED)


class StatementLineSerializer(serializers.ModelSerializer):
    gross = MoneyField(source="gross_minor", currency_attr="original_currency")
    platform_fee = MoneyField(source="fee_minor", currency_attr="original_currency")
    agency_commission = MoneyField(source="agency_minor", currency_attr="original_currency")
    manager_cut = MoneyField(source="manager_minor", currency_attr="original_currency")
    sub_agency_cut = MoneyField(source="sub_agency_minor", currency_attr="original_currency")
    net = MoneyField(source="net_minor", currency_attr="statement.currency")
    fx_rate = serializers.DecimalField(max_digits=20, decimal_places=10)

    class Meta:
        model = StatementLine
        fields = [
            "id",
            "kind",
            "occurred_on",
            "description",
            "gross",
            "platform_fee",
            "agency_commission",
            "manager_cut",
            "sub_agency_cut",
            "fx_rate",
            "net",
        ]


# Money columns of a line: output field -> (minor-units column, whose currency).
_LINE_MONEY = {
    "gross": ("gross_minor", "original"),
    "platform_fee": ("fee_minor", "original"),
    "agency_commission": ("agency_minor", "original"),
    "manager_cut": ("manager_minor", "original"),
    "sub_agency_cut": ("sub_agency_minor", "original"),
    "net": ("net_minor", "statement"),
}


@functools.cache
def _line_fields():
    """``StatementLineSerializer``'s fields, built once (they keep no state per value)."""
    return StatementLineSerializer().fields


def statement_lines_data(rows, *, currency: str) -> list[dict]:
    """``StatementLineSerializer``'s output for flat rows (``selectors.statement_line_rows``)
    without a serializer per line: each value goes through the same field's representation,
    in the serializer's field order."""
    fields = _line_fields()
    out = []
    for row in rows:
        currencies = {"original": row["original_currency"], "statement": currency}
        data = {}
        for name, field in fields.items():
            if name in _LINE_MONEY:
                column, whose = _LINE_MONEY[name]
                data[name] = field.to_representation((row[column], currencies[whose]))
            else:
                value = row[name]
                data[name] = None if value is None else field.to_representation(value)
        out.append(data)
    return out


class StatementCreatorSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    stage_name = serializers.CharField()


class StatementSerializer(serializers.ModelSerializer):
    creator = StatementCreatorSerializer(read_only=True)
    status = serializers.CharField(read_only=True, help_text="open or closed.")
    opening_balance = MoneyField(source="opening_minor", allow_null=True)
    closing_balance = MoneyField(source="closing_minor", allow_null=True)

    class Meta:
        model = Statement
        fields = [
            "id",
            "creator",
            "period",
            "currency",
            "status",
            "opening_balance",
            "closing_balance",
            "closed_at",
        ]
        ref_name = "Statement"


class StatementDetailSerializer(StatementSerializer):
    lines = StatementLineSerializer(many=True, read_only=True)

    class Meta(StatementSerializer.Meta):
        fields = [*StatementSerializer.Meta.fields, "lines"]
        ref_name = "StatementDetail"


class StatementFilter(filters.FilterSet):
    """Plain number filters: an id outside the partner's scope finds nothing (not a 400)."""

    creator = IdFilter(field_name="creator_id")
    period = filters.DateFilter(validators=[validate_date_in_range])
    status = filters.ChoiceFilter(choices=Statement.Status.choices)

    class Meta:
        model = Statement
        fields = ["creator", "period", "status"]


@extend_schema_view(
    get=extend_schema(
        summary="List your creators' statements",
        responses=StatementSerializer(many=True),
    )
)
class StatementListApi(PartnerListAPIView):
    """Monthly statements of the sub-agency's creators (balances set once closed)."""

    partner_kinds = (Partner.Kind.SUB_AGENCY,)
    serializer_class = StatementSerializer
    filterset_class = StatementFilter

    def get_partner_queryset(self, partner: Partner):
        return selectors.statement_list_for_partner(partner=partner)


@functools.cache
def _statement_serializer() -> StatementSerializer:
    """One ``StatementSerializer`` for every statement: building it per request (its fields
    copied) costs more than rendering the statement; nothing in it depends on the request."""
    return StatementSerializer()


@extend_schema_view(
    get=extend_schema(
        summary="One statement with its lines",
        responses=StatementDetailSerializer,
    )
)
class StatementDetailApi(PartnerRetrieveAPIView):
    partner_kinds = (Partner.Kind.SUB_AGENCY,)
    serializer_class = StatementDetailSerializer

    def get_partner_queryset(self, partner: Partner):
        return selectors.statement_list_for_partner(partner=partner)

    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        """The statement, then its lines as flat rows (one query, no object per line)."""
        statement = self.get_object()
        data = _statement_serializer().to_representation(statement)
        lines = selectors.statement_line_rows(statement=statement)
        data["lines"] = statement_lines_data(lines, currency=statement.currency)
        return Response(data)


class CommissionLineSerializer(serializers.ModelSerializer):
    event_id = serializers.IntegerField()
    creator_id = serializers.IntegerField(source="event.creator_id")
    stream = serializers.CharField(source="event.stream")
    kind = serializers.CharField(source="event.kind")
    occurred_on = serializers.DateField(source="event.occurred_on")
    gross = MoneyField(source="gross_minor")
    amount = MoneyField(source="sub_agency_minor", help_text="Your cut (negative for refunds).")
    sub_agency_share = serializers.SerializerMethodField()

    class Meta:
        model = RevenueSplit
        fields = [
            "id",
            "event_id",
            "creator_id",
            "stream",
            "kind",
            "occurred_on",
            "gross",
            "amount",
            "sub_agency_share",
        ]
        ref_name = "CommissionLine"

    def get_sub_agency_share(self, split: RevenueSplit) -> str:
        """The share of the agency commission the split used (from its rate snapshot)."""
        return split.rates["terms"]["sub_agency_share"]


class CommissionLineFilter(filters.FilterSet):
    creator = IdFilter(field_name="event__creator_id")
    stream = filters.ChoiceFilter(field_name="event__stream", choices=Stream.choices)

    class Meta:
        model = RevenueSplit
        fields = ["creator", "stream"]


@extend_schema_view(
    get=extend_schema(
        summary="List your commission lines",
        responses=CommissionLineSerializer(many=True),
    )
)
class CommissionLineListApi(PartnerListAPIView):
    """The sub-agency's own commission lines: its cut of each revenue event."""

    partner_kinds = (Partner.Kind.SUB_AGENCY,)
    serializer_class = CommissionLineSerializer
    filterset_class = CommissionLineFilter

    def get_partner_queryset(self, partner: Partner):
        return selectors.commission_line_list_for_partner(partner=partner)


class PayeeStatementLineSerializer(serializers.Serializer):
    posted_on = serializers.DateField()
    description = serializers.CharField()
    source = serializers.CharField(help_text="What posted it, e.g. revenue_event:12.")
    amount = MoneyField(source="amount_minor", currency_attr="currency")

    def to_representation(self, instance):
        line, currency = instance
        return {
            "posted_on": line.posted_on,
            "description": line.description,
            "source": line.source,
            "amount": money(line.amount_minor, currency),
        }


class SubAgencyStatementSerializer(serializers.Serializer):
    period = serializers.DateField(help_text="First day of the month.")
    currency = serializers.CharField()
    opening_balance = MoneyField(source="opening_minor")
    closing_balance = MoneyField(source="closing_minor")
    lines = serializers.SerializerMethodField()

    @extend_schema_field(PayeeStatementLineSerializer(many=True))
    def get_lines(self, statement) -> list:
        return [
            PayeeStatementLineSerializer().to_representation((line, statement.currency))
            for line in statement.lines
        ]


class SubAgencyStatementQuerySerializer(serializers.Serializer):
    period = serializers.RegexField(
        r"^\d{4}-(0[1-9]|1[0-2])$",
        help_text="The month, YYYY-MM (default: this month).",
        required=False,
    )

    def validate_period(self, value: str) -> dt.date:
        try:
            day = dt.date.fromisoformat(value + "-01")
        except ValueError as exc:
            raise serializers.ValidationError("Not a month.") from exc
        validate_date_in_range(day)
        return day


class SubAgencyStatementListApi(PartnerAPIView):
    """The sub-agency's own monthly statement, one per currency it is owed in: its cuts,
    refunds clawed back and payouts, read from its payable account in the ledger."""

    partner_kinds = (Partner.Kind.SUB_AGENCY,)

    @extend_schema(
        summary="Your own monthly statements (one per currency)",
        parameters=[SubAgencyStatementQuerySerializer],
        responses={200: SubAgencyStatementSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        query = SubAgencyStatementQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        period = query.validated_data.get("period") or month_start(timezone.localdate())
        statements = [
            selectors.payee_statement(account=account, period=period)
            for account in selectors.payee_accounts(sub_agency=self.partner)
        ]
        return Response(SubAgencyStatementSerializer(statements, many=True).data)
