"""Operations data through the partner API and CSV import: live sessions, affiliate orders
and refunds, live-commerce refunds, ad spend. Scoped per partner, idempotent, all or
nothing, money as decimal strings, through the record services."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from billing.models import RevenueEvent
from campaigns.models import AdSpend, AffiliateOrder, AffiliateRefund, LiveSession
from campaigns.services.affiliate import affiliate_order_settle
from campaigns.services.live import live_session_revenue_book
from campaigns.services.operations_intake import operations_ingest
from tests.conftest import key_known
from tests.factories.campaigns import AdAccountFactory, AffiliateLinkFactory, BrandFactory
from tests.factories.creators import PlatformAccountFactory

pytestmark = pytest.mark.django_db

SESSIONS = reverse("live-session-list")
ORDERS = reverse("affiliate-order-list")
REFUNDS = reverse("affiliate-refund-create")
LIVE_REFUNDS = reverse("live-commerce-refund-create")
SPEND = reverse("ad-spend-list")
HOSTS = reverse("live-host-list")


@pytest.fixture
def other_data_client(partner_client_factory):
    from agency.models import Partner

    return partner_client_factory(kind=Partner.Kind.DATA_PARTNER, name="Data B")


def _when(days_ago: int = 2, hours: int = 20):
    # On the hour: two rows built a second apart describe the same session.
    start = timezone.now().replace(minute=0, second=0, microsecond=0)
    start = (start - dt.timedelta(days=days_ago)).replace(hour=hours % 24)
    return start, start + dt.timedelta(hours=2)


def session_row(account, external_id="s-1", **overrides) -> dict:
    start, end = _when()
    row = {
        "external_id": external_id,
        "platform": account.platform,
        "platform_account_id": account.platform_account_id,
        "started_at": start.isoformat(),
        "ended_at": end.isoformat(),
        "viewers": 10_000,
        "peak_viewers": 1_200,
        "product_clicks": 900,
        "orders": 300,
        "diamonds": 50_000,
        "currency": "USD",
        "gifts_value": "250.00",
        "gmv": "4000.00",
        "commerce_commission_rate": "0.100000",
    }
    row.update(overrides)
    return row


def order_row(link, external_id="o-1", **overrides) -> dict:
    row = {
        "external_id": external_id,
        "link": link.code,
        "product": "Serum",
        "gmv": "100.00",
        "currency": "USD",
        "commission_rate": "0.15",
        "ordered_on": (timezone.localdate() - dt.timedelta(days=20)).isoformat(),
    }
    row.update(overrides)
    return row


def post(client, url, rows, **body):
    return client.post(url, {"rows": rows, **body}, format="json")


# --- live sessions ----------------------------------------------------------------------------


def test_a_data_partner_reports_sessions_and_resending_changes_nothing(data_partner_client):
    account = PlatformAccountFactory()
    response = post(data_partner_client, SESSIONS, [session_row(account)])
    assert response.status_code == 200, response.json()
    assert response.json() == {
        "kind": "live_sessions", "dry_run": False, "rows": 1, "created": 1, "updated": 0,
        "unchanged": 0,
    }  # fmt: skip
    session = LiveSession.objects.get()
    assert (session.partner, session.external_id, session.creator) == (
        data_partner_client.partner,
        "s-1",
        account.creator,
    )
    assert (session.gifts_value_minor, session.gmv_minor, session.viewers) == (
        250_00,
        4000_00,
        10_000,
    )
    again = post(data_partner_client, SESSIONS, [session_row(account)])
    assert again.json()["unchanged"] == 1 and LiveSession.objects.count() == 1
    changed = post(data_partner_client, SESSIONS, [session_row(account, orders=400)])
    assert changed.json()["updated"] == 1
    assert LiveSession.objects.get().orders == 400


def test_bad_session_rows_are_reported_by_index_and_nothing_is_written(data_partner_client):
    account = PlatformAccountFactory()
    start, end = _when()
    rows = [
        session_row(account, "ok"),
        session_row(account, "bad-money", gmv=10.5),
        session_row(account, "bad-order", started_at=end.isoformat(), ended_at=start.isoformat()),
        session_row(account, "ok"),
        session_row(account, "peak", peak_viewers=20_000),
        session_row(account, "who", platform_account_id="nobody"),
        session_row(account, "cents", gifts_value="1.234"),
        session_row(account, "fee", operation_fee="3500.00"),
    ]
    response = post(data_partner_client, SESSIONS, rows)
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]["rows"]
    assert set(fields) == {"1", "2", "3", "4", "5", "6", "7"}
    assert "decimal string" in fields["1"]["gmv"][0]
    assert "ended_at" in fields["2"]
    assert "Duplicate of row 0" in fields["3"]["external_id"][0]
    assert "peak_viewers" in fields["4"]
    assert "platform_account_id" in fields["5"]
    assert "gifts_value" in fields["6"]
    assert "operation_fee" in fields["7"]
    assert not LiveSession.objects.exists()


def test_dry_run_counts_and_writes_nothing(data_partner_client):
    account = PlatformAccountFactory()
    response = post(data_partner_client, SESSIONS, [session_row(account)], dry_run=True)
    assert response.json()["created"] == 1 and response.json()["dry_run"] is True
    assert not LiveSession.objects.exists()


def test_the_batch_is_capped(data_partner_client):
    from campaigns.services.operations_intake import MAX_BATCH_ROWS

    row = session_row(PlatformAccountFactory())
    response = post(data_partner_client, SESSIONS, [row] * (MAX_BATCH_ROWS + 1))
    assert response.status_code == 400
    assert f"At most {MAX_BATCH_ROWS} rows" in response.json()["error"]["fields"]["rows"][0]
    assert not LiveSession.objects.exists()


def test_the_idempotency_key_replays_the_first_answer(data_partner_client):
    account = PlatformAccountFactory()
    body = {"rows": [session_row(account)]}
    first = data_partner_client.post(SESSIONS, body, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    second = data_partner_client.post(SESSIONS, body, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert first.json() == second.json() and first.json()["created"] == 1
    assert second["Idempotent-Replayed"] == "true"
    other = {"rows": [session_row(account, orders=1)]}
    assert (
        data_partner_client.post(
            SESSIONS, other, format="json", HTTP_IDEMPOTENCY_KEY="k1"
        ).status_code
        == 422
    )


def test_sessions_are_scoped_to_the_partner_that_reported_them(
    data_partner_client, other_data_client
):
    account = PlatformAccountFactory()
    post(data_partner_client, SESSIONS, [session_row(account)])
    post(other_data_client, SESSIONS, [session_row(account, viewers=50, peak_viewers=5)])
    mine, theirs = (LiveSession.objects.get(partner=c.partner)
                    for c in (data_partner_client, other_data_client))  # fmt: skip
    assert [s["id"] for s in data_partner_client.get(SESSIONS).json()["results"]] == [mine.pk]
    detail = reverse("live-session-detail", args=[theirs.pk])
    assert data_partner_client.get(detail).status_code == 404
    assert other_data_client.get(detail).status_code == 200
    hosts = data_partner_client.get(HOSTS).json()["results"]
    assert [(h["creator_id"], h["viewers"]) for h in hosts] == [(account.creator_id, 10_000)]
    # the other partner's session id is not this partner's: refunds of it are refused
    refund = {"session_external_id": "s-1", "external_id": "r", "amount": "1.00",
              "refunded_on": timezone.localdate().isoformat()}  # fmt: skip
    LiveSession.objects.filter(pk=mine.pk).delete()
    assert post(data_partner_client, LIVE_REFUNDS, [refund]).status_code == 400


def test_brands_cannot_report_operations_data(brand_client):
    assert post(brand_client, SESSIONS, [session_row(PlatformAccountFactory())]).status_code == 403
    assert brand_client.get(SPEND).status_code == 403


def test_sessions_are_graded_and_fees_checked_against_the_price_list(data_partner_client):
    account, client = PlatformAccountFactory(), BrandFactory()
    rows = [
        session_row(account, "weak", orders=50, currency="CNY", operated_by_agency=True,
                    client_id=client.pk),
        session_row(account, "avg", orders=300, currency="CNY", operated_by_agency=True,
                    client_id=client.pk, operation_fee="3800.00"),
        session_row(account, "top", orders=700, currency="CNY", operated_by_agency=True,
                    client_id=client.pk, operation_fee="5200.00"),
        session_row(account, "none", viewers=0, peak_viewers=0, orders=0),
    ]  # fmt: skip
    assert post(data_partner_client, SESSIONS, rows).status_code == 200
    by_id = {s["external_id"]: s for s in data_partner_client.get(SESSIONS).json()["results"]}
    assert by_id["weak"]["conversion_rate"] == "0.005000"
    assert [by_id[k]["conversion_grade"] for k in ("weak", "avg", "top", "none")] == [
        "weak", "average", "excellent", None
    ]  # fmt: skip
    # no fee given: the price list's standard fee (CNY 3,500 from the seeded list)
    assert by_id["weak"]["operation_fee"] == {"amount": "3500.00", "currency": "CNY"}
    assert by_id["weak"]["price_list"] == {
        "minimum": "3000.00",
        "maximum": "4000.00",
        "currency": "CNY",
    }
    assert [by_id[k]["fee_off_list"] for k in ("weak", "avg", "top", "none")] == [
        False, False, True, False
    ]  # fmt: skip
    host = data_partner_client.get(HOSTS).json()["results"][0]
    # 1,050 orders / 30,000 viewers = 3.5 %
    assert (host["conversion_rate"], host["conversion_grade"]) == ("0.035000", "average")


def test_grade_thresholds_are_settings(data_partner_client, settings):
    settings.CAMPAIGNS_LIVE_CONVERSION_AVERAGE_FROM = "0.004"
    account = PlatformAccountFactory()
    post(data_partner_client, SESSIONS, [session_row(account, orders=50)])
    assert data_partner_client.get(SESSIONS).json()["results"][0]["conversion_grade"] == "average"


def test_a_booked_session_keeps_its_money(data_partner_client, creators_on_plan):
    account = PlatformAccountFactory(creator=creators_on_plan[0])
    post(data_partner_client, SESSIONS, [session_row(account)])
    live_session_revenue_book(session=LiveSession.objects.get())
    response = post(data_partner_client, SESSIONS, [session_row(account, gmv="5000.00")])
    assert response.status_code == 400
    assert "booked" in response.json()["error"]["fields"]["rows"]["0"]["gmv"][0]
    counts_only = post(data_partner_client, SESSIONS, [session_row(account, viewers=20_000)])
    assert counts_only.json()["updated"] == 1


LIST_QUERIES = 2  # count, page (price list as subqueries); the key is known


def test_session_list_query_count_is_constant(data_partner_client, django_assert_num_queries):
    account = PlatformAccountFactory()
    post(data_partner_client, SESSIONS, [session_row(account, f"s-{i}") for i in range(6)])
    with django_assert_num_queries(LIST_QUERIES):
        assert len(data_partner_client.get(SESSIONS).json()["results"]) == 6
    with django_assert_num_queries(LIST_QUERIES):
        assert len(data_partner_client.get(HOSTS).json()["results"]) == 1


# --- affiliate orders and refunds -------------------------------------------------------------


def test_orders_get_their_settlement_date_from_the_service(data_partner_client):
    link = AffiliateLinkFactory()
    response = post(data_partner_client, ORDERS, [order_row(link, settlement_days=30)])
    assert response.status_code == 200, response.json()
    order = AffiliateOrder.objects.get()
    assert order.settles_on == order.ordered_on + dt.timedelta(days=30)
    assert order.partner == data_partner_client.partner
    assert (
        post(data_partner_client, ORDERS, [order_row(link, settlement_days=30)]).json()["unchanged"]
        == 1
    )
    other = post(data_partner_client, ORDERS, [order_row(link, gmv="99.00")])
    assert "other values" in other.json()["error"]["fields"]["rows"]["0"]["external_id"][0]


def test_order_rows_are_validated(data_partner_client):
    link = AffiliateLinkFactory()
    future = (timezone.localdate() + dt.timedelta(days=2)).isoformat()
    rows = [
        order_row(link, "a", commission_rate="0.95"),
        {**order_row(link, "b"), "link": "nope"},
        order_row(link, "c", ordered_on=future),
        order_row(link, "d", gmv="0"),
        order_row(link, "e", currency="XXX"),
    ]
    fields = post(data_partner_client, ORDERS, rows).json()["error"]["fields"]["rows"]
    assert set(fields) == {"0", "1", "2", "3", "4"}
    assert not AffiliateOrder.objects.exists()


def test_a_refund_after_settlement_is_clawed_back_once(data_partner_client, creators_on_plan):
    link = AffiliateLinkFactory(creator=creators_on_plan[0])
    post(data_partner_client, ORDERS, [order_row(link)])
    order = affiliate_order_settle(order=AffiliateOrder.objects.get(), today=timezone.localdate())
    assert order.settled_commission_minor == 15_00
    refund = {"order_external_id": "o-1", "external_id": "r-1", "amount": "40.00",
              "refunded_on": timezone.localdate().isoformat()}  # fmt: skip
    assert post(data_partner_client, REFUNDS, [refund]).json()["created"] == 1
    assert post(data_partner_client, REFUNDS, [refund]).json()["unchanged"] == 1
    clawback = RevenueEvent.objects.get(kind=RevenueEvent.Kind.REFUND)
    assert clawback.gross_minor == -6_00  # 15 % of 40.00, negative
    detail = data_partner_client.get(reverse("affiliate-order-detail", args=[order.pk])).json()
    assert detail["refunds"][0]["clawback"] == {"amount": "6.00", "currency": "USD"}
    too_much = {**refund, "external_id": "r-2", "amount": "30.00"}
    more = {**refund, "external_id": "r-3", "amount": "30.01"}
    response = post(data_partner_client, REFUNDS, [too_much, more])
    assert list(response.json()["error"]["fields"]["rows"]) == ["1"]
    assert AffiliateRefund.objects.count() == 1


def test_orders_and_refunds_are_scoped_to_their_reporter(data_partner_client, other_data_client):
    link = AffiliateLinkFactory()
    post(data_partner_client, ORDERS, [order_row(link)])
    # the other partner may use the same shop order id: it is a different order
    assert post(other_data_client, ORDERS, [order_row(link)]).json()["created"] == 1
    mine = AffiliateOrder.objects.get(partner=data_partner_client.partner)
    theirs = AffiliateOrder.objects.get(partner=other_data_client.partner)
    assert (
        data_partner_client.get(reverse("affiliate-order-detail", args=[theirs.pk])).status_code
        == 404
    )
    assert [o["id"] for o in data_partner_client.get(ORDERS).json()["results"]] == [mine.pk]
    refund = {"order_external_id": "o-1", "external_id": "r-1", "amount": "10.00",
              "refunded_on": timezone.localdate().isoformat()}  # fmt: skip
    post(other_data_client, REFUNDS, [refund])
    assert list(theirs.refunds.values_list("external_id", flat=True)) == ["r-1"]
    assert not mine.refunds.exists()


def test_order_list_query_count_is_constant(data_partner_client, django_assert_num_queries):
    link = AffiliateLinkFactory()
    post(data_partner_client, ORDERS, [order_row(link, f"o-{i}") for i in range(5)])
    refunds = [{"order_external_id": f"o-{i}", "external_id": "r", "amount": "1.00",
                "refunded_on": timezone.localdate().isoformat()} for i in range(5)]  # fmt: skip
    post(data_partner_client, REFUNDS, refunds)
    with django_assert_num_queries(3):  # count, page, refunds (the key is known)
        assert len(data_partner_client.get(ORDERS).json()["results"]) == 5


def test_live_commerce_refunds_claw_back_after_booking(data_partner_client, creators_on_plan):
    account = PlatformAccountFactory(creator=creators_on_plan[0])
    post(data_partner_client, SESSIONS, [session_row(account)])
    live_session_revenue_book(session=LiveSession.objects.get())
    refund = {"session_external_id": "s-1", "external_id": "lr-1", "amount": "1000.00",
              "refunded_on": timezone.localdate().isoformat()}  # fmt: skip
    assert post(data_partner_client, LIVE_REFUNDS, [refund]).json()["created"] == 1
    clawback = RevenueEvent.objects.get(kind=RevenueEvent.Kind.REFUND)
    assert (clawback.stream, clawback.gross_minor) == ("live_commerce", -100_00)
    assert post(data_partner_client, LIVE_REFUNDS, [refund]).json()["unchanged"] == 1


# --- ad spend -----------------------------------------------------------------------------------


def test_ad_spend_is_recorded_corrected_and_scoped(data_partner_client, other_data_client):
    account = AdAccountFactory()
    day = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    row = {"platform": "tiktok", "ad_account_id": account.external_id, "spent_on": day,
           "currency": "USD", "amount": "1200.50"}  # fmt: skip
    assert post(data_partner_client, SPEND, [row]).json()["created"] == 1
    assert post(data_partner_client, SPEND, [{**row, "amount": "1300.00"}]).json()["updated"] == 1
    assert AdSpend.objects.get().amount_minor == 1300_00
    refused = post(other_data_client, SPEND, [row]).json()["error"]["fields"]["rows"]["0"]
    assert "another source" in refused["spent_on"][0]
    assert other_data_client.get(SPEND).json()["results"] == []
    listed = data_partner_client.get(SPEND).json()["results"]
    assert listed[0]["amount"] == {"amount": "1300.00", "currency": "USD"}
    wrong = post(data_partner_client, SPEND, [{**row, "currency": "EUR"}])
    assert "currency" in wrong.json()["error"]["fields"]["rows"]["0"]


# --- CSV import (operators) -----------------------------------------------------------------------


def test_the_command_imports_a_csv_all_or_nothing(tmp_path):
    account = AdAccountFactory()
    day = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    path = tmp_path / "spend.csv"
    path.write_text(
        "platform,ad_account_id,spent_on,currency,amount\n"
        f"tiktok,{account.external_id},{day},USD,10.00\n"
        f"tiktok,nope,{day},USD,10.00\n"
    )
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_operations", "ad_spend", str(path), stderr=err)
    assert "line 3 (row 1): ad_account_id" in err.getvalue()
    assert not AdSpend.objects.exists()
    path.write_text(
        f"platform,ad_account_id,spent_on,currency,amount\ntiktok,{account.external_id},{day},USD,10.00\n"
    )
    out = io.StringIO()
    call_command("import_operations", "ad_spend", str(path), "--dry-run", stdout=out)
    assert "Would create 1" in out.getvalue() and not AdSpend.objects.exists()
    call_command("import_operations", "ad_spend", str(path), stdout=out)
    spend = AdSpend.objects.get()
    assert (spend.amount_minor, spend.partner) == (10_00, None)


def test_the_service_imports_sessions_for_staff_with_the_same_rules():
    account = PlatformAccountFactory()
    result = operations_ingest(kind="live_sessions", rows=[session_row(account)], max_rows=None)
    assert result.created == 1
    assert LiveSession.objects.get().partner is None
    assert Decimal(LiveSession.objects.get().commerce_commission_rate) == Decimal("0.1")


def test_ad_spend_list_query_count_is_constant(data_partner_client, django_assert_num_queries):
    account = AdAccountFactory()
    rows = [{"platform": "tiktok", "ad_account_id": account.external_id, "currency": "USD",
             "spent_on": (timezone.localdate() - dt.timedelta(days=d)).isoformat(),
             "amount": "10.00"} for d in range(1, 6)]  # fmt: skip
    post(data_partner_client, SPEND, rows)
    with django_assert_num_queries(2):  # count, page (with the ad account); key known
        assert len(data_partner_client.get(SPEND).json()["results"]) == 5


def test_the_schema_types_every_operations_body_with_meaningful_names(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    components = schema["components"]["schemas"]
    for name in ["LiveSessionBatchRequest", "LiveSessionRowRequest", "AffiliateOrderBatchRequest",
                 "AffiliateOrderRowRequest", "AffiliateRefundBatchRequest",
                 "LiveCommerceRefundBatchRequest", "AdSpendBatchRequest", "AdSpendRowRequest",
                 "LiveSession", "LiveHost", "AffiliateOrder", "AdSpend", "PriceRange"]:  # fmt: skip
        assert name in components, name
    rows = components["LiveSessionBatchRequest"]["properties"]["rows"]
    assert rows["items"] == {"$ref": "#/components/schemas/LiveSessionRowRequest"}
    assert components["LiveSessionRowRequest"]["properties"]["gmv"]["type"] == "string"
    post_body = schema["paths"]["/api/v1/live-sessions/"]["post"]["requestBody"]
    assert "LiveSessionBatchRequest" in str(post_body)


def test_a_batch_is_validated_in_a_fixed_number_of_queries(data_partner_client):
    """Validation is set-based: a bad batch costs the same queries whatever its size (the
    writes then go row by row through the record services)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    account = PlatformAccountFactory()
    key_known(data_partner_client)  # the first request with a key also looks it up

    def queries(n: int) -> int:
        rows = [session_row(account, f"s-{i}") for i in range(n)]
        rows.append(session_row(account, "bad", peak_viewers=10**9))
        with CaptureQueriesContext(connection) as ctx:
            assert post(data_partner_client, SESSIONS, rows).status_code == 400
        return len(ctx.captured_queries)

    assert queries(1) == queries(5) == queries(20)


def test_a_session_recorded_twice_at_once_is_a_conflict_not_a_500(monkeypatch):
    from agency.errors import Conflict
    from campaigns.services import live_sessions

    account = PlatformAccountFactory()
    operations_ingest(kind="live_sessions", rows=[session_row(account)])
    # the other request's row appears between this one's read and its insert
    monkeypatch.setattr(live_sessions, "session_changes", lambda **kw: live_sessions.CREATED)
    with pytest.raises(Conflict):
        operations_ingest(kind="live_sessions", rows=[session_row(account, orders=1)])
    assert LiveSession.objects.get().orders == 300
