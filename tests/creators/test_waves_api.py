"""Waves where people see them: /videos/, /creators/{id}/performance/ and the admin.

A generated creator's videos climb day by day and stall at known pools for known reasons;
the API and the admin must report each video's pool, when it got there and what stopped it.
"""

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from creators.models import Creator, Video
from creators.services import recalc
from tests.conftest import key_known
from tests.factories.agency import StaffUserFactory
from tests.factories.creators import (
    CreatorFactory,
    DailyAccountMetricFactory,
    PlatformAccountFactory,
    VideoDailyMetricFactory,
    VideoFactory,
)

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 1, 31)
LIST = reverse("video-list")

# video id -> (daily views as it climbs, completion, likes per view, expected pool,
#              day it reached it, stopping signal). Replays, comments, shares and saves beat
# every bar; only "short-of-3" misses a single bar (likes), the others two or none.
SCRIPT = {
    "stuck-in-1": ([300, 400, 200], "0.20", "0.03", 1, dt.date(2026, 1, 10), "completion"),
    "short-of-3": ([600, 900, 2_500], "0.50", "0.05", 2, dt.date(2026, 1, 11), "likes"),
    "reached-3": ([800, 4_000, 20_000], "0.40", "0.07", 3, dt.date(2026, 1, 12), "completion"),
    "top": ([900, 50_000, 2_000_000], "0.70", "0.12", 5, dt.date(2026, 1, 12), ""),
}


def climbing_creator(**creator_fields) -> Creator:
    creator = CreatorFactory(**creator_fields)
    account = PlatformAccountFactory(creator=creator)
    DailyAccountMetricFactory(account=account, date=AS_OF)
    for pid, (days, completion, likes, *_) in SCRIPT.items():
        video = VideoFactory(
            account=account,
            platform_video_id=pid,
            posted_at=dt.datetime(2026, 1, 10, 9, tzinfo=dt.UTC),
            views=0,
            qualified_views=0,
            completed_views=0,
            replays=0,
            likes=0,
            comments=0,
            shares=0,
        )
        for offset, views in enumerate(days):
            VideoDailyMetricFactory(
                video=video, date=dt.date(2026, 1, 10 + offset), views=views,
                completed_views=int(views * float(completion)), replays=views // 5,
                likes=int(views * float(likes)), comments=views // 50, shares=views // 50,
                saves=views // 50,
            )  # fmt: skip
    return creator


@pytest.fixture
def own_and_foreign(sub_agency_client, other_sub_agency_client):
    own = climbing_creator(sub_agency=sub_agency_client.partner)
    foreign = climbing_creator(sub_agency=other_sub_agency_client.partner)
    recalc.recalc_run_inline(as_of=AS_OF)
    return own, foreign


def test_videos_report_pool_reached_on_and_stopping_signal(sub_agency_client, own_and_foreign):
    own, _ = own_and_foreign
    body = sub_agency_client.get(LIST, {"page_size": 100}).json()
    by_id = {row["platform_video_id"]: row for row in body["results"]}
    assert set(by_id) == set(SCRIPT)
    assert {row["creator_id"] for row in body["results"]} == {own.id}
    for pid, (_, _, _, pool, reached_on, signal) in SCRIPT.items():
        wave = by_id[pid]["wave"]
        assert (wave["pool"], wave["reached_on"], wave["stopping_signal"]) == (
            pool,
            reached_on.isoformat(),
            signal,
        ), pid
    short = by_id["short-of-3"]["wave"]
    assert short["stalled"] is True and short["signals_short"] == 1
    assert (short["stopping_actual"], short["stopping_bar"]) == ("0.050000", "0.060000")
    assert short["explanation"] == "likes 5.0 % vs ~6.0 % typical for pool 3"
    stuck = by_id["stuck-in-1"]["wave"]
    assert stuck["explanation"].startswith("completion 20.0 % vs ~30.0 % typical for pool 2")
    assert by_id["top"]["wave"]["next_pool"] is None


def test_filters_find_the_one_step_short_videos(sub_agency_client, own_and_foreign):
    body = sub_agency_client.get(LIST, {"one_step_short": "true"}).json()
    assert [row["platform_video_id"] for row in body["results"]] == ["short-of-3"]
    body = sub_agency_client.get(LIST, {"pool": 5}).json()
    assert [row["platform_video_id"] for row in body["results"]] == ["top"]
    bad = sub_agency_client.get(LIST, {"pool": "x"})
    assert bad.status_code == 400 and "pool" in bad.json()["error"]["fields"]


def test_another_partners_video_is_404_and_filters_find_nothing(sub_agency_client, own_and_foreign):
    own, foreign = own_and_foreign
    own_video = Video.objects.filter(account__creator=own).first()
    foreign_video = Video.objects.filter(account__creator=foreign).first()
    detail = sub_agency_client.get(reverse("video-detail", args=[own_video.pk]))
    assert detail.status_code == 200
    assert len(detail.json()["daily"]) == 3
    response = sub_agency_client.get(reverse("video-detail", args=[foreign_video.pk]))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert sub_agency_client.get(LIST, {"creator": foreign.id}).json()["results"] == []


def test_brand_sees_active_creators_videos_and_data_partners_none(
    brand_client, data_partner_client, own_and_foreign
):
    own, _ = own_and_foreign
    paused = climbing_creator(status=Creator.Status.PAUSED)
    rows = brand_client.get(LIST, {"page_size": 100}).json()["results"]
    ids = {row["creator_id"] for row in rows}
    assert own.id in ids and paused.id not in ids
    assert data_partner_client.get(LIST).status_code == 403


VIDEO_LIST_QUERIES = 2  # count, page (account, wave and its version joined); key known


def test_video_list_query_count_is_constant(sub_agency_client, django_assert_num_queries):
    key_known(sub_agency_client)
    climbing_creator(sub_agency=sub_agency_client.partner)
    recalc.recalc_run_inline(as_of=AS_OF)
    with django_assert_num_queries(VIDEO_LIST_QUERIES):
        assert len(sub_agency_client.get(LIST).json()["results"]) == 4
    for _ in range(4):
        climbing_creator(sub_agency=sub_agency_client.partner)
    recalc.recalc_run_inline(as_of=AS_OF)
    with django_assert_num_queries(VIDEO_LIST_QUERIES):
        response = sub_agency_client.get(LIST, {"page_size": 100})
    assert len(response.json()["results"]) == 20


def test_performance_shows_pool_shares_weakest_signal_and_trend(sub_agency_client, own_and_foreign):
    own, _ = own_and_foreign
    body = sub_agency_client.get(reverse("creator-performance", args=[own.id])).json()
    w28 = next(w for w in body["waves"]["windows"] if w["window_days"] == 28)
    assert w28["videos"] == 4
    assert [(p["pool"], p["videos_stopped_here"], p["share_reaching"]) for p in w28["pools"]] == [
        (1, 1, "1.0000"),
        (2, 1, "0.7500"),
        (3, 1, "0.5000"),
        (4, 0, "0.2500"),
        (5, 1, "0.2500"),
    ]
    # completion stopped two stalled videos, likes one
    assert (w28["stalled_videos"], w28["weakest_signal"], w28["weakest_signal_videos"]) == (
        3,
        "completion",
        2,
    )
    assert [t["as_of"] for t in body["waves"]["trend"]] == [AS_OF.isoformat()]


def test_admin_creator_page_shows_pools_and_the_stopping_signal(admin_client, own_and_foreign):
    own, _ = own_and_foreign
    page = admin_client.get(reverse("admin:creators_creator_change", args=[own.pk]))
    html = page.content.decode()
    assert "Traffic pools" in html
    assert "likes 5.0 % vs ~6.0 % typical for pool 3" in html
    assert "completion (stopped 2 of 3)" in html


def test_talent_manager_lists_their_videos_one_step_short(client):
    manager = StaffUserFactory(username="manager")
    manager.user_permissions.set(
        Permission.objects.filter(content_type__app_label="creators", codename="view_videowave")
    )
    client.force_login(manager)
    mine = climbing_creator(talent_manager=manager)
    climbing_creator()  # someone else's
    recalc.recalc_run_inline(as_of=AS_OF)
    url = reverse("admin:creators_videowave_changelist")
    html = client.get(url, {"one_step_short": "yes"}).content.decode()
    assert html.count("short-of-3") == 1
    assert "stuck-in-1" not in html
    assert mine.stage_name in html
    everything = client.get(url).content.decode()
    assert everything.count("stuck-in-1") == 1
