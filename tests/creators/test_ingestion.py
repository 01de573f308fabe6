"""Ingestion service, CSV import and the import_metrics command."""

import datetime as dt
import io
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from rest_framework.exceptions import ValidationError

from creators.models import DailyAccountMetric, Video
from creators.services.ingestion import MAX_BATCH_ROWS, metrics_ingest, metrics_ingest_csv
from tests.factories.creators import DailyAccountMetricFactory, PlatformAccountFactory

pytestmark = pytest.mark.django_db

HEADER = "platform,platform_account_id,handle,date,followers,views,qualified_views,"
HEADER += "watch_time_seconds,videos_posted\n"


def csv_for(account, *lines: str) -> str:
    return HEADER + "".join(f"tiktok,{account.platform_account_id},,{line}\n" for line in lines)


def test_csv_dry_run_reports_and_writes_nothing():
    account = PlatformAccountFactory()
    DailyAccountMetricFactory(account=account, date=dt.date(2026, 1, 1), views=10)
    text = csv_for(account, "2026-01-01,100,20,10,60,0", "2026-01-02,100,20,10,60,0")
    result = metrics_ingest_csv(kind="daily", file=io.StringIO(text), dry_run=True)
    assert (result.created, result.updated, result.unchanged) == (1, 1, 0)
    assert [action for _, _, action in result.changes] == ["updated", "created"]
    assert DailyAccountMetric.objects.get().views == 10  # untouched
    assert DailyAccountMetric.objects.count() == 1


def test_csv_import_writes_and_second_import_changes_nothing():
    account = PlatformAccountFactory()
    text = csv_for(account, "2026-01-01,100,20,10,60,0")
    first = metrics_ingest_csv(kind="daily", file=io.StringIO(text))
    stamp = DailyAccountMetric.objects.get().updated_at
    second = metrics_ingest_csv(kind="daily", file=io.StringIO(text))
    assert (first.created, second.unchanged) == (1, 1)
    assert DailyAccountMetric.objects.get().updated_at == stamp


def test_csv_duplicates_are_found_anywhere_in_the_file():
    account = PlatformAccountFactory()
    start = dt.date(2020, 1, 1)
    lines = [f"{start + dt.timedelta(days=i)},1,1,1,1,0" for i in range(MAX_BATCH_ROWS + 5)]
    lines.append(lines[0])
    with pytest.raises(ValidationError) as exc:
        metrics_ingest_csv(kind="daily", file=io.StringIO(csv_for(account, *lines)))
    assert exc.value.detail["rows"] == {str(MAX_BATCH_ROWS + 5): {"date": ["Duplicate of row 0."]}}


def test_large_csv_is_all_or_nothing():
    account = PlatformAccountFactory()
    start = dt.date(2020, 1, 1)
    lines = [f"{start + dt.timedelta(days=i)},1,1,1,1,0" for i in range(MAX_BATCH_ROWS + 5)]
    lines[-1] = lines[-1].replace(",1,1,1,1,0", ",1,-1,1,1,0")  # last row, second batch
    with pytest.raises(ValidationError) as exc:
        metrics_ingest_csv(kind="daily", file=io.StringIO(csv_for(account, *lines)))
    assert list(exc.value.detail["rows"]) == [str(MAX_BATCH_ROWS + 4)]
    assert not DailyAccountMetric.objects.exists()
    lines[-1] = lines[0].replace("2020-01-01", str(start + dt.timedelta(days=MAX_BATCH_ROWS + 4)))
    result = metrics_ingest_csv(kind="daily", file=io.StringIO(csv_for(account, *lines)))
    assert result.created == DailyAccountMetric.objects.count() == MAX_BATCH_ROWS + 5


def test_unknown_kind_and_empty_batch_are_refused():
    with pytest.raises(ValidationError):
        metrics_ingest(kind="nope", rows=[{}])
    with pytest.raises(ValidationError):
        metrics_ingest(kind="daily", rows=[])


def test_video_row_errors_name_their_field():
    account = PlatformAccountFactory()
    row = {
        "platform": "tiktok", "platform_account_id": account.platform_account_id,
        "platform_video_id": "v", "posted_at": "2026-01-01T00:00:00Z", "duration_seconds": 5,
        "views": 10, "qualified_views": 5, "completed_views": 11, "replays": 0, "likes": 0,
        "comments": 0, "shares": 0,
    }  # fmt: skip
    with pytest.raises(ValidationError) as exc:
        metrics_ingest(kind="videos", rows=[row, row | {"platform_video_id": "w", "likes": -1}])
    rows = exc.value.detail["rows"]
    assert "completed_views" in rows["0"]
    assert "likes" in rows["1"]
    assert not Video.objects.exists()


def test_command_dry_run_and_import(tmp_path):
    account = PlatformAccountFactory()
    path = tmp_path / "daily.csv"
    path.write_text(csv_for(account, "2026-01-01,100,20,10,60,0"))
    out = io.StringIO()
    call_command("import_metrics", str(path), "--dry-run", stdout=out)
    assert "Would create 1" in out.getvalue()
    assert "nothing was written" in out.getvalue()
    assert not DailyAccountMetric.objects.exists()
    call_command("import_metrics", str(path), "--kind", "daily", stdout=io.StringIO())
    assert DailyAccountMetric.objects.get().followers == 100


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["2026-01-01,100,20,10,60,0", "2026-01-02,x,20,10,60,0"], "line 3 (row 1): followers"),
        (["0001-01-01,100,20,10,60,0"], "line 2 (row 0): date: Must be between 2000-01-01"),
        ([",ab\x00,2026-01-01,1,1,1,1,0"], "line 2 (row 0): handle: Null characters"),
    ],
)
def test_command_reports_bad_lines(tmp_path, lines, expected):
    account = PlatformAccountFactory()
    path = tmp_path / "daily.csv"
    text = csv_for(account, *lines).replace(",,,", ",")  # a line may bring its own handle
    path.write_text(text)
    err = io.StringIO()
    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("import_metrics", str(path), stdout=io.StringIO(), stderr=err)
    assert expected in err.getvalue()
    assert not DailyAccountMetric.objects.exists()


@pytest.mark.parametrize("kind", [None, "daily"])
def test_command_refuses_a_file_that_is_not_utf8(tmp_path, kind):
    path = tmp_path / "latin1.csv"
    path.write_bytes((HEADER + "tiktok,caf\xe9,,2026-01-01,1,1,1,1,0\n").encode("latin-1"))
    args = ["--kind", kind] if kind else []
    with pytest.raises(CommandError, match=r"(?i)not a readable"):
        call_command("import_metrics", str(path), *args, stdout=io.StringIO(), stderr=io.StringIO())


def test_command_on_a_non_utf8_file_exits_non_zero_without_a_traceback(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes((HEADER + "tiktok,caf\xe9,,2026-01-01,1,1,1,1,0\n").encode("latin-1"))
    done = subprocess.run(
        [sys.executable, "manage.py", "import_metrics", str(path)],
        cwd=settings.BASE_DIR,
        env={**os.environ, "DJANGO_ENV": "test"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert "not a readable UTF-8 CSV file" in done.stderr
    assert "Traceback" not in done.stderr


def test_csv_is_read_as_a_stream_and_checked_across_chunks(monkeypatch):
    from creators.services import ingestion

    monkeypatch.setattr(ingestion, "STAGE_CHUNK_ROWS", 4)
    account = PlatformAccountFactory()
    start = dt.date(2020, 1, 1)
    lines = [f"{start + dt.timedelta(days=i)},1,1,1,1,0" for i in range(10)]
    lines[9] = lines[1]  # a duplicate two chunks later
    lines[6] = lines[6].replace(",1,1,1,1,0", ",1,x,1,1,0")  # a bad cell in the second chunk
    seen: list[int] = []
    file = iter(csv_for(account, *lines).splitlines(keepends=True))  # a stream, not a list
    with pytest.raises(ValidationError) as exc:
        metrics_ingest_csv(kind="daily", file=file, progress=seen.append)
    assert exc.value.detail["rows"] == {
        "6": {"views": ["A valid integer is required."]},
        "9": {"date": ["Duplicate of row 1."]},
    }
    assert seen == [4, 9, 10]  # rows read when each chunk of good rows is copied
    assert not DailyAccountMetric.objects.exists()


def test_queries_do_not_grow_with_the_rows():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    account = PlatformAccountFactory()
    start = dt.date(2020, 1, 1)
    counts = []
    for size in (2, 300):
        lines = [f"{start + dt.timedelta(days=i)},1,1,1,1,0" for i in range(size)]
        with CaptureQueriesContext(connection) as queries:
            metrics_ingest_csv(kind="daily", file=io.StringIO(csv_for(account, *lines)))
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 12


def test_handles_and_scope_are_resolved_in_the_batch():
    from creators.models import Creator

    account = PlatformAccountFactory(handle="someone")
    other = PlatformAccountFactory(handle="another")
    text = HEADER + "tiktok,,@SomeOne,2026-01-01,1,1,1,1,0\ntiktok,,another,2026-01-01,1,1,1,1,0\n"
    scope = Creator.objects.filter(pk=account.creator_id)
    with pytest.raises(ValidationError) as exc:
        metrics_ingest_csv(kind="daily", file=io.StringIO(text), creators=scope)
    assert exc.value.detail["rows"] == {
        "1": {"account": ["This account belongs to a creator you do not manage."]}
    }
    scope = Creator.objects.filter(pk__in=[account.creator_id, other.creator_id])
    result = metrics_ingest_csv(kind="daily", file=io.StringIO(text), creators=scope)
    assert result.created == 2
    assert {m.account_id for m in DailyAccountMetric.objects.all()} == {account.pk, other.pk}


@pytest.mark.parametrize("inline", [True, False], ids=["inline", "staged"])
@pytest.mark.parametrize("lookups", [True, False], ids=["lookups", "hashed"])
def test_every_path_reads_an_upload_alike(monkeypatch, inline, lookups):
    """Small uploads travel inside the check statement and find accounts by index; large
    ones are staged and hashed. Forced either way, the same upload gives the same errors,
    then the same writes."""
    from creators.models import Creator
    from creators.services import ingestion

    if not inline:
        monkeypatch.setattr(ingestion, "INLINE_MAX_ROWS", 0)
    if not lookups:
        monkeypatch.setattr(ingestion, "LOOKUP_MAX_ROWS", 0)
    mine = PlatformAccountFactory(handle="mine")
    theirs = PlatformAccountFactory(handle="theirs")
    text = HEADER + "".join(
        [
            f"tiktok,{mine.platform_account_id},,2026-01-01,1,1,1,1,0\n",  # 0: by id
            "tiktok,,@Mine,2026-01-02,1,1,1,1,0\n",  # 1: by handle
            "tiktok,nobody,,2026-01-01,1,1,1,1,0\n",  # 2: no such account
            f"tiktok,{mine.platform_account_id},,2026-01-02,1,1,1,1,0\n",  # 3: same as 1
            f"tiktok,{mine.platform_account_id},,2026-01-03,1,x,1,1,0\n",  # 4: bad cell
            "tiktok,,theirs,2026-01-01,1,1,1,1,0\n",  # 5: out of scope
        ]
    )
    scope = Creator.objects.filter(pk=mine.creator_id)
    with pytest.raises(ValidationError) as exc:
        metrics_ingest_csv(kind="daily", file=io.StringIO(text), creators=scope)
    assert exc.value.detail["rows"] == {
        "2": {"account": [ingestion.NO_ACCOUNT + "2026-01-01."]},
        "3": {"date": ["Duplicate of row 1."]},
        "4": {"views": ["A valid integer is required."]},
        "5": {"account": [ingestion.OUT_OF_SCOPE]},
    }
    assert not DailyAccountMetric.objects.exists()
    good = "".join(text.splitlines(keepends=True)[i] for i in (0, 1, 2))
    result = metrics_ingest_csv(kind="daily", file=io.StringIO(good), creators=scope)
    assert (result.created, result.updated, result.unchanged) == (2, 0, 0)
    assert set(DailyAccountMetric.objects.values_list("account_id", "date")) == {
        (mine.pk, dt.date(2026, 1, 1)),
        (mine.pk, dt.date(2026, 1, 2)),
    }
    assert theirs.pk  # present, refused above by scope only
