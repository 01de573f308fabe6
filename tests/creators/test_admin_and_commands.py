"""Admin scoping and pages, the recalculate command, the demo seed."""

import datetime as dt
import io

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


def test_recalculate_now_action(admin_client):
    creator = creator_with_history()
    response = admin_client.post(
        reverse("admin:creators_creator_changelist"),
        {"action": "recalculate_now", "_selected_action": [creator.pk]},
        follow=True,
    )
    assert response.status_code == 200
    run = RecalcRun.objects.get()
    assert (run.trigger, run.status, run.creators_total) == ("admin", "succeeded", 1)
    assert CreatorPerformance.objects.filter(creator=creator, as_of=YESTERDAY).count() == 3


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
