"""Intraday (hourly) video rows: the daily rows' contract (all or nothing, row errors by
index or line, idempotent, dry run) through the API, CSV and command; each touched day's
daily row derived as the sum of its hours; retention; the hour a video reached its pool."""

import datetime as dt
import io
import threading
import time

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from rest_framework.exceptions import ValidationError

from creators.models import VideoDailyMetric, VideoHourlyMetric, VideoWave
from creators.services import waves
from creators.services.ingestion import metrics_ingest, metrics_ingest_csv
from tests.factories.creators import PlatformAccountFactory, VideoFactory

pytestmark = pytest.mark.django_db

URL = reverse("metrics-video-hourly")
POSTED = dt.datetime(2026, 1, 10, 12, 20, tzinfo=dt.UTC)


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 1, day, hour, minute, tzinfo=dt.UTC)


@pytest.fixture
def stored_video():
    return VideoFactory(account=PlatformAccountFactory(), posted_at=POSTED, views=0)


def row(video, **fields) -> dict:
    return {
        "platform": "tiktok", "platform_account_id": video.account.platform_account_id,
        "platform_video_id": video.platform_video_id, "hour": "2026-01-10T12:00:00Z",
        "views": 100, "for_you_views": 70, "follower_views": 20, "completed_views": 40,
        "replays": 3, "likes": 6, "comments": 1, "shares": 1, "saves": 2,
        "watch_time_seconds": 900,
    } | fields  # fmt: skip


def daily(video, day: dt.date) -> VideoDailyMetric:
    return VideoDailyMetric.objects.get(video=video, date=day)


def test_rows_are_upserted_per_hour_and_resending_changes_nothing(stored_video):
    rows = [
        row(stored_video),
        row(stored_video, hour="2026-01-10T13:45:10+00:00", views=50, for_you_views=10),
        row(stored_video, hour="2026-01-11T02:30:00+03:00", views=90),  # 2026-01-10 23:00 UTC
    ]
    result = metrics_ingest(kind="video_hourly", rows=rows)
    assert (result.created, result.updated, result.unchanged) == (3, 0, 0)
    hours = list(VideoHourlyMetric.objects.order_by("hour").values_list("hour", "views"))
    assert hours == [(at(10, 12), 100), (at(10, 13), 50), (at(10, 23), 90)]
    again = metrics_ingest(kind="video_hourly", rows=rows)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)


def test_each_touched_day_gets_the_sum_of_its_hours_as_its_daily_row(stored_video):
    metrics_ingest(
        kind="video_hourly",
        rows=[
            row(stored_video),
            row(stored_video, hour="2026-01-10T13:00:00Z", views=50, for_you_views=10, saves=5),
            row(
                stored_video,
                hour="2026-01-11T09:00:00Z",
                views=20,
                for_you_views=0,
                follower_views=0,
                completed_views=0,
            ),
        ],
    )
    first = daily(stored_video, dt.date(2026, 1, 10))
    assert (first.views, first.for_you_views, first.saves) == (150, 80, 7)
    assert (first.watch_time_seconds, first.completed_views) == (1_800, 80)
    assert daily(stored_video, dt.date(2026, 1, 11)).views == 20
    stamp = first.updated_at
    # A corrected hour rewrites its day only; resending the same hours rewrites nothing.
    metrics_ingest(kind="video_hourly", rows=[row(stored_video, views=130)])
    assert daily(stored_video, dt.date(2026, 1, 10)).views == 180
    metrics_ingest(kind="video_hourly", rows=[row(stored_video, views=130)])
    assert daily(stored_video, dt.date(2026, 1, 10)).updated_at > stamp
    unchanged = daily(stored_video, dt.date(2026, 1, 10)).updated_at
    metrics_ingest(kind="video_hourly", rows=[row(stored_video, views=130)])
    assert daily(stored_video, dt.date(2026, 1, 10)).updated_at == unchanged


def test_dry_run_reports_and_writes_nothing(stored_video):
    result = metrics_ingest(kind="video_hourly", rows=[row(stored_video)], dry_run=True)
    assert (result.created, result.dry_run) == (1, True)
    assert not VideoHourlyMetric.objects.exists()
    assert not VideoDailyMetric.objects.exists()


def test_any_bad_row_writes_nothing_and_each_is_reported_by_index(stored_video):
    future = (timezone.now() + dt.timedelta(hours=2)).isoformat()
    rows = [
        row(stored_video, hour="2026-01-10T12:59:59Z"),  # the posting hour: accepted
        row(stored_video, platform_video_id="not-stored"),
        row(stored_video, hour="2026-01-10T11:59:00Z"),  # the hour before posting
        row(stored_video, hour="2026-01-10T14:00:00Z", completed_views=101),
        row(stored_video, hour="2026-01-10T15:00:00Z", for_you_views=90),
        row(stored_video, hour="2026-01-10T12:10:00Z"),  # the same hour as row 0
        row(stored_video, hour=future),
        row(stored_video, hour="10/01/2026 12h"),
    ]
    with pytest.raises(ValidationError) as exc:
        metrics_ingest(kind="video_hourly", rows=rows)
    errors = exc.value.detail["rows"]
    assert set(errors) == {"1", "2", "3", "4", "5", "6", "7"}
    assert "send the video first" in str(errors["1"]["platform_video_id"][0])
    assert str(errors["2"]["hour"][0]) == "This hour is before the video was posted."
    assert "completed_views" in errors["3"]
    assert "for_you_views" in errors["4"]
    assert str(errors["5"]["hour"][0]) == "Duplicate of row 0."
    assert "future" in str(errors["6"]["hour"][0])
    assert "hour" in errors["7"]
    assert not VideoHourlyMetric.objects.exists()
    assert not VideoDailyMetric.objects.exists()


def test_a_daily_row_for_a_day_with_hours_is_refused(stored_video):
    metrics_ingest(kind="video_hourly", rows=[row(stored_video)])
    day_row = row(stored_video, date="2026-01-10", views=999)
    day_row.pop("hour")
    next_day = dict(day_row, date="2026-01-11")
    with pytest.raises(ValidationError) as exc:
        metrics_ingest(kind="video_daily", rows=[next_day, day_row])
    assert set(exc.value.detail["rows"]) == {"1"}
    assert "its daily row is their sum" in str(exc.value.detail["rows"]["1"]["date"][0])
    assert daily(stored_video, dt.date(2026, 1, 10)).views == 100
    metrics_ingest(kind="video_daily", rows=[next_day])  # a day without hours is taken
    assert daily(stored_video, dt.date(2026, 1, 11)).views == 999


def test_csv_errors_give_lines_and_the_command_guesses_the_kind(stored_video, tmp_path):
    header = ",".join(row(stored_video))
    good = ",".join(str(v) for v in row(stored_video).values())
    bad = ",".join(str(v) for v in row(stored_video, hour="2026-01-10T13:00:00Z",
                                         views=-3).values())  # fmt: skip
    with pytest.raises(ValidationError) as exc:
        metrics_ingest_csv(kind="video_hourly", file=io.StringIO(f"{header}\n{good}\n{bad}\n"))
    assert set(exc.value.detail["rows"]) == {"1"}
    path = tmp_path / "video_hourly.csv"
    path.write_text(f"{header}\n{good}\n")
    out = io.StringIO()
    call_command("import_metrics", str(path), stdout=out)
    assert "video_hourly" in out.getvalue()
    assert VideoHourlyMetric.objects.count() == 1
    assert daily(stored_video, dt.date(2026, 1, 10)).views == 100


def test_api_takes_rows_from_data_partners_only(
    stored_video, data_partner_client, sub_agency_client
):
    response = data_partner_client.post(URL, {"rows": [row(stored_video)]}, format="json")
    assert response.status_code == 200, response.json()
    assert (response.json()["kind"], response.json()["created"]) == ("video_hourly", 1)
    bad = data_partner_client.post(
        URL, {"rows": [row(stored_video, hour="2026-01-09T23:00:00Z")]}, format="json"
    )
    assert bad.status_code == 400
    assert "hour" in bad.json()["error"]["fields"]["rows"]["0"]
    refused = sub_agency_client.post(URL, {"rows": [row(stored_video)]}, format="json")
    assert refused.status_code == 403
    assert VideoHourlyMetric.objects.count() == 1


def test_purge_keeps_the_same_first_days_as_the_daily_rows(settings, stored_video):
    settings.CREATORS_VIDEO_DAILY_RETENTION_DAYS = 2
    metrics_ingest(
        kind="video_hourly",
        rows=[
            row(stored_video, hour="2026-01-11T23:00:00Z"),  # day 1 of its life: kept
            row(stored_video, hour="2026-01-12T00:00:00Z"),  # day 2: purged
        ],
    )
    assert waves.video_daily_purge() == 2  # the hour and its derived daily row
    assert list(VideoHourlyMetric.objects.values_list("hour", flat=True)) == [at(11, 23)]
    assert list(VideoDailyMetric.objects.values_list("date", flat=True)) == [dt.date(2026, 1, 11)]


# --- waves read the hours of the day a video reached its pool -------------------------------


def hours(video, counts: dict[dt.datetime, int]) -> None:
    metrics_ingest(
        kind="video_hourly",
        rows=[
            row(video, hour=moment.isoformat(), views=views, for_you_views=0,
                follower_views=0, completed_views=views * 6 // 10, replays=views // 5,
                likes=views // 8, comments=views // 40, shares=views // 40, saves=0)
            for moment, views in counts.items()
        ],
    )  # fmt: skip


def test_reached_at_is_the_first_hour_the_running_views_reach_the_pool(stored_video):
    # Day 0: 700 views. Day 1: 999 at 09:00 (the last view below pool 2's 1,000), then
    # 1,000 at 14:00 (the first at it), 1,050 at 15:00.
    hours(stored_video, {at(10, 12): 300, at(10, 13): 400, at(11, 9): 299, at(11, 14): 1,
                         at(11, 15): 50})  # fmt: skip
    waves.waves_compute_chunk(as_of=dt.date(2026, 1, 31), creator_ids=[
        stored_video.account.creator_id])  # fmt: skip
    wave = VideoWave.objects.get(video=stored_video)
    assert (wave.views, wave.pool, wave.reached_on) == (1_050, 2, dt.date(2026, 1, 11))
    assert wave.reached_at == at(11, 14)


def test_reached_at_on_the_posting_day_and_empty_without_hours(stored_video):
    other = VideoFactory(account=stored_video.account, posted_at=POSTED, views=5_000)
    hours(stored_video, {at(10, 12): 400, at(10, 16): 600})
    waves.waves_compute_chunk(as_of=dt.date(2026, 1, 31), creator_ids=[
        stored_video.account.creator_id])  # fmt: skip
    wave = VideoWave.objects.get(video=stored_video)
    assert (wave.pool, wave.reached_on, wave.reached_at) == (2, dt.date(2026, 1, 10), at(10, 16))
    assert VideoWave.objects.get(video=other).reached_at is None  # no rows show the hour


def test_admin_and_api_show_the_hour(stored_video, admin_client, sub_agency_client):
    creator = stored_video.account.creator
    creator.sub_agency = sub_agency_client.partner
    creator.save()
    hours(stored_video, {at(10, 12): 300, at(11, 14): 700})
    waves.waves_compute_chunk(as_of=dt.date(2026, 1, 31), creator_ids=[creator.pk])
    page = admin_client.get(reverse("admin:creators_creator_change", args=[creator.pk]))
    assert "2026-01-11 14:00 UTC" in page.content.decode()
    listing = admin_client.get(reverse("admin:creators_videowave_changelist"))
    assert "2026-01-11 14:00 UTC" in listing.content.decode()
    body = sub_agency_client.get(reverse("video-detail", args=[stored_video.pk])).json()
    assert body["wave"]["reached_at"] == "2026-01-11T14:00:00Z"


@pytest.mark.django_db(transaction=True)
def test_two_uploads_for_one_day_at_once_both_count_in_its_daily_row():
    """The second upload waits for the first (a lock per video), then sums its hours too."""
    from django.db import connection, transaction

    video = VideoFactory(account=PlatformAccountFactory(), posted_at=POSTED, views=0)
    first_written, errors = threading.Event(), []

    def first():
        try:
            with transaction.atomic():
                metrics_ingest(kind="video_hourly", rows=[row(video, views=100)])
                first_written.set()
                time.sleep(1.5)  # the second upload is under way, waiting for the lock
        except Exception as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    def second():
        try:
            first_written.wait(10)
            metrics_ingest(kind="video_hourly", rows=[row(video, hour="2026-01-10T15:00:00Z")])
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert VideoHourlyMetric.objects.filter(video=video).count() == 2
    assert daily(video, dt.date(2026, 1, 10)).views == 200
