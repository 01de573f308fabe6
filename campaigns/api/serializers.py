"""Serializers of the brand API. Money is {"amount": "12.34", "currency": "USD"}.

Brands see a creator's public profile only (id and stage name), never private fields."""

from rest_framework import serializers

from billing.api.serializers import MoneyField
from campaigns.models import BrandDeal, DealCreator, Deliverable, Invoice, InvoiceLine


class DealCreatorSerializer(serializers.ModelSerializer):
    stage_name = serializers.CharField(source="creator.stage_name")

    class Meta:
        model = DealCreator
        fields = ["creator_id", "stage_name", "share"]
        ref_name = "DealCreator"


class DealSerializer(serializers.ModelSerializer):
    fee = MoneyField(source="fee_minor")
    creators = DealCreatorSerializer(source="shares", many=True, read_only=True)
    deliverable_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = BrandDeal
        fields = [
            "id",
            "title",
            "brief",
            "status",
            "fee",
            "creators",
            "deliverable_count",
            "paid_on",
            "created_at",
            "updated_at",
        ]
        ref_name = "BrandDeal"


class ContentResultsSerializer(serializers.Serializer):
    """The posted video's latest metrics, as pushed by data partners."""

    platform_video_id = serializers.CharField()
    posted_at = serializers.DateTimeField()
    views = serializers.IntegerField()
    completed_views = serializers.IntegerField()
    replays = serializers.IntegerField()
    likes = serializers.IntegerField()
    comments = serializers.IntegerField()
    shares = serializers.IntegerField()

    class Meta:
        ref_name = "DeliverableContentResults"


class DeliverableCreatorSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    stage_name = serializers.CharField()

    class Meta:
        ref_name = "DeliverableCreator"


class DeliverableSerializer(serializers.ModelSerializer):
    creator = DeliverableCreatorSerializer(read_only=True)
    results = ContentResultsSerializer(source="video", read_only=True, allow_null=True)

    class Meta:
        model = Deliverable
        fields = [
            "id",
            "deal_id",
            "creator",
            "type",
            "due_on",
            "status",
            "posted_url",
            "feedback",
            "results",
            "updated_at",
        ]
        ref_name = "Deliverable"


class InvoiceLineSerializer(serializers.ModelSerializer):
    amount = MoneyField(source="amount_minor", currency_attr="invoice.currency")

    class Meta:
        model = InvoiceLine
        fields = ["description", "amount"]
        ref_name = "BrandInvoiceLine"


class InvoiceSerializer(serializers.ModelSerializer):
    number = serializers.CharField(source="display_number")
    total = MoneyField(source="total_minor")
    lines = InvoiceLineSerializer(many=True, read_only=True)

    class Meta:
        model = Invoice
        fields = [
            "id",
            "number",
            "status",
            "currency",
            "total",
            "net_days",
            "issued_on",
            "due_on",
            "paid_on",
            "is_overdue",
            "lines",
        ]
        ref_name = "BrandInvoice"
