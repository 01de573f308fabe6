"""Billing partner API: wiring, scoping by partner (two-partner tests), error shape, money."""

import datetime as dt

import pytest
from django.test.utils import override_settings
from django.urls import reverse

from billing.models import RevenueEvent
from billing.services.statements import statement_close
from tests.billing.helpers import creator_on_plan
from tests.conftest import key_known

pytestmark = pytest.mark.django_db

EVENTS = reverse("revenue-event-list")
STATEMENTS = reverse("statement-list")
COMMISSION_LINES = reverse("commission-line-list")


def _row(creator, source_id="e-1", **kw):
    return {
        "stream": "brand_deal",
        "creator_id": creator.pk,
        "occurred_on": "2025-03-10",
        "gross": "1000.00",
        "currency": "USD",
        "source_type": "partner-report",
        "source_id": source_id,
        **kw,
    }


def test_data_partner_posts_events_and_a_repost_is_a_no_op(data_partner_client):
    creator = creator_on_plan()
    body = {"events": [_row(creator), _row(creator, "e-2", gross="10.50")]}
    response = data_partner_client.post(EVENTS, body, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["created"] == 2 and data["skipped"] == 0
    assert data["events"][0]["gross"] == {"amount": "1000.00", "currency": "USD"}
    again = data_partner_client.post(EVENTS, body, format="json")
    assert again.status_code == 201
    assert again.json()["created"] == 0 and again.json()["skipped"] == 2
    assert RevenueEvent.objects.filter(partner=data_partner_client.partner).count() == 2


def test_all_or_nothing_with_row_index_field_and_reason(data_partner_client):
    creator = creator_on_plan()
    body = {
        "events": [
            _row(creator),
            _row(creator, "e-2", occurred_on="2999-01-01"),
            _row(creator, "e-3", creator_id=999999),
        ]
    }
    response = data_partner_client.post(EVENTS, body, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert set(error["fields"]["events"]) == {"1", "2"}
    assert "future" in error["fields"]["events"]["1"]["occurred_on"][0]
    assert error["fields"]["events"]["2"]["creator_id"] == ["Unknown creator."]
    assert not RevenueEvent.objects.exists()


def test_format_errors_also_name_the_row(data_partner_client):
    creator = creator_on_plan()
    body = {"events": [_row(creator), _row(creator, "x", gross="-5", currency="ZZZ")]}
    response = data_partner_client.post(EVENTS, body, format="json")
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]["events"]["1"]
    assert "gross" in fields and "currency" in fields


@override_settings(BILLING_MAX_EVENT_BATCH=2)
def test_batch_size_is_capped(data_partner_client):
    creator = creator_on_plan()
    body = {"events": [_row(creator, f"e-{i}") for i in range(3)]}
    response = data_partner_client.post(EVENTS, body, format="json")
    assert response.status_code == 400
    assert "At most 2" in str(response.json()["error"]["fields"])


def test_idempotency_key_replays_the_first_response(data_partner_client):
    creator = creator_on_plan()
    body = {"events": [_row(creator)]}
    first = data_partner_client.post(EVENTS, body, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    second = data_partner_client.post(EVENTS, body, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert second.status_code == 201 and second["Idempotent-Replayed"] == "true"
    assert second.json() == first.json()
    other = data_partner_client.post(
        EVENTS, {"events": [_row(creator, "zz")]}, format="json", HTTP_IDEMPOTENCY_KEY="k1"
    )
    assert other.status_code == 422


def test_other_partner_kinds_cannot_post_events(sub_agency_client, brand_client):
    creator = creator_on_plan()
    for client in (sub_agency_client, brand_client):
        response = client.post(EVENTS, {"events": [_row(creator)]}, format="json")
        assert response.status_code == 403
    assert not RevenueEvent.objects.exists()


def test_data_partner_lists_only_its_own_events(data_partner_client, partner_client_factory):
    other = partner_client_factory(kind="data_partner", name="Data B")
    creator = creator_on_plan()
    data_partner_client.post(EVENTS, {"events": [_row(creator, "a")]}, format="json")
    other.post(EVENTS, {"events": [_row(creator, "b")]}, format="json")
    mine = data_partner_client.get(EVENTS).json()["results"]
    assert [e["source_id"] for e in mine] == ["a"]


def _guild_books(ingest, client):
    creator = creator_on_plan(sub_agency_share="0.10", sub_agency=client.partner)
    ingest(creator, gross="1000.00")
    statement = statement_close(creator=creator, period=dt.date(2025, 3, 1))
    return creator, statement


def test_sub_agency_reads_its_creators_statements_only(
    ingest, sub_agency_client, other_sub_agency_client
):
    _, mine = _guild_books(ingest, sub_agency_client)
    _, theirs = _guild_books(ingest, other_sub_agency_client)
    listed = sub_agency_client.get(STATEMENTS).json()["results"]
    assert [s["id"] for s in listed] == [mine.pk]
    assert listed[0]["closing_balance"] == {"amount": "800.00", "currency": "USD"}
    detail = sub_agency_client.get(reverse("statement-detail", args=[mine.pk]))
    assert detail.status_code == 200
    line = detail.json()["lines"][0]
    assert line["gross"] == {"amount": "1000.00", "currency": "USD"}
    assert line["agency_commission"] == {"amount": "180.00", "currency": "USD"}
    assert line["sub_agency_cut"] == {"amount": "20.00", "currency": "USD"}
    assert line["net"] == {"amount": "800.00", "currency": "USD"}
    hidden = sub_agency_client.get(reverse("statement-detail", args=[theirs.pk]))
    assert hidden.status_code == 404
    assert hidden.json()["error"]["code"] == "not_found"


def test_sub_agency_reads_its_own_commission_lines_only(
    ingest, sub_agency_client, other_sub_agency_client
):
    _guild_books(ingest, sub_agency_client)
    _guild_books(ingest, other_sub_agency_client)
    lines = sub_agency_client.get(COMMISSION_LINES).json()["results"]
    assert len(lines) == 1
    assert lines[0]["amount"] == {"amount": "20.00", "currency": "USD"}
    assert lines[0]["sub_agency_share"] == "0.100000"


def test_statement_routes_are_not_for_brands_or_data_partners(
    ingest, sub_agency_client, brand_client, data_partner_client
):
    _, statement = _guild_books(ingest, sub_agency_client)
    for client in (brand_client, data_partner_client):
        assert client.get(STATEMENTS).status_code == 403
        assert client.get(COMMISSION_LINES).status_code == 403
        assert client.get(reverse("statement-detail", args=[statement.pk])).status_code == 403


def test_list_pages_use_a_constant_number_of_queries(
    ingest, sub_agency_client, data_partner_client, django_assert_max_num_queries
):
    for _ in range(2):
        _guild_books(ingest, sub_agency_client)
    creator = creator_on_plan()
    data_partner_client.post(EVENTS, {"events": [_row(creator, f"q{i}") for i in range(3)]})
    with django_assert_max_num_queries(6):
        assert len(sub_agency_client.get(STATEMENTS).json()["results"]) == 2
    for _ in range(3):
        _guild_books(ingest, sub_agency_client)
    with django_assert_max_num_queries(6):
        assert len(sub_agency_client.get(STATEMENTS).json()["results"]) == 5
    with django_assert_max_num_queries(6):
        assert len(sub_agency_client.get(COMMISSION_LINES).json()["results"]) == 5
    with django_assert_max_num_queries(6):
        assert len(data_partner_client.get(EVENTS).json()["results"]) == 3


def test_sources_are_namespaced_per_partner_and_refunds_stay_within_one(
    data_partner_client, partner_client_factory
):
    other = partner_client_factory(kind="data_partner", name="Data B")
    creator = creator_on_plan()
    data_partner_client.post(EVENTS, {"events": [_row(creator, "same")]}, format="json")
    response = other.post(EVENTS, {"events": [_row(creator, "same")]}, format="json")
    assert response.json()["created"] == 1  # not "skipped": A's ids are invisible to B
    refund = _row(creator, "r-1", kind="refund", gross="10.00", refund_of_source_id="same")
    data_partner_client.post(EVENTS, {"events": [refund]}, format="json")
    # B refunds its own "same" only; A's event keeps its single refund
    assert RevenueEvent.objects.filter(kind="refund", refund_of__partner=other.partner).count() == 0
    assert RevenueEvent.objects.get(kind="refund").refund_of.partner == data_partner_client.partner
    missing = _row(creator, "r-2", kind="refund", gross="1.00", refund_of_source_id="only-a")
    data_partner_client.post(EVENTS, {"events": [_row(creator, "only-a")]}, format="json")
    response = other.post(EVENTS, {"events": [missing]}, format="json")
    assert response.status_code == 400
    assert "refund_of_source_id" in response.json()["error"]["fields"]["events"]["0"]


def test_filters_naming_another_partners_creator_find_nothing(
    ingest, sub_agency_client, other_sub_agency_client
):
    mine, statement = _guild_books(ingest, sub_agency_client)
    theirs, _ = _guild_books(ingest, other_sub_agency_client)
    found = sub_agency_client.get(STATEMENTS, {"creator": mine.pk, "period": "2025-03-01"})
    assert [s["id"] for s in found.json()["results"]] == [statement.pk]
    assert sub_agency_client.get(STATEMENTS, {"creator": theirs.pk}).json()["results"] == []
    lines = sub_agency_client.get(COMMISSION_LINES, {"creator": theirs.pk})
    assert lines.json()["results"] == []


@pytest.mark.parametrize("occurred_on", ["0001-01-01", "1999-12-31"])
def test_event_dates_outside_the_plausible_range_are_refused(data_partner_client, occurred_on):
    creator = creator_on_plan(starts_on=dt.date(1, 1, 1))
    body = {"events": [_row(creator, occurred_on=occurred_on)]}
    response = data_partner_client.post(EVENTS, body, format="json")
    assert response.status_code == 400
    [reason] = response.json()["error"]["fields"]["events"]["0"]["occurred_on"]
    assert reason.startswith("Must be between 2000-01-01 and ")
    assert not RevenueEvent.objects.exists()


def test_statement_period_filter_outside_the_plausible_range_is_a_400(sub_agency_client):
    response = sub_agency_client.get(STATEMENTS, {"period": "0001-01-01"})
    assert response.status_code == 400
    assert "period" in response.json()["error"]["fields"]


def test_statement_detail_flat_lines_read_as_the_detail_serializer_writes_them(
    ingest, sub_agency_client, django_assert_num_queries
):
    """Lines are rendered from flat rows; the JSON is the serializer's, and the queries do
    not grow with the lines."""
    import json

    from django.db.models import Prefetch
    from rest_framework.renderers import JSONRenderer

    from billing.api.views import StatementDetailSerializer
    from billing.models import Statement, StatementLine

    _, small = _guild_books(ingest, sub_agency_client)
    creator = creator_on_plan(sub_agency_share="0.10", sub_agency=sub_agency_client.partner)
    for i in range(1, 6):
        ingest(creator, gross=f"{i}00.00", on=dt.date(2025, 3, i))
    large = statement_close(creator=creator, period=dt.date(2025, 3, 1))
    bodies = []
    key_known(sub_agency_client)
    for statement in (small, large):
        with django_assert_num_queries(2):  # statement with its creator, lines (key known)
            bodies.append(sub_agency_client.get(reverse("statement-detail", args=[statement.pk])))
    body = bodies[1].json()
    assert len(body["lines"]) == 5
    lines = Prefetch("lines", queryset=StatementLine.objects.order_by("occurred_on", "pk"))
    stored = Statement.objects.select_related("creator").prefetch_related(lines).get(pk=large.pk)
    assert body == json.loads(JSONRenderer().render(StatementDetailSerializer(stored).data))
