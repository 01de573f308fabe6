import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from campaigns.models import BrandDeal, DealCreator, DealStatus, Deliverable
from campaigns.services.deals import deal_transition
from campaigns.services.invoices import invoice_draft_create, invoice_issue, invoice_line_add
from tests.factories.campaigns import BrandDealFactory, DealCreatorFactory, DeliverableFactory
from tests.factories.creators import CreatorFactory, PlatformAccountFactory, VideoFactory

pytestmark = pytest.mark.django_db


def _proposal(*creators, **overrides):
    body = {
        "title": "Summer glow",
        "brief": "Two videos",
        "fee": "2500.00",
        "currency": "USD",
        "creators": [{"creator_id": c.pk} for c in creators],
        "deliverables": [{"creator_id": creators[0].pk, "type": "video", "due_on": "2026-12-10"}],
    }
    body.update(overrides)
    return body


def _invoice(brand, amount=500_00, issue=True):
    invoice = invoice_draft_create(brand=brand, currency="USD")
    invoice_line_add(
        invoice=invoice, description="Fee", amount_minor=amount, source_key=f"x:{invoice.pk}"
    )
    return invoice_issue(invoice=invoice, on=dt.date(2026, 10, 1)) if issue else invoice


def test_a_brand_proposes_a_deal_that_lands_in_lead(brand_a, brand_client):
    a, b = CreatorFactory(), CreatorFactory()
    response = brand_client.post(reverse("deal-list"), _proposal(a, b), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "lead"
    assert body["fee"] == {"amount": "2500.00", "currency": "USD"}
    assert [c["creator_id"] for c in body["creators"]] == [a.pk, b.pk]
    assert body["deliverable_count"] == 1
    deal = BrandDeal.objects.get(pk=body["id"])
    assert deal.brand == brand_a
    assert deal.events.get().actor_partner == brand_client.partner
    assert "date_of_birth" not in str(body) and "legal_name" not in str(body)


def test_a_brand_partner_without_a_brand_gets_one_on_its_first_proposal(brand_client):
    response = brand_client.post(reverse("deal-list"), _proposal(CreatorFactory()), format="json")
    assert response.status_code == 201
    assert BrandDeal.objects.get().brand.partner == brand_client.partner


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"fee": "-1"}, "fee"),
        ({"fee": "10.001"}, "fee"),
        ({"currency": "XXX"}, "currency"),
        ({"title": ""}, "title"),
        ({"creators": []}, "creators"),
        ({"creators": [{"creator_id": 999_999}]}, "creators"),
        ({"deliverables": [{"creator_id": 1, "type": "poster", "due_on": "2026-12-01"}]},
         "deliverables"),
    ],
)  # fmt: skip
def test_invalid_proposals_are_400_with_field_names(brand_a, brand_client, override, field):
    body = _proposal(CreatorFactory(), **override)
    response = brand_client.post(reverse("deal-list"), body, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert field in error["fields"]
    assert not BrandDeal.objects.exists()


def test_a_proposal_cannot_name_an_inactive_creator(brand_a, brand_client):
    prospect = CreatorFactory(status="prospect")
    response = brand_client.post(reverse("deal-list"), _proposal(prospect), format="json")
    assert response.status_code == 400
    assert "creators" in response.json()["error"]["fields"]


def test_status_cannot_be_written_by_the_brand(brand_a, brand_client):
    body = _proposal(CreatorFactory(), status="paid")
    response = brand_client.post(reverse("deal-list"), body, format="json")
    assert response.status_code == 201
    assert response.json()["status"] == "lead"


def test_the_idempotency_key_replays_a_proposal(brand_a, brand_client):
    body = _proposal(CreatorFactory())
    first = brand_client.post(reverse("deal-list"), body, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    again = brand_client.post(reverse("deal-list"), body, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert BrandDeal.objects.count() == 1


def test_brand_a_never_sees_brand_b_deals_deliverables_or_invoices(
    brand_a, brand_b, brand_client, other_brand_client
):
    mine = BrandDealFactory(brand=brand_a)
    theirs = BrandDealFactory(brand=brand_b, status=DealStatus.IN_PRODUCTION)
    their_item = DeliverableFactory(deal=theirs, status="submitted")
    their_invoice = _invoice(brand_b)

    deals = brand_client.get(reverse("deal-list")).json()["results"]
    assert [d["id"] for d in deals] == [mine.pk]
    assert brand_client.get(reverse("deliverable-list")).json()["results"] == []
    assert (
        brand_client.get(reverse("deliverable-list"), {"deal": theirs.pk}).json()["results"] == []
    )
    assert brand_client.get(reverse("invoice-list")).json()["results"] == []
    for name, pk in [
        ("deal-detail", theirs.pk),
        ("deliverable-detail", their_item.pk),
        ("invoice-detail", their_invoice.pk),
    ]:
        response = brand_client.get(reverse(name, args=[pk]))
        assert response.status_code == 404, name
        assert response.json()["error"]["code"] == "not_found"
    approve = brand_client.post(reverse("deliverable-approve", args=[their_item.pk]))
    changes = brand_client.post(
        reverse("deliverable-request-changes", args=[their_item.pk]), {"note": "no"}, format="json"
    )
    assert (approve.status_code, changes.status_code) == (404, 404)
    their_item.refresh_from_db()
    assert their_item.status == "submitted"
    # the owner sees them
    assert other_brand_client.get(reverse("deal-detail", args=[theirs.pk])).status_code == 200
    assert other_brand_client.get(reverse("invoice-detail", args=[their_invoice.pk])).json()[
        "total"
    ] == {"amount": "500.00", "currency": "USD"}


def test_other_partner_kinds_are_refused(brand_a, sub_agency_client):
    assert sub_agency_client.get(reverse("deal-list")).status_code == 403
    assert sub_agency_client.get(reverse("invoice-list")).status_code == 403


def test_deliverables_show_the_content_results(brand_a, brand_client):
    account = PlatformAccountFactory()
    video = VideoFactory(
        account=account,
        posted_at=timezone.now(),
        duration_seconds=45,
        views=12_000,
        completed_views=4_000,
        likes=900,
        comments=40,
        shares=25,
    )
    deal = BrandDealFactory(brand=brand_a)
    DeliverableFactory(deal=deal, creator=account.creator, video=video, status="submitted")
    DeliverableFactory(deal=deal)
    results = brand_client.get(reverse("deliverable-list"), {"deal": deal.pk}).json()["results"]
    assert results[0]["results"]["views"] == 12_000
    assert results[0]["results"]["likes"] == 900
    assert results[1]["results"] is None


def test_approve_and_request_changes_actions(brand_a, brand_client):
    deal = BrandDealFactory(brand=brand_a, status=DealStatus.DELIVERED)
    first = DeliverableFactory(deal=deal, status="submitted")
    second = DeliverableFactory(deal=deal, status="submitted")
    response = brand_client.post(
        reverse("deliverable-request-changes", args=[first.pk]), {}, format="json"
    )
    assert response.status_code == 400
    assert "note" in response.json()["error"]["fields"]
    response = brand_client.post(
        reverse("deliverable-request-changes", args=[first.pk]),
        {"note": "Logo in the first 3 s"},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["status"] == "changes_requested"
    assert response.json()["feedback"] == "Logo in the first 3 s"
    # approving a deliverable that is not submitted is a conflict
    assert brand_client.post(reverse("deliverable-approve", args=[first.pk])).status_code == 409
    assert brand_client.post(reverse("deliverable-approve", args=[second.pk])).status_code == 200
    Deliverable.objects.filter(pk=first.pk).update(status="submitted")
    assert brand_client.post(reverse("deliverable-approve", args=[first.pk])).status_code == 200
    deal.refresh_from_db()
    assert deal.status == DealStatus.APPROVED


def test_drafts_are_not_listed_to_the_brand(brand_a, brand_client):
    issued = _invoice(brand_a, amount=120_50)
    _invoice(brand_a, issue=False)
    body = brand_client.get(reverse("invoice-list")).json()["results"]
    assert [i["id"] for i in body] == [issued.pk]
    assert body[0]["number"] == "INV-000001"
    assert body[0]["lines"] == [
        {"description": "Fee", "amount": {"amount": "120.50", "currency": "USD"}}
    ]
    assert body[0]["due_on"] == "2026-10-31"


def _count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


def _more_deals(brand, n):
    for _ in range(n):
        deal = BrandDealFactory(brand=brand)
        for _ in range(2):
            DealCreatorFactory(deal=deal)
        DeliverableFactory(
            deal=deal, video=VideoFactory(posted_at=timezone.now(), duration_seconds=9)
        )
        _invoice(brand)


@pytest.mark.parametrize("name", ["deal-list", "deliverable-list", "invoice-list"])
def test_list_pages_run_a_constant_number_of_queries(
    brand_a, brand_client, name, django_assert_max_num_queries
):
    _more_deals(brand_a, 1)
    url = reverse(name)
    few = _count_queries(brand_client, url)
    _more_deals(brand_a, 6)
    with django_assert_max_num_queries(few):
        response = brand_client.get(url)
    assert response.json()["count"] == 7
    assert DealCreator.objects.count() == 14


def test_deal_webhooks_reach_only_the_owning_brand(
    brand_a, brand_b, brand_client, other_brand_client, settings
):
    settings.WEBHOOK_ALLOW_PRIVATE_HOSTS = True
    settings.WEBHOOK_REQUIRE_HTTPS = False
    for client in (brand_client, other_brand_client):
        response = client.post(
            reverse("webhook-endpoint-list"), {"url": "http://127.0.0.1:9/hook"}, format="json"
        )
        assert response.status_code == 201
    deal = BrandDealFactory(brand=brand_a)
    deal_transition(deal=deal, to_status=DealStatus.NEGOTIATING)
    mine = brand_client.get(reverse("webhook-delivery-list")).json()["results"]
    assert [d["event_type"] for d in mine] == ["deal.status_changed"]
    assert other_brand_client.get(reverse("webhook-delivery-list")).json()["results"] == []


@pytest.mark.parametrize("due_on", ["0001-01-01", "9999-12-31"])
def test_deliverable_due_dates_outside_the_plausible_range_are_refused(
    brand_a, brand_client, due_on
):
    creator = CreatorFactory()
    deliverables = [{"creator_id": creator.pk, "type": "video", "due_on": due_on}]
    body = _proposal(creator, deliverables=deliverables)
    response = brand_client.post(reverse("deal-list"), body, format="json")
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert fields["deliverables"]["0"]["due_on"][0].startswith("Must be between 2000-01-01")
    assert not BrandDeal.objects.exists()
