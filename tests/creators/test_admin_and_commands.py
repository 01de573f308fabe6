"""Admin scoping and pages, the recalculate command, the demo seed."""

import datetime as dt
import io
from unittest.mock import patch

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from creators import demo
from creators.models import Creator, CreatorPerformance, DailyAccountMetric, RecalcRun
from creators.services import recalc
from tests.factories.agency import StaffUserFactory
from tests.factories.creators import (
    CreatorFactory,
    DailyAccountMetricFactory,
    PlatformAccountFactory,
)

pytestmark = pytest.mark.django_db

YESTERDAY = recalc.default_as_of()


@pytest.fixture
def manager(client):
    user = StaffUserFactory(username="manager")
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="creators",
            codename__in=["view_creator", "change_creator", "view_dailyaccountmetric",
                          "add_dailyaccountmetric"],
        )
    )  # fmt: skip
    client.force_login(user)
    return user


def creator_with_history(**fields) -> Creator:
    creator = CreatorFactory(**fields)
    account = PlatformAccountFactory(creator=creator)
    for d in range(10):
        DailyAccountMetricFactory(
            account=account, date=YESTERDAY - dt.timedelta(days=d), followers=20_000 - d
        )
    return creator


def test_talent_manager_sees_only_their_creators(client, manager):
    mine = creator_with_history(talent_manager=manager, stage_name="mine")
    theirs = creator_with_history(talent_manager=StaffUserFactory(), stage_name="theirs")
    page = client.get(reverse("admin:creators_creator_changelist"))
    assert page.status_code == 200
    assert b"mine" in page.content and b"theirs" not in page.content
    assert client.get(reverse("admin:creators_creator_change", args=[theirs.pk])).status_code in (
        302,
        404,
    )
    assert client.get(reverse("admin:creators_creator_change", args=[mine.pk])).status_code == 200


def test_creator_page_shows_score_eligibility_and_chart(admin_client):
    creator = creator_with_history()
    recalc.recalc_run_inline(as_of=YESTERDAY - dt.timedelta(days=7))
    recalc.recalc_run_inline(as_of=YESTERDAY)
    page = admin_client.get(reverse("admin:creators_creator_change", args=[creator.pk]))
    html = page.content.decode()
    week_ago = YESTERDAY - dt.timedelta(days=7)
    assert f"28-day score by date: {week_ago}: " in html
    assert f" → {YESTERDAY}: " in html
    assert "<svg" in html and "<polyline" in html
    assert "needs 180,000 more followers" in html  # brand-deal ready
    assert "TikTok Creator Rewards" in html
    changelist_url = reverse("admin:creators_creator_changelist")
    l1 = admin_client.get(changelist_url, {"tier": "L1"}).content.decode()
    l2 = admin_client.get(changelist_url, {"tier": "L2"}).content.decode()
    assert creator.stage_name in l1  # no videos in 28 days: L1
    assert creator.stage_name not in l2


def test_recalculate_now_action_queues_a_run_for_the_workers(
    admin_client, django_capture_on_commit_callbacks
):
    creator = creator_with_history()
    with django_capture_on_commit_callbacks() as callbacks:
        response = admin_client.post(
            reverse("admin:creators_creator_changelist"),
            {"action": "recalculate_now", "_selected_action": [creator.pk]},
            follow=True,
        )
    assert response.status_code == 200
    run = RecalcRun.objects.get()
    assert (run.trigger, run.status, run.creators_total, run.chunks_total) == (
        "admin",
        "running",
        1,
        1,
    )
    assert f"run {run.pk}</a> queued for 1 creator(s)" in response.content.decode()
    assert len(callbacks) == 1  # one chunk task, sent after commit
    assert not CreatorPerformance.objects.exists()  # nothing computed in the request
    with patch("creators.tasks.recalc_chunk.apply_async") as send:
        callbacks[0]()
    assert send.call_args.args[0] == (run.chunks.get().pk,)


def test_admin_csv_upload_dry_run_then_import(admin_client):
    account = PlatformAccountFactory()
    text = (
        "platform,platform_account_id,date,followers,views,qualified_views,"
        "watch_time_seconds,videos_posted\n"
        f"tiktok,{account.platform_account_id},2026-01-01,5,10,5,60,0\n"
    )
    url = reverse("admin:creators_dailyaccountmetric_import_csv")
    upload = SimpleUploadedFile("d.csv", text.encode())
    dry = admin_client.post(url, {"file": upload, "kind": "daily", "dry_run": "on"})
    assert "Dry run: nothing was written" in dry.content.decode()
    assert not DailyAccountMetric.objects.exists()
    upload = SimpleUploadedFile("d.csv", text.encode())
    admin_client.post(url, {"file": upload, "kind": "daily"})
    assert DailyAccountMetric.objects.get().followers == 5


def test_recalculate_command_full_and_incremental():
    creators = [creator_with_history() for _ in range(3)]
    out, err = io.StringIO(), io.StringIO()
    call_command("recalculate", "--full", "--chunk-size", "2", stdout=out, stderr=err)
    assert "succeeded, 3 creators in 2 chunks" in out.getvalue()
    out = io.StringIO()
    call_command("recalculate", stdout=out, stderr=err)
    assert "incremental" in out.getvalue() and "0 creators" in out.getvalue()
    out = io.StringIO()
    call_command("recalculate", "--creator", str(creators[0].pk), "--as-of", "2026-01-31",
                 stdout=out, stderr=err)  # fmt: skip
    assert "1 creators" in out.getvalue()
    assert CreatorPerformance.objects.filter(as_of=dt.date(2026, 1, 31)).count() == 3


def test_demo_seed_builds_a_scored_roster(monkeypatch):
    monkeypatch.setattr(demo, "CREATORS", 12)
    out = io.StringIO()
    demo.seed(stdout=out)
    assert Creator.objects.count() == 12
    assert DailyAccountMetric.objects.filter(date=YESTERDAY).exists()
    latest = CreatorPerformance.objects.filter(as_of=YESTERDAY, window_days=28)
    assert latest.count() == 12
    assert not latest.filter(score__isnull=True).exists()
    assert "recalculated as of" in out.getvalue()


def test_a_managers_foreign_selection_recalculates_nobody(
    client, manager, django_capture_on_commit_callbacks
):
    theirs = creator_with_history(talent_manager=StaffUserFactory(), stage_name="theirs")
    creator_with_history(talent_manager=manager, stage_name="mine")
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(
            reverse("admin:creators_creator_changelist"),
            {"action": "recalculate_now", "_selected_action": [theirs.pk]},
            follow=True,
        )
    assert "None of the selected items is yours to change" in response.content.decode()
    assert not RecalcRun.objects.exists() and callbacks == []
    assert not CreatorPerformance.objects.exists()


def test_an_empty_selection_of_creators_is_nobody_not_everyone():
    creator_with_history()
    assert recalc.recalc_creator_ids(as_of=YESTERDAY, mode="full", creator_ids=[]) == []
    run = recalc.recalc_start(as_of=YESTERDAY, mode="full", creator_ids=[], enqueue=False)
    assert (run.creators_total, run.selected_only) == (0, True)


def test_a_managers_csv_import_refuses_rows_of_creators_they_do_not_manage(client, manager):
    mine = PlatformAccountFactory(creator=CreatorFactory(talent_manager=manager))
    theirs = PlatformAccountFactory(creator=CreatorFactory(talent_manager=StaffUserFactory()))
    DailyAccountMetricFactory(account=theirs, date=dt.date(2026, 1, 1), views=482)
    text = (
        "platform,platform_account_id,date,followers,views,qualified_views,"
        "watch_time_seconds,videos_posted\n"
        f"tiktok,{mine.platform_account_id},2026-01-01,5,10,5,60,0\n"
        f"tiktok,{theirs.platform_account_id},2026-01-01,5,31337,5,60,0\n"
    )
    url = reverse("admin:creators_dailyaccountmetric_import_csv")
    upload = SimpleUploadedFile("d.csv", text.encode())
    page = client.post(url, {"file": upload, "kind": "daily"}).content.decode()
    assert "line 3 (row 1): account: This account belongs to a creator you do not manage." in page
    assert "line 2" not in page  # the manager's own row was fine
    assert DailyAccountMetric.objects.get(account=theirs).views == 482
    assert not DailyAccountMetric.objects.filter(account=mine).exists()  # all or nothing


def test_the_import_page_refuses_a_user_without_the_add_permission_with_a_message(client):
    user = StaffUserFactory(username="reader")
    user.user_permissions.set(Permission.objects.filter(codename="view_dailyaccountmetric"))
    client.force_login(user)
    url = reverse("admin:creators_dailyaccountmetric_import_csv")
    upload = SimpleUploadedFile("d.csv", b"platform,platform_account_id,date\n")
    response = client.post(url, {"file": upload, "kind": "daily"}, follow=True)
    assert response.status_code == 200
    assert "Importing metrics needs the permission to add them." in response.content.decode()


def test_a_managers_add_form_refuses_another_managers_account(client, manager):
    theirs = PlatformAccountFactory(creator=CreatorFactory(talent_manager=StaffUserFactory()))
    mine = PlatformAccountFactory(creator=CreatorFactory(talent_manager=manager))
    url = reverse("admin:creators_dailyaccountmetric_add")
    row = {"date": "2026-01-01", "followers": 5, "views": 31337, "qualified_views": 5,
           "watch_time_seconds": 60, "videos_posted": 0, "guideline_strikes": 0}  # fmt: skip
    page = client.post(url, {**row, "account": theirs.pk})
    assert page.status_code == 200 and "errornote" in page.content.decode()
    assert not DailyAccountMetric.objects.exists()
    assert client.post(url, {**row, "account": mine.pk}).status_code == 302
    assert DailyAccountMetric.objects.get().account == mine
