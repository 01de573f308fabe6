import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from agency.errors import ApplicationError, Conflict
from agency.models import WebhookDelivery
from agency.webhooks import webhook_endpoint_create
from billing.models import RevenueEvent
from billing.services.events import revenue_events_lock_due
from campaigns.models import BrandDeal, DealEvent, DealStatus, Deliverable
from campaigns.services.deals import (
    DeliverableSpec,
    deal_create,
    deal_revenue_book,
    deal_transition,
    deliverable_review,
    deliverable_submit,
)
from campaigns.services.invoices import invoice_for_deal, invoice_payment_record
from campaigns.tasks import campaigns_deal_revenue_book
from tests.campaigns.helpers import TO_APPROVED, advance
from tests.factories.agency import StaffUserFactory
from tests.factories.campaigns import BrandDealFactory, BrandFactory, DealCreatorFactory
from tests.factories.creators import CreatorFactory, PlatformAccountFactory, VideoFactory

pytestmark = pytest.mark.django_db


def test_create_lands_in_lead_with_shares_deliverables_and_an_audit_row():
    brand = BrandFactory()
    a, b = CreatorFactory(), CreatorFactory()
    deal = deal_create(
        brand=brand,
        title="Spring launch",
        fee_minor=5_000_00,
        currency="USD",
        creator_shares=[(a.pk, Decimal(2)), (b.pk, Decimal(1))],
        deliverables=[DeliverableSpec(a.pk, "video", dt.date(2026, 12, 1))],
    )
    assert deal.status == DealStatus.LEAD
    assert [(s.creator_id, s.share) for s in deal.shares.order_by("pk")] == [
        (a.pk, Decimal(2)),
        (b.pk, Decimal(1)),
    ]
    assert deal.deliverables.get().creator_id == a.pk
    assert list(deal.events.values_list("from_status", "to_status")) == [("", "lead")]


def test_create_refuses_a_deliverable_for_a_creator_not_on_the_deal():
    a, outsider = CreatorFactory(), CreatorFactory()
    with pytest.raises(ApplicationError):
        deal_create(
            brand=BrandFactory(),
            title="x",
            fee_minor=1,
            currency="USD",
            creator_shares=[(a.pk, Decimal(1))],
            deliverables=[DeliverableSpec(outsider.pk, "video", dt.date(2026, 12, 1))],
        )
    assert not BrandDeal.objects.exists()


def test_the_legal_path_records_every_change_with_its_actor():
    staff = StaffUserFactory()
    deal = advance(BrandDealFactory(), *TO_APPROVED, actor=staff)
    assert deal.status == DealStatus.APPROVED
    events = list(DealEvent.objects.filter(deal=deal).order_by("pk"))
    assert [(e.from_status, e.to_status) for e in events] == [
        ("lead", "negotiating"),
        ("negotiating", "contracted"),
        ("contracted", "in_production"),
        ("in_production", "delivered"),
        ("delivered", "approved"),
    ]
    assert {e.actor_id for e in events} == {staff.pk}


@pytest.mark.parametrize(
    ("start", "target"),
    [
        ("lead", "contracted"),  # skips a state
        ("negotiating", "lead"),  # goes back
        ("approved", "paid"),  # paid only after invoiced
        ("paid", "cancelled"),  # terminal
        ("cancelled", "negotiating"),  # terminal
        ("lead", "lead"),
    ],
)
def test_illegal_transitions_are_conflicts_and_change_nothing(start, target):
    deal = BrandDealFactory(status=start, paid_on=dt.date(2026, 1, 1) if start == "paid" else None)
    with pytest.raises(Conflict):
        deal_transition(deal=deal, to_status=target)
    deal.refresh_from_db()
    assert deal.status == start
    assert not DealEvent.objects.filter(deal=deal).exists()


@pytest.mark.parametrize("start", ["lead", "negotiating", "in_production", "approved", "invoiced"])
def test_cancel_from_any_non_terminal_state(start):
    deal = deal_transition(deal=BrandDealFactory(status=start), to_status="cancelled")
    assert deal.status == DealStatus.CANCELLED


def test_the_database_refuses_an_unknown_status():
    deal = BrandDealFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        BrandDeal.objects.filter(pk=deal.pk).update(status="won")


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_transitions_one_wins_the_other_conflicts():
    deal = BrandDealFactory()
    barrier = threading.Barrier(2)
    results: list[str] = []

    def move():
        try:
            barrier.wait()
            deal_transition(deal=deal, to_status=DealStatus.NEGOTIATING)
            results.append("ok")
        except Conflict:
            results.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=move) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["conflict", "ok"]
    assert DealEvent.objects.filter(deal=deal).count() == 1
    deal.refresh_from_db()
    assert deal.status == DealStatus.NEGOTIATING


def _paid_deal(creators, fee_minor=1_000_00, weights=(1, 1, 1)):
    deal = BrandDealFactory(fee_minor=fee_minor)
    for creator, weight in zip(creators, weights, strict=True):
        DealCreatorFactory(deal=deal, creator=creator, share=Decimal(weight))
    advance(deal, *TO_APPROVED)
    invoice = invoice_for_deal(deal=deal)
    invoice_payment_record(invoice=invoice, paid_on=timezone.localdate())
    deal.refresh_from_db()
    return deal, invoice


def test_payment_books_one_event_per_share_split_by_largest_remainder(creators_on_plan):
    deal, _ = _paid_deal(creators_on_plan, fee_minor=1_000_00)
    assert deal.status == DealStatus.PAID
    events = RevenueEvent.objects.filter(source_type="campaigns.deal_share").order_by("source_id")
    # 100,000 cents / 3: 33,333.33 each; the one leftover cent goes to the first share.
    assert [(e.creator_id, e.gross_minor) for e in events] == [
        (creators_on_plan[0].pk, 33_334),
        (creators_on_plan[1].pk, 33_333),
        (creators_on_plan[2].pk, 33_333),
    ]
    assert {e.stream for e in events} == {"brand_deal"}
    assert all(e.posted_at is not None for e in events)


def test_revenue_is_booked_exactly_once_when_the_task_runs_again(creators_on_plan):
    deal, _ = _paid_deal(creators_on_plan, fee_minor=900_00, weights=(3, 2, 1))
    first = sorted(e.pk for e in deal_revenue_book(deal=deal))
    campaigns_deal_revenue_book(deal.pk)
    campaigns_deal_revenue_book(deal.pk)
    events = RevenueEvent.objects.filter(source_type="campaigns.deal_share")
    assert sorted(events.values_list("pk", flat=True)) == first
    assert sorted(events.values_list("gross_minor", flat=True)) == [150_00, 300_00, 450_00]


def test_revenue_of_an_unpaid_deal_is_refused():
    deal = BrandDealFactory(status=DealStatus.INVOICED)
    with pytest.raises(Conflict):
        deal_revenue_book(deal=deal)


def test_paid_deal_earnings_become_payable_once_their_hold_ends(creators_on_plan):
    deal, _ = _paid_deal(creators_on_plan)
    events = RevenueEvent.objects.filter(source_type="campaigns.deal_share")
    assert all(e.cash_received_on == deal.paid_on for e in events)
    revenue_events_lock_due(today=deal.paid_on + dt.timedelta(days=400))
    assert set(events.values_list("status", flat=True)) == {"payable"}


def test_transitions_queue_a_webhook_for_the_brand(brand_a, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_HOSTS = True
    settings.WEBHOOK_REQUIRE_HTTPS = False
    webhook_endpoint_create(partner=brand_a.partner, url="http://127.0.0.1:9/hook")
    deal = BrandDealFactory(brand=brand_a)
    deal_transition(deal=deal, to_status=DealStatus.NEGOTIATING)
    delivery = WebhookDelivery.objects.get(event_type="deal.status_changed")
    assert delivery.endpoint.partner == brand_a.partner
    assert delivery.payload["data"]["deal_id"] == deal.pk
    assert (delivery.payload["data"]["from"], delivery.payload["data"]["to"]) == (
        "lead",
        "negotiating",
    )


def test_a_brand_without_an_endpoint_gets_no_delivery_and_other_brands_get_none(
    brand_a, brand_b, settings
):
    settings.WEBHOOK_ALLOW_PRIVATE_HOSTS = True
    settings.WEBHOOK_REQUIRE_HTTPS = False
    webhook_endpoint_create(partner=brand_b.partner, url="http://127.0.0.1:9/hook")
    deal_transition(deal=BrandDealFactory(brand=brand_a), to_status=DealStatus.NEGOTIATING)
    assert not WebhookDelivery.objects.exists()


def test_deliverable_review_cycle_and_auto_approval_of_the_deal(brand_a, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_HOSTS = True
    settings.WEBHOOK_REQUIRE_HTTPS = False
    webhook_endpoint_create(partner=brand_a.partner, url="http://127.0.0.1:9/hook")
    account = PlatformAccountFactory()
    video = VideoFactory(account=account, posted_at=timezone.now(), duration_seconds=30)
    deal = BrandDealFactory(brand=brand_a, status=DealStatus.IN_PRODUCTION)
    item = Deliverable.objects.create(
        deal=deal, creator=account.creator, type="video", due_on=dt.date(2026, 12, 1)
    )
    with pytest.raises(Conflict):  # nothing to review yet
        deliverable_review(deliverable=item, approve=True, actor_partner=brand_a.partner)
    item = deliverable_submit(deliverable=item, posted_url="https://tiktok.test/v/1", video=video)
    with pytest.raises(ApplicationError):  # a change request says what to change
        deliverable_review(deliverable=item, approve=False, note=" ")
    item = deliverable_review(deliverable=item, approve=False, note="Show the logo")
    assert (item.status, item.feedback) == ("changes_requested", "Show the logo")
    item = deliverable_submit(deliverable=item, posted_url="https://tiktok.test/v/2", video=video)
    deal_transition(deal=deal, to_status=DealStatus.DELIVERED)
    deliverable_review(deliverable=item, approve=True, actor_partner=brand_a.partner)
    deal.refresh_from_db()
    assert deal.status == DealStatus.APPROVED
    assert DealEvent.objects.get(
        deal=deal, deliverable=None, to_status="approved"
    ).actor_partner == (brand_a.partner)
    types = list(WebhookDelivery.objects.order_by("pk").values_list("event_type", flat=True))
    assert types.count("deliverable.status_changed") == 4
    assert types.count("deal.status_changed") == 2


def test_a_video_of_another_creator_cannot_be_linked():
    deal = BrandDealFactory(status=DealStatus.IN_PRODUCTION)
    item = Deliverable.objects.create(
        deal=deal, creator=CreatorFactory(), type="video", due_on=dt.date(2026, 12, 1)
    )
    video = VideoFactory(posted_at=timezone.now(), duration_seconds=30)
    with pytest.raises(ApplicationError):
        deliverable_submit(deliverable=item, posted_url="https://x.test/v", video=video)


@pytest.mark.django_db(transaction=True)
def test_a_payment_recorded_twice_at_once_books_the_revenue_once():
    from tests.billing.helpers import creator_on_plan

    creators = [creator_on_plan() for _ in range(2)]
    deal = BrandDealFactory(fee_minor=1_001)
    for creator in creators:
        DealCreatorFactory(deal=deal, creator=creator)
    advance(deal, *TO_APPROVED)
    invoice = invoice_for_deal(deal=deal)
    barrier = threading.Barrier(2)
    errors: list[Exception] = []

    def pay():
        try:
            barrier.wait()
            invoice_payment_record(invoice=invoice, paid_on=timezone.localdate())
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=pay) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    events = RevenueEvent.objects.filter(source_type="campaigns.deal_share")
    assert sorted(events.values_list("gross_minor", flat=True)) == [500, 501]
    assert DealEvent.objects.filter(deal=deal, to_status="paid").count() == 1


def test_a_deal_marked_paid_before_its_invoice_still_gets_its_earnings_cash_received(
    creators_on_plan,
):
    deal = BrandDealFactory(fee_minor=300_00)
    DealCreatorFactory(deal=deal, creator=creators_on_plan[0])
    advance(deal, *TO_APPROVED)
    invoice = invoice_for_deal(deal=deal)
    deal_transition(deal=deal, to_status=DealStatus.PAID)
    event = RevenueEvent.objects.get(source_type="campaigns.deal_share")
    assert event.cash_received_on is None
    invoice_payment_record(invoice=invoice, paid_on=timezone.localdate())
    event.refresh_from_db()
    assert event.cash_received_on == timezone.localdate()
    assert list(invoice.lines.get().revenue_events.all()) == [event]


def test_a_share_added_after_booking_is_refused_not_booked_twice(creators_on_plan):
    deal, _ = _paid_deal(creators_on_plan[:2], weights=(1, 1))
    DealCreatorFactory(deal=deal, creator=creators_on_plan[2])
    with pytest.raises(Conflict):
        deal_revenue_book(deal=deal)
    events = RevenueEvent.objects.filter(source_type="campaigns.deal_share")
    assert sum(events.values_list("gross_minor", flat=True)) == deal.fee_minor
