"""Livestream operations in the admin and services: sessions entered through the service,
conversion grades per session and host, the price list, LIVE report reconciliation and the
agreed amount booked once; refunds, orders and ad spend in the admin through services."""

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from agency import roles
from agency.errors import ApplicationError, Conflict
from billing.models import RevenueEvent
from campaigns.models import (
    AdSpend,
    AffiliateOrder,
    AffiliateRefund,
    LiveMonthlyReport,
    LiveOperationPrice,
    LiveReportBooking,
    LiveSession,
)
from campaigns.selectors import live_reports_reconciled
from campaigns.services.affiliate import affiliate_order_settle
from campaigns.services.live import live_session_revenue_book
from campaigns.services.live_reports import live_report_book
from campaigns.services.operations import ad_spend_record, client_month_items
from campaigns.services.operations_intake import operations_ingest
from tests.conftest import staff_login
from tests.factories.agency import PartnerFactory, StaffUserFactory
from tests.factories.billing import finance_user
from tests.factories.campaigns import (
    AdAccountFactory,
    AffiliateLinkFactory,
    BrandFactory,
    LiveSessionFactory,
)
from tests.factories.creators import PlatformAccountFactory

pytestmark = pytest.mark.django_db

LAST_MONTH = (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def _role_user(username: str, role: str):
    user = StaffUserFactory(username=username)
    user.groups.add(Group.objects.get(name=role))
    return user


def _session_in(month: dt.date, account, *, day: int, diamonds: int, gifts: int, book=True):
    start = dt.datetime(month.year, month.month, day, 12, tzinfo=dt.UTC)
    session = LiveSessionFactory(
        account=account, started_at=start, ended_at=start + dt.timedelta(hours=2),
        diamonds=diamonds, gifts_value_minor=gifts,
    )  # fmt: skip
    if book:
        live_session_revenue_book(session=session)
    return session


@pytest.fixture
def month(creators_on_plan):
    account = PlatformAccountFactory(creator=creators_on_plan[0])
    _session_in(LAST_MONTH, account, day=3, diamonds=10_000, gifts=50_00)
    _session_in(LAST_MONTH, account, day=3, diamonds=5_000, gifts=25_00)
    _session_in(LAST_MONTH, account, day=9, diamonds=5_000, gifts=25_00)
    report = LiveMonthlyReport.objects.create(
        account=account, month=LAST_MONTH, diamonds=24_000, valid_live_days=3, live_minutes=360
    )
    return report


# --- reconciliation ---------------------------------------------------------------------------


def test_a_report_is_compared_with_the_sessions_of_its_month(month):
    other = PlatformAccountFactory()
    _session_in(LAST_MONTH, other, day=4, diamonds=99, gifts=1_00, book=False)
    row = live_reports_reconciled(LiveMonthlyReport.objects.filter(pk=month.pk)).get()
    assert (row.session_count, row.session_diamonds, row.session_days) == (3, 20_000, 2)
    assert (row.diamonds_difference, row.days_difference) == (4_000, 1)
    assert (row.booked_gifts_minor, row.sessions_currency) == (100_00, "USD")


def test_the_agreed_amount_is_booked_once_net_of_what_sessions_booked(month):
    finance = finance_user("fin")
    booking = live_report_book(report=month, agreed_minor=120_00, currency="USD",
                               booked_by=finance)  # fmt: skip
    assert (booking.sessions_booked_minor, booking.adjustment_minor) == (100_00, 20_00)
    event = RevenueEvent.objects.get(source_type="campaigns.live_report")
    assert (event.stream, event.gross_minor, event.source_id) == (
        "live_gifts",
        20_00,
        str(month.pk),
    )
    assert event.occurred_on.month == LAST_MONTH.month
    again = live_report_book(report=month, agreed_minor=120_00, currency="USD", booked_by=finance)
    assert again.pk == booking.pk
    assert RevenueEvent.objects.filter(source_type="campaigns.live_report").count() == 1
    with pytest.raises(Conflict):
        live_report_book(report=month, agreed_minor=130_00, currency="USD", booked_by=finance)
    # a late session of the booked month cannot book its gifts on top
    late = _session_in(LAST_MONTH, month.account, day=20, diamonds=1, gifts=1_00, book=False)
    with pytest.raises(Conflict):
        live_session_revenue_book(session=late)


def test_booking_refuses_what_cannot_be_agreed(month):
    with pytest.raises(ApplicationError, match="more than agreed"):
        live_report_book(report=month, agreed_minor=90_00, currency="USD")
    with pytest.raises(ApplicationError, match="finance"):
        live_report_book(report=month, agreed_minor=120_00, currency="USD",
                         booked_by=StaffUserFactory())  # fmt: skip
    _session_in(LAST_MONTH, month.account, day=21, diamonds=1, gifts=1_00, book=False)
    with pytest.raises(ApplicationError, match="sessions first"):
        live_report_book(report=month, agreed_minor=120_00, currency="USD")
    this_month = LiveMonthlyReport.objects.create(
        account=month.account, month=timezone.localdate().replace(day=1), diamonds=1,
        valid_live_days=1, live_minutes=1,
    )  # fmt: skip
    with pytest.raises(ApplicationError, match="ended"):
        live_report_book(report=this_month, agreed_minor=1, currency="USD")
    assert not LiveReportBooking.objects.exists()


def test_finance_sees_differences_and_books_in_the_admin(client, month):
    staff_login(client, finance_user("fin"))
    listing = client.get(reverse("admin:campaigns_livemonthlyreport_changelist"),
                         {"reconciliation": "differs"})  # fmt: skip
    assert listing.status_code == 200
    assert b"4000" in listing.content and b"book the agreed amount" in listing.content
    add = reverse("admin:campaigns_livereportbooking_add")
    refused = client.post(add, {"report": month.pk, "currency": "USD", "agreed": "90.00"})
    assert refused.status_code == 200 and b"more than agreed" in refused.content
    done = client.post(add, {"report": month.pk, "currency": "USD", "agreed": "120.00"})
    assert done.status_code == 302
    booking = LiveReportBooking.objects.get()
    assert (booking.agreed_minor, booking.adjustment_minor) == (120_00, 20_00)
    open_only = client.get(reverse("admin:campaigns_livemonthlyreport_changelist"),
                           {"reconciliation": "open"})  # fmt: skip
    assert b"book the agreed amount" not in open_only.content


def test_operations_cannot_book_a_report(client, month):
    client.force_login(_role_user("ops", roles.OPERATIONS))
    response = client.post(
        reverse("admin:campaigns_livereportbooking_add"),
        {"report": month.pk, "currency": "USD", "agreed": "120.00"},
    )
    assert response.status_code == 403
    assert not LiveReportBooking.objects.exists()


# --- sessions in the admin ---------------------------------------------------------------------


def _session_form(account, **overrides):
    start = timezone.localtime() - dt.timedelta(days=1)
    data = {
        "account": account.pk, "started_at_0": start.strftime("%Y-%m-%d"),
        "started_at_1": "20:00:00", "ended_at_0": start.strftime("%Y-%m-%d"),
        "ended_at_1": "22:00:00", "viewers": "20000", "peak_viewers": "900",
        "product_clicks": "800", "orders": "1200", "diamonds": "0", "currency": "CNY",
        "gifts_value_minor": "0", "gmv_minor": "12,000.00", "commerce_commission_rate": "10",
        "operation_fee_minor": "",
        "refunds-TOTAL_FORMS": "0", "refunds-INITIAL_FORMS": "0",
    }  # fmt: skip
    data.update(overrides)
    return data


def test_operations_enter_a_session_through_the_service(client):
    client.force_login(_role_user("ops", roles.OPERATIONS))
    account, brand = PlatformAccountFactory(), BrandFactory()
    add = reverse("admin:campaigns_livesession_add")
    form = _session_form(account, operated_by_agency="on", client=brand.pk)
    response = client.post(add, form)
    assert response.status_code == 302, response.content.decode()[:3000]
    session = LiveSession.objects.get()
    assert session.creator == account.creator  # set by the service from the account
    assert (session.gmv_minor, session.operation_fee_minor) == (12_000_00, 3_500_00)
    bad = client.post(add, _session_form(account, peak_viewers="30000"))
    assert bad.status_code == 200 and b"At most the number of viewers" in bad.content
    no_client = client.post(add, _session_form(account, operation_fee_minor="3000"))
    assert b"Only an agency-operated session" in no_client.content
    assert LiveSession.objects.count() == 1


def test_the_session_list_grades_and_flags_fees_off_the_list(client):
    client.force_login(_role_user("ops", roles.OPERATIONS))
    brand = BrandFactory()
    on_list = LiveSessionFactory(currency="CNY", viewers=1000, orders=6, operated_by_agency=True,
                                 client=brand, operation_fee_minor=3_200_00)  # fmt: skip
    off = LiveSessionFactory(currency="CNY", viewers=1000, orders=70, operated_by_agency=True,
                             client=brand, operation_fee_minor=5_000_00)  # fmt: skip
    url = reverse("admin:campaigns_livesession_changelist")
    page = client.get(url).content.decode()
    assert "0.60 % (weak)" in page and "7.00 % (excellent)" in page
    assert "off the list" in page
    flagged = client.get(url, {"fee": "off"}).context["cl"].result_list
    assert [s.pk for s in flagged] == [off.pk]
    assert (
        client.get(reverse("admin:campaigns_livesession_change", args=[on_list.pk])).status_code
        == 200
    )
    hosts = client.get(reverse("admin:campaigns_livehost_changelist"))
    assert hosts.status_code == 200  # one host per session here
    assert b"0.60 % (weak)" in hosts.content and b"7.00 % (excellent)" in hosts.content


def test_the_invoice_line_says_when_a_fee_is_off_the_list():
    brand = BrandFactory()
    start = dt.datetime(LAST_MONTH.year, LAST_MONTH.month, 5, 12, tzinfo=dt.UTC)
    LiveSessionFactory(currency="CNY", operated_by_agency=True, client=brand,
                       operation_fee_minor=5_000_00, started_at=start,
                       ended_at=start + dt.timedelta(hours=2))  # fmt: skip
    LiveSessionFactory(currency="CNY", operated_by_agency=True, client=brand,
                       operation_fee_minor=3_500_00, started_at=start,
                       ended_at=start + dt.timedelta(hours=2))  # fmt: skip
    items = client_month_items(brand=brand, month=LAST_MONTH, currency="CNY")
    notes = sorted(i.description.endswith("CNY 4,000.00)") for i in items)
    assert notes == [False, True]


def test_the_price_list_is_effective_dated_and_kept_by_operations_and_finance(client):
    for user in (_role_user("ops", roles.OPERATIONS), finance_user("fin")):
        staff_login(client, user)
        assert client.get(reverse("admin:campaigns_liveoperationprice_add")).status_code == 200
    future = timezone.localdate() + dt.timedelta(days=30)
    response = client.post(reverse("admin:campaigns_liveoperationprice_add"), {
        "currency": "CNY", "effective_from": future.isoformat(), "min_fee_minor": "3,200",
        "max_fee_minor": "4,500", "standard_fee_minor": "3,800", "note": "2027",
    })  # fmt: skip
    assert response.status_code == 302
    new = LiveOperationPrice.objects.get(effective_from=future)
    assert (new.min_fee_minor, new.standard_fee_minor) == (3_200_00, 3_800_00)
    seeded = LiveOperationPrice.objects.get(effective_from=dt.date(2020, 1, 1))
    page = client.get(reverse("admin:campaigns_liveoperationprice_change", args=[seeded.pk]))
    assert b"Save" not in page.content or b'name="_save"' not in page.content  # read-only


# --- refunds, orders and spend in the admin ---------------------------------------------------


def test_an_affiliate_order_added_in_the_admin_gets_its_settlement_date(client):
    client.force_login(_role_user("ops", roles.OPERATIONS))
    link = AffiliateLinkFactory()
    response = client.post(reverse("admin:campaigns_affiliateorder_add"), {
        "link": link.pk, "external_id": "shop-1", "product": "Serum", "gmv_minor": "100.00",
        "currency": "USD", "commission_rate": "15", "ordered_on": "2026-10-01",
        "settlement_days": "20", "refunds-TOTAL_FORMS": "0", "refunds-INITIAL_FORMS": "0",
    })  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    order = AffiliateOrder.objects.get()
    assert (order.gmv_minor, order.settles_on) == (100_00, dt.date(2026, 10, 21))


def test_a_refund_recorded_in_the_admin_claws_back(client, creators_on_plan):
    client.force_login(_role_user("ops", roles.OPERATIONS))
    link = AffiliateLinkFactory(creator=creators_on_plan[0])
    operations_ingest(kind="affiliate_orders", rows=[{
        "external_id": "o-1", "link": link.code, "product": "Serum", "gmv": "100.00",
        "currency": "USD", "commission_rate": "0.15",
        "ordered_on": (timezone.localdate() - dt.timedelta(days=20)).isoformat(),
    }])  # fmt: skip
    order = affiliate_order_settle(order=AffiliateOrder.objects.get(), today=timezone.localdate())
    add = reverse("admin:campaigns_affiliaterefund_add")
    today = timezone.localdate().isoformat()
    too_much = client.post(add, {"order": order.pk, "external_id": "r", "amount": "100.01",
                                 "refunded_on": today})  # fmt: skip
    assert b"At most USD 100.00" in too_much.content
    response = client.post(add, {"order": order.pk, "external_id": "r", "amount": "100.00",
                                 "refunded_on": today})  # fmt: skip
    assert response.status_code == 302
    assert AffiliateRefund.objects.get().clawback_minor == 15_00
    assert RevenueEvent.objects.get(kind=RevenueEvent.Kind.REFUND).gross_minor == -15_00


def test_ad_spend_typed_in_the_admin_goes_through_the_service(client):
    client.force_login(_role_user("ops", roles.OPERATIONS))
    account = AdAccountFactory()
    ad_spend_record(ad_account=account, spent_on=dt.date(2026, 10, 1), amount_minor=5_00,
                    partner=PartnerFactory())  # fmt: skip
    reported = AdSpend.objects.get()
    url = reverse("admin:campaigns_adaccount_change", args=[account.pk])
    page = client.get(url)
    assert page.status_code == 200
    form = {
        "brand": account.brand_id, "platform": "tiktok", "external_id": account.external_id,
        "currency": "USD", "fee_model": "fee", "fee_rate": "10",
        "spend-TOTAL_FORMS": "2", "spend-INITIAL_FORMS": "1",
        "spend-0-id": reported.pk, "spend-0-ad_account": account.pk,
        "spend-0-spent_on": "2026-10-01", "spend-0-amount_minor": "5.00",
        "spend-1-ad_account": account.pk, "spend-1-spent_on": "2026-10-02",
        "spend-1-amount_minor": "1,234.50",
    }  # fmt: skip
    assert client.post(url, form).status_code == 302
    assert AdSpend.objects.get(spent_on=dt.date(2026, 10, 2)).amount_minor == 1_234_50
    changed = {**form, "spend-0-amount_minor": "6.00"}
    refused = client.post(url, changed)
    assert refused.status_code == 200 and b"data partner reported this day" in refused.content
    assert AdSpend.objects.get(pk=reported.pk).amount_minor == 5_00


def test_the_new_admin_pages_load(admin_client, month):
    LiveSessionFactory(viewers=100, orders=3)
    for model in ["livehost", "liveoperationprice", "livereportbooking", "affiliaterefund",
                  "livecommercerefund", "livemonthlyreport", "livesession"]:  # fmt: skip
        assert admin_client.get(reverse(f"admin:campaigns_{model}_changelist")).status_code == 200
    for model in ["liveoperationprice", "affiliaterefund", "livecommercerefund", "livesession",
                  "affiliateorder"]:  # fmt: skip
        assert admin_client.get(reverse(f"admin:campaigns_{model}_add")).status_code == 200
    # booking is finance's (a superuser holds no role)
    add = reverse("admin:campaigns_livereportbooking_add")
    assert admin_client.get(add, {"report": month.pk}).status_code == 403


def test_operations_upload_a_csv_in_the_admin(client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(_role_user("ops", roles.OPERATIONS))
    account = AdAccountFactory()
    url = reverse("admin:campaigns_adaccount_import_csv")
    assert client.get(reverse("admin:campaigns_adaccount_changelist")).status_code == 200
    header = "platform,ad_account_id,spent_on,currency,amount\n"

    def upload(body: str, dry_run: bool):
        data = {"file": SimpleUploadedFile("spend.csv", (header + body).encode())}
        return client.post(url, {**data, **({"dry_run": "on"} if dry_run else {})})

    bad = upload(f"tiktok,{account.external_id},2026-10-01,USD,1.234\n", dry_run=False)
    assert b"line 2 (row 0): amount" in bad.content and not AdSpend.objects.exists()
    good = f"tiktok,{account.external_id},2026-10-01,USD,1234.50\n"
    assert b"Dry run" in upload(good, dry_run=True).content and not AdSpend.objects.exists()
    upload(good, dry_run=False)
    assert AdSpend.objects.get().amount_minor == 1_234_50
    staff_login(client, finance_user("fin"))
    assert client.get(url).status_code == 403


def test_a_recorded_order_reads_in_major_units_and_is_not_edited(client):
    client.force_login(_role_user("ops", roles.OPERATIONS))
    link = AffiliateLinkFactory()
    operations_ingest(kind="affiliate_orders", rows=[{
        "external_id": "o-9", "link": link.code, "product": "Serum", "gmv": "1234.50",
        "currency": "USD", "commission_rate": "0.15", "ordered_on": "2026-10-01",
    }])  # fmt: skip
    order = AffiliateOrder.objects.get()
    url = reverse("admin:campaigns_affiliateorder_change", args=[order.pk])
    page = client.get(url)
    assert page.status_code == 200 and b"USD 1,234.50" in page.content
    assert b'name="_save"' not in page.content
    client.post(url, {"gmv_minor": "1.00"})
    assert AffiliateOrder.objects.get().gmv_minor == 1_234_50
