"""Creators partner API: scoping between partners, private fields, filters, query counts."""

import datetime as dt

import pytest
from django.urls import reverse

from creators.models import Creator, Platform
from creators.services import recalc
from tests.conftest import key_known
from tests.factories.creators import (
    CreatorFactory,
    DailyAccountMetricFactory,
    PlatformAccountFactory,
    VideoFactory,
)

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 1, 31)
LIST = reverse("creator-list")


def detail(creator_id: int, what: str = "") -> str:
    name = f"creator-{what}" if what else "creator-detail"
    return reverse(name, args=[creator_id])


def creator_with_data(*, sub_agency=None, views=1_000, followers=1_000, **fields) -> Creator:
    creator = CreatorFactory(sub_agency=sub_agency, **fields)
    account = PlatformAccountFactory(creator=creator)
    DailyAccountMetricFactory(account=account, date=AS_OF, followers=followers, views=views)
    VideoFactory(account=account, posted_at=dt.datetime(2026, 1, 30, tzinfo=dt.UTC), views=views)
    return creator


@pytest.fixture
def own_and_foreign(sub_agency_client, other_sub_agency_client):
    own = creator_with_data(sub_agency=sub_agency_client.partner, stage_name="own")
    foreign = creator_with_data(sub_agency=other_sub_agency_client.partner, stage_name="foreign")
    recalc.recalc_run_inline(as_of=AS_OF)
    return own, foreign


def test_sub_agency_sees_only_its_creators_with_private_fields(sub_agency_client, own_and_foreign):
    own, foreign = own_and_foreign
    body = sub_agency_client.get(LIST).json()
    assert [c["id"] for c in body["results"]] == [own.id]
    assert foreign.id not in {c["id"] for c in body["results"]}
    row = body["results"][0]
    assert row["date_of_birth"] == "1998-05-17"
    assert row["legal_name"] == own.legal_name
    assert row["tier"] == "L2"
    assert row["score"] is not None
    assert row["accounts"][0]["platform"] == "tiktok"


@pytest.mark.parametrize("what", ["", "performance", "eligibility"])
def test_another_sub_agencys_creator_is_404_on_every_route(
    sub_agency_client, own_and_foreign, what
):
    own, foreign = own_and_foreign
    assert sub_agency_client.get(detail(own.id, what)).status_code == 200
    response = sub_agency_client.get(detail(foreign.id, what))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_brand_sees_public_profile_of_active_creators_only(brand_client, own_and_foreign):
    own, _ = own_and_foreign
    paused = creator_with_data(status=Creator.Status.PAUSED)
    body = brand_client.get(LIST).json()
    ids = {c["id"] for c in body["results"]}
    assert own.id in ids and paused.id not in ids
    for row in body["results"]:
        for private in ("date_of_birth", "legal_name", "status", "payout_currency"):
            assert private not in row
    detail_body = brand_client.get(detail(own.id)).json()
    assert "date_of_birth" not in detail_body
    assert brand_client.get(detail(paused.id)).status_code == 404


def test_brand_reads_performance_but_not_eligibility(brand_client, own_and_foreign):
    own, _ = own_and_foreign
    assert brand_client.get(detail(own.id, "performance")).status_code == 200
    assert brand_client.get(detail(own.id, "eligibility")).status_code == 403


def test_data_partner_cannot_read_the_roster(data_partner_client, own_and_foreign):
    assert data_partner_client.get(LIST).status_code == 403


def test_performance_as_of_and_bad_date(sub_agency_client, own_and_foreign):
    own, _ = own_and_foreign
    body = sub_agency_client.get(detail(own.id, "performance"), {"as_of": "2026-02-15"}).json()
    assert body["as_of"] == "2026-01-31"  # the latest snapshot on or before
    assert [w["window_days"] for w in body["windows"]] == [7, 28, 90]
    assert body["windows"][1]["completion_rate"] == "0.400000"  # a decimal string
    assert body["accounts"][0]["platform"] == "tiktok"
    before = sub_agency_client.get(detail(own.id, "performance"), {"as_of": "2026-01-01"})
    assert before.status_code == 404
    bad = sub_agency_client.get(detail(own.id, "performance"), {"as_of": "31/01/2026"})
    assert bad.status_code == 400
    assert "as_of" in bad.json()["error"]["fields"]


def test_eligibility_lists_failures_with_distances(sub_agency_client, own_and_foreign):
    own, _ = own_and_foreign
    body = sub_agency_client.get(detail(own.id, "eligibility"), {"as_of": "2026-01-31"}).json()
    results = {r["program"]: r for r in body["results"]}
    assert len(results) == 6
    live = results["live_gifts"]
    assert live["eligible"] is True and live["estimated_monthly_earnings"] is None
    brand_ready = results["brand_deal_ready"]
    assert brand_ready["eligible"] is False
    assert brand_ready["failures"] == [
        {
            "rule": "followers",
            "required": 200_000,
            "actual": 1_000,
            "distance": 199_000,
            "message": "needs 199,000 more followers",
        }
    ]
    bad = sub_agency_client.get(detail(own.id, "eligibility"), {"as_of": "nope"})
    assert bad.status_code == 400 and "as_of" in bad.json()["error"]["fields"]


def test_filters(brand_client):
    big = creator_with_data(views=200_000, followers=300_000, country="GB")
    small = creator_with_data(views=10, followers=10, country="US")
    youtube = CreatorFactory(country="US")
    PlatformAccountFactory(creator=youtube, platform=Platform.YOUTUBE)
    recalc.recalc_run_inline(as_of=AS_OF)

    def ids(**params):
        return {c["id"] for c in brand_client.get(LIST, params).json()["results"]}

    assert ids(country="GB") == {big.id}
    assert ids(platform="youtube") == {youtube.id}
    assert ids(tier="L4") == {big.id}
    assert ids(tier="L1") == {small.id, youtube.id}
    assert ids(eligible_for="brand_deal_ready") == {big.id}
    assert ids(eligible_for="no_such_program") == set()
    scores = {c["id"]: float(c["score"]) for c in brand_client.get(LIST).json()["results"]}
    threshold = scores[big.id]
    assert big.id in ids(score_min=threshold)
    assert small.id not in ids(score_min=threshold) or scores[small.id] >= threshold
    assert brand_client.get(LIST, {"tier": "L9"}).status_code == 400


LIST_QUERIES = 2  # page (counted, latest snapshot as subqueries), accounts; the key is known


def test_list_query_count_is_constant(sub_agency_client, django_assert_num_queries):
    key_known(sub_agency_client)
    for _ in range(5):
        creator_with_data(sub_agency=sub_agency_client.partner)
    recalc.recalc_run_inline(as_of=AS_OF)
    with django_assert_num_queries(LIST_QUERIES):
        response = sub_agency_client.get(LIST, {"page_size": 100})
    assert len(response.json()["results"]) == 5
    for _ in range(25):
        creator = creator_with_data(sub_agency=sub_agency_client.partner)
        PlatformAccountFactory(creator=creator, platform=Platform.YOUTUBE)
    recalc.recalc_run_inline(as_of=AS_OF)
    with django_assert_num_queries(LIST_QUERIES):
        response = sub_agency_client.get(LIST, {"page_size": 100})
    results = response.json()["results"]
    assert len(results) == 30
    assert sum(len(c["accounts"]) for c in results) == 55
    assert all(c["score"] is not None for c in results)


def test_openapi_schema_has_no_warnings_from_creators(capsys, tmp_path):
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--file", str(tmp_path / "schema.yaml"))
    schema = (tmp_path / "schema.yaml").read_text()
    captured = capsys.readouterr()
    warnings = [line for line in captured.err.splitlines() if "Warning [" in line]
    # Only the platform's own key-list view may warn (agency/); none from this app.
    assert all("/agency/api/" in line for line in warnings), warnings
    for route in ("/api/v1/creators/{id}/eligibility/", "/api/v1/metrics/videos/"):
        assert route in schema


# --- ingestion -----------------------------------------------------------------------------

DAILY = reverse("metrics-daily")
VIDEOS = reverse("metrics-videos")


def daily_row(account, **overrides) -> dict:
    row = {
        "platform": account.platform,
        "platform_account_id": account.platform_account_id,
        "date": "2026-01-30",
        "followers": 1_500,
        "views": 2_000,
        "qualified_views": 1_000,
        "watch_time_seconds": 9_000,
        "videos_posted": 1,
    }
    row.update(overrides)
    return row


def test_daily_ingestion_upserts_and_is_idempotent(data_partner_client):
    account = PlatformAccountFactory()
    rows = [daily_row(account), daily_row(account, date="2026-01-29")]
    first = data_partner_client.post(DAILY, {"rows": rows})
    assert first.status_code == 200
    assert first.json() | {} == {
        "kind": "daily", "dry_run": False, "rows": 2, "created": 2, "updated": 0, "unchanged": 0
    }  # fmt: skip
    again = data_partner_client.post(DAILY, {"rows": rows}).json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 2)
    changed = data_partner_client.post(DAILY, {"rows": [daily_row(account, views=5_000)]}).json()
    assert changed["updated"] == 1
    assert account.daily_metrics.get(date=dt.date(2026, 1, 30)).views == 5_000


def test_bad_rows_are_reported_by_index_and_nothing_is_written(data_partner_client):
    account = PlatformAccountFactory()
    tomorrow = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=2)).isoformat()
    rows = [
        daily_row(account),
        daily_row(account, date="2026-01-01", views=-5),
        daily_row(account, date=tomorrow),
        daily_row(account, date="2026-01-02", platform_account_id="nobody"),
        daily_row(account, date="2026-01-03", qualified_views=99_999),
        daily_row(account),  # duplicate of row 0
    ]
    response = data_partner_client.post(DAILY, {"rows": rows})
    assert response.status_code == 400
    errors = response.json()["error"]["fields"]["rows"]
    assert set(errors) == {"1", "2", "3", "4", "5"}
    assert "views" in errors["1"]
    assert "future" in errors["2"]["date"][0]
    assert "account" in errors["3"]
    assert "qualified_views" in errors["4"]
    assert "Duplicate of row 0" in errors["5"]["date"][0]
    assert not account.daily_metrics.exists()


def test_batch_above_the_maximum_is_400(data_partner_client):
    account = PlatformAccountFactory()
    rows = [daily_row(account, date=f"2025-{1 + i % 12:02d}-01") for i in range(1001)]
    response = data_partner_client.post(DAILY, {"rows": rows})
    assert response.status_code == 400
    assert "rows" in response.json()["error"]["fields"]


def test_video_rows_match_by_handle_history(data_partner_client):
    from creators.models import AccountHandle

    account = PlatformAccountFactory(handle="newname")
    AccountHandle.objects.filter(account=account).update(valid_to=dt.date(2026, 1, 1))
    AccountHandle.objects.create(
        account=account, platform=account.platform, handle="NewName", valid_from=dt.date(2026, 1, 1)
    )
    row = {
        "platform": "tiktok",
        "handle": "@newname",
        "platform_video_id": "v1",
        "posted_at": "2026-01-15T10:00:00Z",
        "duration_seconds": 61,
        "views": 100, "qualified_views": 50, "completed_views": 40,
        "replays": 1, "likes": 2, "comments": 3, "shares": 4,
    }  # fmt: skip
    assert data_partner_client.post(VIDEOS, {"rows": [row]}).status_code == 200
    assert account.videos.get().duration_seconds == 61
    # Before the handle was taken (2026-01-01) nothing matches "newname" except the old row.
    old = row | {"platform_video_id": "v0", "posted_at": "2019-06-01T00:00:00Z"}
    response = data_partner_client.post(VIDEOS, {"rows": [old]})
    assert response.status_code == 400
    assert "account" in response.json()["error"]["fields"]["rows"]["0"]


def test_only_data_partners_may_ingest(brand_client):
    assert brand_client.post(DAILY, {"rows": []}).status_code == 403


def test_ingestion_honours_idempotency_key(data_partner_client):
    account = PlatformAccountFactory()
    body = {"rows": [daily_row(account)]}
    first = data_partner_client.post(DAILY, body, HTTP_IDEMPOTENCY_KEY="k1")
    replay = data_partner_client.post(DAILY, body, HTTP_IDEMPOTENCY_KEY="k1")
    assert first.json() == replay.json()
    assert replay["Idempotent-Replayed"] == "true"


@pytest.mark.parametrize("date", ["0001-01-01", "1999-12-31"])
def test_daily_metric_dates_outside_the_plausible_range_are_refused(data_partner_client, date):
    account = PlatformAccountFactory()
    response = data_partner_client.post(DAILY, {"rows": [daily_row(account, date=date)]})
    assert response.status_code == 400
    [reason] = response.json()["error"]["fields"]["rows"]["0"]["date"]
    assert reason.startswith("Must be between 2000-01-01 and ")
    assert not account.daily_metrics.exists()


def test_video_dates_outside_the_plausible_range_are_refused(data_partner_client):
    account = PlatformAccountFactory()
    row = {
        "platform": account.platform, "platform_account_id": account.platform_account_id,
        "platform_video_id": "v1", "posted_at": "0001-01-01T00:00:00Z", "duration_seconds": 5,
        "views": 10, "qualified_views": 5, "completed_views": 5, "replays": 0, "likes": 0,
        "comments": 0, "shares": 0,
    }  # fmt: skip
    response = data_partner_client.post(VIDEOS, {"rows": [row]})
    assert response.status_code == 400
    assert "posted_at" in response.json()["error"]["fields"]["rows"]["0"]


@pytest.mark.parametrize("as_of", ["0001-01-01", "9999-12-31"])
def test_as_of_outside_the_plausible_range_is_a_400_naming_it(sub_agency_client, as_of):
    creator = creator_with_data(sub_agency=sub_agency_client.partner)
    response = sub_agency_client.get(detail(creator.pk, "performance"), {"as_of": as_of})
    assert response.status_code == 400
    assert "as_of" in response.json()["error"]["fields"]


@pytest.mark.parametrize("reader", ["sub_agency_client", "brand_client"])
def test_list_flat_rows_read_as_the_creator_serializer_writes_them(request, reader):
    """The list renders flat rows; the detail and the schema use CreatorSerializer: the
    same JSON either way (private fields for the creator's own sub-agency only)."""
    import json

    from rest_framework.renderers import JSONRenderer

    from creators import selectors
    from creators.api.serializers import CreatorSerializer

    client = request.getfixturevalue(reader)
    sub_agency = client.partner if reader == "sub_agency_client" else None
    for i in range(4):
        creator = creator_with_data(**({"sub_agency": sub_agency} if sub_agency else {}))
        PlatformAccountFactory(creator=creator, platform=Platform.YOUTUBE, niche=f"n{i}")
    CreatorFactory(**({"sub_agency": sub_agency} if sub_agency else {}), date_of_birth=None)
    recalc.recalc_run_inline(as_of=AS_OF)
    body = client.get(LIST, {"page_size": 100}).json()["results"]
    expected = CreatorSerializer(
        selectors.creator_list_for_partner(partner=client.partner),
        many=True,
        context={"private": reader == "sub_agency_client"},
    ).data
    assert body == json.loads(JSONRenderer().render(expected))
    assert any(c["score"] is not None for c in body) and any(c["tier"] for c in body)


def test_list_pages_counted_in_the_page_query_read_as_the_usual_pagination(
    sub_agency_client, other_sub_agency_client
):
    """The page's own query counts the rows; links, count, the last page and the errors are
    the usual pagination's."""
    for i in range(5):
        CreatorFactory(sub_agency=sub_agency_client.partner, stage_name=f"c{i}")
    names = [f"c{i}" for i in range(5)]

    def page(client=sub_agency_client, **params):
        response = client.get(LIST, {"page_size": 2, **params})
        return response.status_code, response.json()

    status, body = page(page=2)
    assert status == 200 and body["count"] == 5
    assert [c["stage_name"] for c in body["results"]] == names[2:4]
    assert "page=3" in body["next"] and "page=" not in body["previous"]
    status, body = page(page="last")
    assert status == 200 and [c["stage_name"] for c in body["results"]] == names[4:]
    assert body["next"] is None and body["count"] == 5 and "page=2" in body["previous"]
    for bad in ("4", "0", "x", "1.5", "21018481880385343488"):  # the last: past a bigint
        status, body = page(page=bad)
        assert status == 404 and "Invalid page" in body["error"]["message"], bad
    # No row at all: page 1 is an empty page counting 0.
    status, body = page(client=other_sub_agency_client)
    assert status == 200 and body == {"count": 0, "next": None, "previous": None, "results": []}


def test_list_builds_the_filter_set_only_when_a_filter_is_asked_for(monkeypatch, sub_agency_client):
    from creators.api.filters import CreatorFilter

    CreatorFactory(sub_agency=sub_agency_client.partner, stage_name="a", country="IT")
    CreatorFactory(sub_agency=sub_agency_client.partner, stage_name="b", country="FR")
    built = []
    init = CreatorFilter.__init__

    def counting(self, *args, **kwargs):
        built.append(1)
        init(self, *args, **kwargs)

    monkeypatch.setattr(CreatorFilter, "__init__", counting)
    assert sub_agency_client.get(LIST, {"page_size": 10}).json()["count"] == 2
    assert built == []
    body = sub_agency_client.get(LIST, {"country": "IT"}).json()
    assert [c["stage_name"] for c in body["results"]] == ["a"] and built == [1]
