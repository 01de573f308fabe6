"""Community-guidelines strikes and throttling: ingested with the daily metrics, marked and
explained on the performance API and the creator's admin page."""

import datetime as dt
import io

import pytest
from django.urls import reverse
from rest_framework.exceptions import ValidationError

from creators import selectors
from creators.models import DailyAccountMetric
from creators.services import recalc
from creators.services.ingestion import metrics_ingest, metrics_ingest_csv
from tests.factories.creators import CreatorFactory, PlatformAccountFactory, VideoFactory

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 1, 31)


def daily_row(account, day=AS_OF, **fields) -> dict:
    return {
        "platform": "tiktok", "platform_account_id": account.platform_account_id,
        "date": day.isoformat(), "followers": 100, "views": 10, "qualified_views": 5,
        "watch_time_seconds": 60, "videos_posted": 0,
    } | fields  # fmt: skip


def test_flags_are_ingested_optional_and_validated():
    account = PlatformAccountFactory()
    metrics_ingest(kind="daily", rows=[daily_row(account, guideline_strikes=2, throttled=True)])
    row = DailyAccountMetric.objects.get(account=account)
    assert (row.guideline_strikes, row.throttled) == (2, True)
    # Absent columns mean no strike and no throttling; that changes the stored row.
    assert metrics_ingest(kind="daily", rows=[daily_row(account)]).updated == 1
    row.refresh_from_db()
    assert (row.guideline_strikes, row.throttled) == (0, False)
    with pytest.raises(ValidationError) as exc:
        metrics_ingest(kind="daily", rows=[daily_row(account, guideline_strikes=-1)])
    assert "guideline_strikes" in exc.value.detail["rows"]["0"]


def test_csv_takes_the_flag_columns():
    account = PlatformAccountFactory()
    row = daily_row(account, guideline_strikes=1, throttled="true")
    text = ",".join(row) + "\n" + ",".join(str(v) for v in row.values()) + "\n"
    metrics_ingest_csv(kind="daily", file=io.StringIO(text))
    assert DailyAccountMetric.objects.get(account=account).throttled is True


@pytest.fixture
def flagged(sub_agency_client):
    creator = CreatorFactory(sub_agency=sub_agency_client.partner)
    flagged = PlatformAccountFactory(creator=creator, handle="struck")
    clean = PlatformAccountFactory(creator=creator, platform="youtube", handle="clean")
    VideoFactory(account=flagged, posted_at=dt.datetime(2026, 1, 20, tzinfo=dt.UTC))
    rows = [
        daily_row(flagged, AS_OF - dt.timedelta(days=1), guideline_strikes=1),
        daily_row(flagged, guideline_strikes=2, throttled=True),
        daily_row(clean, platform="youtube", guideline_strikes=0),
    ]
    metrics_ingest(kind="daily", rows=rows)
    recalc.recalc_run_inline(as_of=AS_OF)
    return creator


def test_performance_marks_and_explains_the_flagged_account(sub_agency_client, flagged):
    body = sub_agency_client.get(reverse("creator-performance", args=[flagged.pk])).json()
    [restriction] = body["restrictions"]
    assert restriction["handle"] == "struck"
    assert (restriction["guideline_strikes"], restriction["throttled"]) == (2, True)
    assert restriction["date"] == AS_OF.isoformat()
    assert restriction["message"].startswith(
        "2 community-guidelines strikes and throttled on 2026-01-31: the platform limits"
    )
    # As of the day before, only the first strike was in force.
    [earlier] = selectors.account_restrictions(creator=flagged, as_of=dt.date(2026, 1, 30))
    assert (earlier.guideline_strikes, earlier.throttled) == (1, False)


def test_a_cleared_flag_unmarks_the_creator(sub_agency_client, flagged):
    account = flagged.accounts.get(handle="struck")
    metrics_ingest(kind="daily", rows=[daily_row(account, AS_OF)])
    body = sub_agency_client.get(reverse("creator-performance", args=[flagged.pk])).json()
    assert body["restrictions"] == []


def test_admin_creator_page_marks_the_creator(admin_client, flagged):
    html = admin_client.get(reverse("admin:creators_creator_change", args=[flagged.pk]))
    assert "Marked:</strong> @struck: 2 community-guidelines strikes and throttled" in (
        html.content.decode()
    )
