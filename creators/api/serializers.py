"""Output and input shapes of the creators API. No logic: services and selectors do that."""

import functools

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from agency.money import to_major
from agency.validation import validate_date_in_range
from creators.models import (
    AccountPerformance,
    CreatorPerformance,
    EligibilityResult,
    PlatformAccount,
    Tier,
)
from creators.services.ingestion import MAX_BATCH_ROWS
from creators.services.ingestion_rows import COLUMNS
from creators.services.performance import METRIC_COLUMNS

PRIVATE_CREATOR_FIELDS = ("legal_name", "date_of_birth", "status", "payout_currency", "created_at")


class AccountSerializer(serializers.ModelSerializer):
    class Meta:
        model = PlatformAccount
        fields = ["id", "platform", "handle", "niche"]


class CreatorSerializer(serializers.Serializer):
    """A creator's roster profile. Private fields are only sent to the creator's own
    sub-agency (``context["private"]``); they are optional in the schema for that reason."""

    id = serializers.IntegerField(read_only=True)
    stage_name = serializers.CharField(read_only=True)
    country = serializers.CharField(read_only=True)
    accounts = AccountSerializer(many=True, read_only=True)
    score = serializers.DecimalField(
        source="latest_score",
        max_digits=5,
        decimal_places=2,
        allow_null=True,
        read_only=True,
        help_text="0-100, latest 28-day score.",
    )
    tier = serializers.SerializerMethodField(help_text="Traffic-pool tier L1-L5 (28 days).")
    performance_as_of = serializers.DateField(
        source="latest_as_of", allow_null=True, read_only=True
    )
    # Private: the creator's own sub-agency only.
    legal_name = serializers.CharField(required=False)
    date_of_birth = serializers.DateField(required=False, allow_null=True)
    status = serializers.CharField(required=False)
    payout_currency = serializers.CharField(required=False)
    created_at = serializers.DateTimeField(required=False)

    def get_tier(self, creator) -> str | None:
        tier = getattr(creator, "latest_tier", None)
        return Tier(tier).name if tier else None

    def to_representation(self, instance) -> dict:
        data = super().to_representation(instance)
        if not self.context.get("private"):
            for name in PRIVATE_CREATOR_FIELDS:
                data.pop(name, None)
        return data


@functools.cache
def _creator_fields():
    """``CreatorSerializer``'s fields, built once (they keep no state per value)."""
    return CreatorSerializer().fields


def creator_list_data(
    rows: list[dict], accounts: dict[int, list[dict]], *, private: bool
) -> list[dict]:
    """``CreatorSerializer``'s output for flat rows (``selectors.creator_rows``), without a
    serializer per creator: each value goes through the same field's representation."""
    fields = _creator_fields()
    score, as_of = fields["score"].to_representation, fields["performance_as_of"].to_representation
    born, created = (
        fields["date_of_birth"].to_representation,
        fields["created_at"].to_representation,
    )
    out = []
    for row in rows:
        data = {
            "id": row["id"],
            "stage_name": row["stage_name"],
            "country": row["country"],
            "accounts": accounts.get(row["id"], []),
            "score": None if row["latest_score"] is None else score(row["latest_score"]),
            "tier": Tier(row["latest_tier"]).name if row["latest_tier"] else None,
            "performance_as_of": None
            if row["latest_as_of"] is None
            else as_of(row["latest_as_of"]),
        }
        if private:
            data["legal_name"] = row["legal_name"]
            data["date_of_birth"] = (
                None if row["date_of_birth"] is None else born(row["date_of_birth"])
            )
            data["status"] = row["status"]
            data["payout_currency"] = row["payout_currency"]
            data["created_at"] = created(row["created_at"])
        out.append(data)
    return out


PERFORMANCE_FIELDS = ["window_days", *METRIC_COLUMNS, "score"]


class _TierField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=[t.name for t in Tier], **kwargs)

    def to_representation(self, value) -> str:
        return Tier(value).name


class CreatorPerformanceSerializer(serializers.ModelSerializer):
    tier = _TierField(read_only=True)

    class Meta:
        model = CreatorPerformance
        fields = PERFORMANCE_FIELDS


class AccountPerformanceSerializer(serializers.ModelSerializer):
    tier = _TierField(read_only=True)
    account_id = serializers.IntegerField(read_only=True)
    platform = serializers.CharField(read_only=True)
    handle = serializers.CharField(source="account.handle", read_only=True)

    class Meta:
        model = AccountPerformance
        fields = ["account_id", "platform", "handle", *PERFORMANCE_FIELDS]


class PerformanceOutputSerializer(serializers.Serializer):
    creator_id = serializers.IntegerField()
    as_of = serializers.DateField(help_text="The snapshot's date: the latest on or before ?as_of.")
    windows = CreatorPerformanceSerializer(many=True)
    accounts = AccountPerformanceSerializer(many=True)


class FailureSerializer(serializers.Serializer):
    rule = serializers.CharField()
    required = serializers.JSONField()
    actual = serializers.JSONField(allow_null=True)
    distance = serializers.JSONField(allow_null=True)
    message = serializers.CharField()


class RateUsedSerializer(serializers.Serializer):
    """The rate the estimate used: ``min``-``max`` ``currency`` per ``per_views`` views."""

    min = serializers.CharField(help_text="Decimal string, major units.")
    max = serializers.CharField(help_text="Decimal string, major units.")
    currency = serializers.CharField()
    per_views = serializers.IntegerField()
    country = serializers.CharField(help_text="Empty: the program's default rate.")


class EstimateSerializer(serializers.Serializer):
    """A monthly earnings range: ``min``/``max`` in major units (decimal strings), also in
    integer minor units of ``currency``; ``basis`` names the views the program pays on."""

    min_minor = serializers.IntegerField()
    max_minor = serializers.IntegerField()
    min = serializers.CharField(help_text="Decimal string, major units.")
    max = serializers.CharField(help_text="Decimal string, major units.")
    currency = serializers.CharField()
    basis = serializers.CharField(help_text="views, qualified_views or for_you_views")
    basis_views = serializers.IntegerField(allow_null=True)
    rate = RateUsedSerializer(allow_null=True)


class EligibilityResultSerializer(serializers.ModelSerializer):
    program = serializers.CharField(source="program.code")
    program_name = serializers.CharField(source="program.name")
    rule_set_version = serializers.IntegerField(source="rule_set.version")
    failures = FailureSerializer(many=True)
    estimated_monthly_earnings = serializers.SerializerMethodField()

    class Meta:
        model = EligibilityResult
        fields = [
            "program",
            "program_name",
            "rule_set_version",
            "eligible",
            "failures",
            "estimated_monthly_earnings",
        ]

    @extend_schema_field(EstimateSerializer(allow_null=True))
    def get_estimated_monthly_earnings(self, result) -> dict | None:
        if result.estimate_min_minor is None:
            return None
        currency = result.estimate_currency
        rate = None
        if result.estimate_rate_min_minor is not None:
            rate = {
                "min": str(to_major(result.estimate_rate_min_minor, currency)),
                "max": str(to_major(result.estimate_rate_max_minor, currency)),
                "currency": currency,
                "per_views": result.estimate_rate_per_views,
                "country": result.estimate_rate_country,
            }
        data = {
            "min_minor": result.estimate_min_minor,
            "max_minor": result.estimate_max_minor,
            "min": str(to_major(result.estimate_min_minor, currency)),
            "max": str(to_major(result.estimate_max_minor, currency)),
            "currency": currency,
            "basis": result.estimate_basis,
            "basis_views": result.estimate_basis_views,
            "rate": rate,
        }
        return EstimateSerializer(data).data


class EligibilityOutputSerializer(serializers.Serializer):
    creator_id = serializers.IntegerField()
    as_of = serializers.DateField()
    results = EligibilityResultSerializer(many=True)


class AsOfQuerySerializer(serializers.Serializer):
    as_of = serializers.DateField(
        required=False,
        validators=[validate_date_in_range],
        help_text="YYYY-MM-DD; default: latest.",
    )


class IngestionOutputSerializer(serializers.Serializer):
    kind = serializers.CharField()
    dry_run = serializers.BooleanField()
    rows = serializers.IntegerField()
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()


class _RowObject(serializers.DictField):
    """A row as the JSON object it is: the service parses its cells (no check per value)."""

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            self.fail("not_a_dict", input_type=type(data).__name__)
        return data


class _Rows(serializers.ListField):
    """The list of rows: each must be a JSON object. Objects pass as they are (one type
    check each, no field call per row); anything else gets the row field's own error under
    its index, as ``ListField`` reports it."""

    def run_child_validation(self, data):
        errors = {}
        for index, item in enumerate(data):
            if type(item) is not dict:
                try:
                    self.child.run_validation(item)
                except serializers.ValidationError as exc:
                    errors[index] = exc.detail
        if errors:
            raise serializers.ValidationError(errors)
        return data if type(data) is list else list(data)


class _IngestInput(serializers.Serializer):
    """Rows are plain objects here; the service validates every row in one pass."""

    rows = _Rows(child=_RowObject(), allow_empty=False, max_length=MAX_BATCH_ROWS)
    dry_run = serializers.BooleanField(default=False)


class DailyIngestInput(_IngestInput):
    pass


class VideoIngestInput(_IngestInput):
    pass


class VideoDailyIngestInput(_IngestInput):
    pass


class VideoHourlyIngestInput(_IngestInput):
    pass


def _row_serializer(name: str, kind: str, doc: str | None = None) -> type[serializers.Serializer]:
    """The documented shape of one row: the parser's own columns (their rules and help)."""
    fields = {column.name: column.make_field() for column in COLUMNS[kind]}
    return type(name, (serializers.Serializer,), {"__doc__": doc, "__module__": __name__, **fields})


DailyMetricRowSerializer = _row_serializer("DailyMetricRowSerializer", "daily")
VideoRowSerializer = _row_serializer("VideoRowSerializer", "videos")
VideoDailyRowSerializer = _row_serializer(
    "VideoDailyRowSerializer",
    "video_daily",
    "One day of one video's life: that day's counts (not running totals).",
)
VideoHourlyRowSerializer = _row_serializer(
    "VideoHourlyRowSerializer",
    "video_hourly",
    "One hour of one video's life (UTC): that hour's counts (not running totals).",
)


class DailyIngestDoc(serializers.Serializer):
    rows = DailyMetricRowSerializer(many=True, max_length=MAX_BATCH_ROWS)
    dry_run = serializers.BooleanField(default=False)


class VideoIngestDoc(serializers.Serializer):
    rows = VideoRowSerializer(many=True, max_length=MAX_BATCH_ROWS)
    dry_run = serializers.BooleanField(default=False)


class VideoDailyIngestDoc(serializers.Serializer):
    rows = VideoDailyRowSerializer(many=True, max_length=MAX_BATCH_ROWS)
    dry_run = serializers.BooleanField(default=False)


class VideoHourlyIngestDoc(serializers.Serializer):
    rows = VideoHourlyRowSerializer(many=True, max_length=MAX_BATCH_ROWS)
    dry_run = serializers.BooleanField(default=False)
