"""Metrics ingestion: one service for the API, the admin CSV upload and ``import_metrics``.

All or nothing: every row is validated first (types, counts, dates, account match, the
caller's scope of creators, duplicates in the batch); if any row is bad nothing is written
and each bad row is reported by its 0-based index with field and reason. Otherwise rows are
upserted by their natural key with one ``INSERT ... ON CONFLICT DO UPDATE`` per batch (a
video's daily rows hang off the stored video, matched by account and ``platform_video_id``);
rows whose values are unchanged are left alone, so re-sending a file changes nothing.
"""

import csv
import datetime as dt
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from django.db import transaction
from django.db.models import Q, QuerySet
from django.db.models.functions import Lower
from django.utils import timezone
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from agency.validation import validate_date_in_range
from creators.models import (
    AccountHandle,
    Creator,
    DailyAccountMetric,
    Platform,
    PlatformAccount,
    Video,
    VideoDailyMetric,
)
from creators.models.metrics import DAILY_COUNT_FIELDS, DAILY_FLAG_FIELDS, VIDEO_COUNT_FIELDS
from creators.models.waves import VIDEO_DAILY_COUNT_FIELDS

MAX_BATCH_ROWS = 1000
Kind = Literal["daily", "videos", "video_daily"]


def _today() -> dt.date:
    return timezone.now().date()


class _AccountRowSerializer(serializers.Serializer):
    platform = serializers.ChoiceField(choices=Platform.choices)
    platform_account_id = serializers.CharField(max_length=100, required=False, allow_blank=True)
    handle = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        help_text="Used (with the handle history) when platform_account_id is absent.",
    )

    def validate(self, attrs: dict) -> dict:
        attrs["handle"] = attrs.get("handle", "").lstrip("@")
        if not attrs.get("platform_account_id") and not attrs["handle"]:
            raise serializers.ValidationError(
                {"platform_account_id": ["Give platform_account_id or handle."]}
            )
        return attrs


def _count() -> serializers.IntegerField:
    return serializers.IntegerField(min_value=0, max_value=10**15)


class DailyMetricRowSerializer(_AccountRowSerializer):
    date = serializers.DateField(validators=[validate_date_in_range])
    followers = _count()
    views = _count()
    qualified_views = _count()
    watch_time_seconds = _count()
    videos_posted = serializers.IntegerField(min_value=0, max_value=100_000)
    guideline_strikes = serializers.IntegerField(
        min_value=0, max_value=100, default=0, help_text="Active community-guidelines strikes."
    )
    throttled = serializers.BooleanField(
        default=False, help_text="The platform limits the account's distribution."
    )

    def validate_date(self, value: dt.date) -> dt.date:
        if value > _today():
            raise serializers.ValidationError("Dates in the future are refused.")
        return value

    def validate(self, attrs: dict) -> dict:
        attrs = super().validate(attrs)
        if attrs["qualified_views"] > attrs["views"]:
            raise serializers.ValidationError({"qualified_views": ["Cannot exceed views."]})
        return attrs


class VideoRowSerializer(_AccountRowSerializer):
    platform_video_id = serializers.CharField(max_length=100)
    posted_at = serializers.DateTimeField(validators=[validate_date_in_range])
    duration_seconds = serializers.IntegerField(min_value=0, max_value=86_400)
    views = _count()
    qualified_views = _count()
    completed_views = _count()
    replays = _count()
    likes = _count()
    comments = _count()
    shares = _count()
    is_original = serializers.BooleanField(default=True)
    niche = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")

    def validate_posted_at(self, value: dt.datetime) -> dt.datetime:
        if value > timezone.now():
            raise serializers.ValidationError("Dates in the future are refused.")
        return value

    def validate(self, attrs: dict) -> dict:
        attrs = super().validate(attrs)
        for subset in ("completed_views", "qualified_views"):
            if attrs[subset] > attrs["views"]:
                raise serializers.ValidationError({subset: ["Cannot exceed views."]})
        return attrs


class VideoDailyRowSerializer(_AccountRowSerializer):
    """One day of one video's life: that day's counts (not running totals)."""

    platform_video_id = serializers.CharField(max_length=100)
    date = serializers.DateField(validators=[validate_date_in_range])
    views = _count()
    for_you_views = _count()
    follower_views = _count()
    completed_views = _count()
    replays = _count()
    likes = _count()
    comments = _count()
    shares = _count()
    saves = _count()
    watch_time_seconds = _count()

    validate_date = DailyMetricRowSerializer.validate_date  # the same date rules

    def validate(self, attrs: dict) -> dict:
        attrs = super().validate(attrs)
        if attrs["completed_views"] > attrs["views"]:
            raise serializers.ValidationError({"completed_views": ["Cannot exceed views."]})
        if attrs["for_you_views"] + attrs["follower_views"] > attrs["views"]:
            raise serializers.ValidationError(
                {"for_you_views": ["For You and follower views together cannot exceed views."]}
            )
        return attrs


ROW_SERIALIZERS: dict[str, type[_AccountRowSerializer]] = {
    "daily": DailyMetricRowSerializer,
    "videos": VideoRowSerializer,
    "video_daily": VideoDailyRowSerializer,
}


@dataclass
class IngestionResult:
    kind: str
    dry_run: bool
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    # (row index, natural key, "created" | "updated") for rows that would change.
    changes: list[tuple[int, str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "dry_run": self.dry_run,
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
        }


class _Spec:
    """What a kind writes: its model, the row owner (account or video) and natural key."""

    owner = "account"

    def __init__(self, kind: str):
        self.kind = kind
        if kind == "video_daily":
            self.model, self.key_field, self.fields = (
                VideoDailyMetric,
                "date",
                VIDEO_DAILY_COUNT_FIELDS,
            )
            self.owner = "video"
        elif kind == "daily":
            self.model, self.key_field, self.fields = (
                DailyAccountMetric,
                "date",
                [*DAILY_COUNT_FIELDS, *DAILY_FLAG_FIELDS],
            )
        else:
            self.model, self.key_field = Video, "platform_video_id"
            self.fields = ["posted_at", "duration_seconds", *VIDEO_COUNT_FIELDS]
            self.fields += ["is_original", "niche"]

    def row_date(self, row: dict) -> dt.date:
        return row["posted_at"].date() if self.kind == "videos" else row["date"]


def metrics_ingest(
    *,
    kind: Kind,
    rows: Sequence[Mapping[str, Any]],
    dry_run: bool = False,
    max_rows: int | None = MAX_BATCH_ROWS,
    creators: QuerySet[Creator] | None = None,
) -> IngestionResult:
    """Validate every row, then upsert them all (or, with ``dry_run``, only report).

    ``max_rows`` caps a batch (the API's limit); files from operators pass None.
    ``creators`` is the caller's scope (a talent manager's own creators): a row for an
    account of any other creator is refused, by row, like any other bad row.
    Raises ``ValidationError({"rows": {"<index>": {field: [reason]}}})`` when any row is bad;
    nothing is written then.
    """
    if kind not in ROW_SERIALIZERS:
        raise ValidationError(
            {"kind": [f"Unknown kind {kind!r}; use {', '.join(ROW_SERIALIZERS)}."]}
        )
    if not rows:
        raise ValidationError({"rows": ["No rows."]})
    if max_rows is not None and len(rows) > max_rows:
        raise ValidationError({"rows": [f"At most {max_rows} rows per batch; got {len(rows)}."]})
    spec = _Spec(kind)
    errors: dict[str, dict[str, list[str]]] = {}
    valid: dict[int, dict] = {}
    row_serializer = ROW_SERIALIZERS[kind]
    for index, raw in enumerate(rows):
        serializer = row_serializer(data=raw)
        if serializer.is_valid():
            valid[index] = dict(serializer.validated_data)
        else:
            errors[str(index)] = {k: [str(m) for m in v] for k, v in serializer.errors.items()}

    accounts = _resolve_accounts(spec=spec, rows=valid)
    owners = accounts if spec.owner == "account" else _resolve_videos(rows=valid, accounts=accounts)
    in_scope = None
    if creators is not None:
        in_scope = set(
            PlatformAccount.objects.filter(
                pk__in=set(accounts.values()), creator__in=creators
            ).values_list("pk", flat=True)
        )
    seen: dict[tuple, int] = {}
    for index, row in valid.items():
        if accounts.get(index) is None:
            errors.setdefault(str(index), {})["account"] = [
                "No account on the roster matches this platform account id or handle"
                f" on {spec.row_date(row)}."
            ]
            continue
        if in_scope is not None and accounts[index] not in in_scope:
            errors.setdefault(str(index), {})["account"] = [
                "This account belongs to a creator you do not manage."
            ]
            continue
        owner = owners.get(index)
        if isinstance(owner, str):  # a video row that names no stored video, or a bad day
            errors.setdefault(str(index), {})[_VIDEO_ERROR_FIELD[owner]] = [owner]
            continue
        key = (owner, row[spec.key_field])
        if key in seen:
            errors.setdefault(str(index), {})[spec.key_field] = [f"Duplicate of row {seen[key]}."]
        seen.setdefault(key, index)
    if errors:
        raise ValidationError({"rows": dict(sorted(errors.items(), key=lambda kv: int(kv[0])))})

    return _upsert(spec=spec, rows=valid, owners=owners, dry_run=dry_run)


NO_VIDEO = "No stored video of this account has this platform_video_id; send the video first."
BEFORE_POSTING = "This day is before the video was posted."
_VIDEO_ERROR_FIELD = {NO_VIDEO: "platform_video_id", BEFORE_POSTING: "date"}


def _resolve_videos(*, rows: Mapping[int, dict], accounts: Mapping[int, int]) -> dict[int, Any]:
    """Row index -> video id, or the reason (a message) when the row cannot have one."""
    keys = {(accounts[i], row["platform_video_id"]) for i, row in rows.items() if i in accounts}
    videos: dict[tuple[int, str], tuple[int, dt.date]] = {}
    if keys:
        candidates = Video.objects.filter(
            account_id__in={a for a, _ in keys}, platform_video_id__in={v for _, v in keys}
        )
        for video_id, account_id, pid, posted_at in candidates.values_list(
            "id", "account_id", "platform_video_id", "posted_at"
        ):
            videos[(account_id, pid)] = (video_id, posted_at.astimezone(dt.UTC).date())
    resolved: dict[int, Any] = {}
    for index, row in rows.items():
        if index not in accounts:
            continue
        found = videos.get((accounts[index], row["platform_video_id"]))
        if found is None:
            resolved[index] = NO_VIDEO
        elif row["date"] < found[1]:
            resolved[index] = BEFORE_POSTING
        else:
            resolved[index] = found[0]
    return resolved


def _resolve_accounts(*, spec: _Spec, rows: Mapping[int, dict]) -> dict[int, int]:
    """Row index -> account id: by (platform, platform account id), else by handle history."""
    by_id_keys = {(r["platform"], r["platform_account_id"]) for r in rows.values() if _pid(r)}
    by_id: dict[tuple[str, str], int] = {}
    if by_id_keys:
        query = Q()
        for platform in {p for p, _ in by_id_keys}:
            ids = [i for p, i in by_id_keys if p == platform]
            query |= Q(platform=platform, platform_account_id__in=ids)
        for account_id, platform, pid in PlatformAccount.objects.filter(query).values_list(
            "id", "platform", "platform_account_id"
        ):
            by_id[(platform, pid)] = account_id

    handle_keys = {(r["platform"], r["handle"].lower()) for r in rows.values() if not _pid(r)}
    handles: dict[tuple[str, str], list[AccountHandle]] = {}
    if handle_keys:
        query = Q()
        for platform in {p for p, _ in handle_keys}:
            names = [h for p, h in handle_keys if p == platform]
            query |= Q(platform=platform, handle_lower__in=names)
        matches = AccountHandle.objects.annotate(handle_lower=Lower("handle")).filter(query)
        for h in matches.only("account_id", "platform", "handle", "valid_from", "valid_to"):
            handles.setdefault((h.platform, h.handle.lower()), []).append(h)

    resolved: dict[int, int] = {}
    for index, row in rows.items():
        if _pid(row):
            account_id = by_id.get((row["platform"], row["platform_account_id"]))
        else:
            day = spec.row_date(row)
            account_id = next(
                (
                    h.account_id
                    for h in handles.get((row["platform"], row["handle"].lower()), [])
                    if h.valid_from <= day and (h.valid_to is None or day < h.valid_to)
                ),
                None,
            )
        if account_id is not None:
            resolved[index] = account_id
    return resolved


def _pid(row: Mapping) -> str:
    return row.get("platform_account_id") or ""


@transaction.atomic
def _upsert(
    *, spec: _Spec, rows: Mapping[int, dict], owners: Mapping[int, int], dry_run: bool
) -> IngestionResult:
    result = IngestionResult(kind=spec.kind, dry_run=dry_run, rows=len(rows))
    # A superset (owners x keys of the batch), narrowed to exact pairs in Python.
    owner_id = f"{spec.owner}_id"
    candidates = spec.model.objects.filter(
        **{f"{owner_id}__in": {owners[i] for i in rows}},
        **{f"{spec.key_field}__in": {row[spec.key_field] for row in rows.values()}},
    )
    existing = {
        (e[owner_id], e[spec.key_field]): e
        for e in candidates.values(owner_id, spec.key_field, *spec.fields).iterator()
    }
    now = timezone.now()
    to_write = []
    for index, row in sorted(rows.items()):
        key = (owners[index], row[spec.key_field])
        values = {f: row[f] for f in spec.fields}
        current = existing.get(key)
        if current is not None and all(current[f] == values[f] for f in spec.fields):
            result.unchanged += 1
            continue
        action = "created" if current is None else "updated"
        setattr(result, action, getattr(result, action) + 1)
        result.changes.append((index, f"{spec.owner} {key[0]} / {key[1]}", action))
        to_write.append(
            spec.model(
                **{owner_id: key[0]},
                **{spec.key_field: key[1]},
                **values,
                created_at=now,
                updated_at=now,
            )
        )
    if to_write and not dry_run:
        spec.model.objects.bulk_create(
            to_write,
            batch_size=MAX_BATCH_ROWS,
            update_conflicts=True,
            unique_fields=[spec.owner, spec.key_field],
            update_fields=[*spec.fields, "updated_at"],
        )
    return result


def metrics_ingest_csv(
    *,
    kind: Kind,
    file: io.TextIOBase | Iterable[str],
    dry_run: bool = False,
    creators: QuerySet[Creator] | None = None,
):
    """The same ingestion from a CSV with a header row; empty cells count as absent.

    Row indexes in errors are 0-based data rows (the header is not counted): data row 0 is
    line 2 of the file.
    """
    try:
        reader = csv.DictReader(file)
        rows = [{k: v for k, v in row.items() if k and v not in ("", None)} for row in reader]
    except (csv.Error, UnicodeDecodeError) as exc:
        raise ValidationError({"file": [f"Not a readable CSV file: {exc}"]}) from exc
    if reader.fieldnames is None:
        raise ValidationError({"file": ["The file is empty; a header row is needed."]})
    # One pass over the whole file: errors (duplicates included) span every row, and the
    # write is one transaction; the API's batch limit does not apply to operators' files.
    return metrics_ingest(kind=kind, rows=rows, dry_run=dry_run, max_rows=None, creators=creators)


def format_errors(detail) -> list[str]:
    """``{"rows": {"3": {"views": [..]}}}`` -> "line 5 (row 3): views: ..." lines."""
    if not isinstance(detail, dict):
        return [str(detail)]
    rows = detail.get("rows")
    if isinstance(rows, dict):
        return [
            f"line {int(index) + 2} (row {index}): {field}: {'; '.join(map(str, messages))}"
            for index, fields in rows.items()
            for field, messages in fields.items()
        ]
    return [f"{field}: {messages}" for field, messages in detail.items()]
