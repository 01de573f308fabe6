"""Daily video metrics through the same ingestion contract: API, CSV and command."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from rest_framework.exceptions import ValidationError

from creators.models import VideoDailyMetric
from creators.services.ingestion import metrics_ingest, metrics_ingest_csv
from tests.factories.creators import PlatformAccountFactory, VideoFactory

pytestmark = pytest.mark.django_db

URL = reverse("metrics-video-daily")
POSTED = dt.datetime(2026, 1, 10, 12, tzinfo=dt.UTC)


@pytest.fixture
def stored_video():
    return VideoFactory(account=PlatformAccountFactory(), posted_at=POSTED)


def row(video, **fields) -> dict:
    return {
        "platform": "tiktok", "platform_account_id": video.account.platform_account_id,
        "platform_video_id": video.platform_video_id, "date": "2026-01-10", "views": 1_000,
        "for_you_views": 700, "follower_views": 200, "completed_views": 400, "replays": 30,
        "likes": 60, "comments": 5, "shares": 3, "saves": 4, "watch_time_seconds": 9_000,
    } | fields  # fmt: skip


def test_rows_are_upserted_per_video_and_day_and_resending_changes_nothing(stored_video):
    rows = [row(stored_video), row(stored_video, date="2026-01-11", views=1_500)]
    result = metrics_ingest(kind="video_daily", rows=rows)
    assert (result.created, result.updated, result.unchanged) == (2, 0, 0)
    stored = VideoDailyMetric.objects.get(video=stored_video, date=dt.date(2026, 1, 10))
    assert (stored.for_you_views, stored.follower_views, stored.saves) == (700, 200, 4)
    again = metrics_ingest(kind="video_daily", rows=rows)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    changed = metrics_ingest(kind="video_daily", rows=[row(stored_video, saves=9)])
    assert changed.updated == 1
    assert VideoDailyMetric.objects.get(video=stored_video, date="2026-01-10").saves == 9


def test_dry_run_reports_and_writes_nothing(stored_video):
    result = metrics_ingest(kind="video_daily", rows=[row(stored_video)], dry_run=True)
    assert result.created == 1
    assert not VideoDailyMetric.objects.exists()


def test_any_bad_row_writes_nothing_and_each_is_reported_by_index(stored_video):
    rows = [
        row(stored_video),
        row(stored_video, platform_video_id="not-stored"),
        row(stored_video, date="2026-01-09"),
        row(stored_video, completed_views=2_000),
        row(stored_video, for_you_views=900),
        row(stored_video, date="2026-01-11", saves=-1),
        row(stored_video),
        row(stored_video, date=str(timezone.now().date() + dt.timedelta(days=30))),
    ]
    with pytest.raises(ValidationError) as exc:
        metrics_ingest(kind="video_daily", rows=rows)
    errors = exc.value.detail["rows"]
    assert set(errors) == {"1", "2", "3", "4", "5", "6", "7"}
    assert "send the video first" in str(errors["1"]["platform_video_id"][0])
    assert "before the video was posted" in str(errors["2"]["date"][0])
    assert "completed_views" in errors["3"]
    assert "for_you_views" in errors["4"]
    assert "saves" in errors["5"]
    assert str(errors["6"]["date"][0]) == "Duplicate of row 0."
    assert "future" in str(errors["7"]["date"][0])
    assert not VideoDailyMetric.objects.exists()


def test_another_accounts_video_id_is_not_matched(stored_video):
    other = PlatformAccountFactory()
    with pytest.raises(ValidationError) as exc:
        metrics_ingest(
            kind="video_daily",
            rows=[row(stored_video, platform_account_id=other.platform_account_id)],
        )
    assert "platform_video_id" in exc.value.detail["rows"]["0"]


def test_csv_errors_give_lines_and_the_command_guesses_the_kind(stored_video, tmp_path):
    header = ",".join(row(stored_video))
    good = ",".join(str(v) for v in row(stored_video).values())
    bad = ",".join(str(v) for v in row(stored_video, date="2026-01-11", views=-3).values())
    with pytest.raises(ValidationError) as exc:
        metrics_ingest_csv(kind="video_daily", file=io.StringIO(f"{header}\n{good}\n{bad}\n"))
    assert set(exc.value.detail["rows"]) == {"1"}
    path = tmp_path / "video_daily.csv"
    path.write_text(f"{header}\n{good}\n")
    out = io.StringIO()
    call_command("import_metrics", str(path), stdout=out)
    assert "video_daily" in out.getvalue()
    assert VideoDailyMetric.objects.count() == 1


def test_api_takes_rows_from_data_partners_only(
    stored_video, data_partner_client, sub_agency_client
):
    response = data_partner_client.post(URL, {"rows": [row(stored_video)]}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["created"] == 1
    bad = data_partner_client.post(
        URL, {"rows": [row(stored_video, platform_video_id="nope")]}, format="json"
    )
    assert bad.status_code == 400
    assert "platform_video_id" in bad.json()["error"]["fields"]["rows"]["0"]
    refused = sub_agency_client.post(URL, {"rows": [row(stored_video)]}, format="json")
    assert refused.status_code == 403
    assert VideoDailyMetric.objects.count() == 1
