import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.utils import timezone

from agency.errors import ApplicationError
from billing.models import RevenueEvent
from campaigns.models import AffiliateOrder, LiveMonthlyReport
from campaigns.selectors import affiliate_conversion_by_creator, conversion_grade
from campaigns.services.affiliate import (
    affiliate_order_record,
    affiliate_order_settle,
    affiliate_refund_record,
)
from campaigns.services.live import live_commerce_refund_record, live_session_revenue_book
from campaigns.tasks import campaigns_settle_due_affiliate_orders
from tests.factories.campaigns import (
    AffiliateLinkFactory,
    AffiliateOrderFactory,
    LiveSessionFactory,
)
from tests.factories.creators import PlatformAccountFactory

pytestmark = pytest.mark.django_db
SETTLE = dt.date(2026, 10, 16)


# --- affiliate ---------------------------------------------------------------------------


def _order(creator, gmv=100_00, rate="0.15"):
    link = AffiliateLinkFactory(creator=creator)
    return affiliate_order_record(
        link=link,
        external_id=f"o-{link.pk}",
        product="Serum",
        gmv_minor=gmv,
        currency="USD",
        commission_rate=Decimal(rate),
        ordered_on=dt.date(2026, 10, 1),
    )


def test_an_order_settles_after_its_hold_and_books_its_commission_once(creators_on_plan):
    order = _order(creators_on_plan[0], gmv=123_45)
    assert order.settles_on == SETTLE
    assert campaigns_settle_due_affiliate_orders("2026-10-15") == 0
    assert campaigns_settle_due_affiliate_orders("2026-10-16") == 1
    assert campaigns_settle_due_affiliate_orders("2026-10-16") == 0
    event = RevenueEvent.objects.get(source_type="campaigns.affiliate_order")
    # 15 % of 123.45 = 18.5175 -> 18.52
    assert (event.gross_minor, event.stream, event.occurred_on) == (18_52, "affiliate", SETTLE)


def test_a_partial_refund_before_settlement_lowers_the_booked_commission(creators_on_plan):
    order = _order(creators_on_plan[0], gmv=100_00)
    refund = affiliate_refund_record(
        order=order, external_id="r1", amount_minor=40_00, refunded_on=dt.date(2026, 10, 5)
    )
    assert (refund.after_settlement, refund.clawback_minor) == (False, 0)
    order = affiliate_order_settle(order=order, today=SETTLE)
    assert order.settled_commission_minor == 9_00  # 15 % of the 60.00 left
    assert RevenueEvent.objects.get().gross_minor == 9_00


def test_a_fully_refunded_order_books_nothing(creators_on_plan):
    order = _order(creators_on_plan[0])
    affiliate_refund_record(
        order=order, external_id="r1", amount_minor=100_00, refunded_on=dt.date(2026, 10, 2)
    )
    order = affiliate_order_settle(order=order, today=SETTLE)
    assert order.status == AffiliateOrder.Status.REFUNDED
    assert not RevenueEvent.objects.exists()


def test_refunds_after_settlement_claw_back_proportionally_and_sum_exactly(creators_on_plan):
    order = _order(creators_on_plan[0], gmv=100_01, rate="0.33")
    order = affiliate_order_settle(order=order, today=SETTLE)
    assert order.settled_commission_minor == 33_00  # 33 % of 100.01 = 33.0033
    day = dt.date(2026, 10, 20)
    first = affiliate_refund_record(
        order=order, external_id="r1", amount_minor=33_33, refunded_on=day
    )
    # left 66.68 -> commission 22.0044 -> 22.00: claw back 11.00
    assert (first.after_settlement, first.clawback_minor) == (True, 11_00)
    second = affiliate_refund_record(
        order=order, external_id="r2", amount_minor=33_34, refunded_on=day
    )
    # left 33.34 -> 11.0022 -> 11.00: claw back 11.00 more
    assert second.clawback_minor == 11_00
    third = affiliate_refund_record(
        order=order, external_id="r3", amount_minor=33_34, refunded_on=day
    )
    assert third.clawback_minor == 11_00
    order.refresh_from_db()
    assert order.status == AffiliateOrder.Status.REFUNDED
    sale = RevenueEvent.objects.get(kind="sale")
    refunds = RevenueEvent.objects.filter(kind="refund").order_by("pk")
    assert [r.gross_minor for r in refunds] == [-11_00, -11_00, -11_00]
    assert {r.refund_of_id for r in refunds} == {sale.pk}
    assert sale.gross_minor + sum(r.gross_minor for r in refunds) == 0


def test_refund_is_idempotent_by_its_id_and_cannot_exceed_the_gmv(creators_on_plan):
    order = affiliate_order_settle(order=_order(creators_on_plan[0]), today=SETTLE)
    day = dt.date(2026, 10, 20)
    affiliate_refund_record(order=order, external_id="r1", amount_minor=50_00, refunded_on=day)
    affiliate_refund_record(order=order, external_id="r1", amount_minor=50_00, refunded_on=day)
    assert RevenueEvent.objects.filter(kind="refund").count() == 1
    with pytest.raises(ApplicationError):
        affiliate_refund_record(order=order, external_id="r2", amount_minor=50_01, refunded_on=day)


@pytest.mark.parametrize("rate", ["0.009", "0.81"])
def test_commission_rate_outside_1_to_80_percent_is_refused(rate):
    with pytest.raises(ApplicationError) as exc:
        _order(AffiliateLinkFactory().creator, rate=rate)
    assert "commission_rate" in exc.value.extra
    with pytest.raises(IntegrityError), transaction.atomic():
        AffiliateOrderFactory(commission_rate=Decimal(rate))


@pytest.mark.parametrize(
    ("orders", "clicks", "grade"),
    [
        (0, 0, None),
        (9, 1000, "weak"),  # 0.9 %
        (10, 1000, "average"),  # exactly 1 %
        (49, 1000, "average"),  # 4.9 %
        (50, 1000, "excellent"),  # exactly 5 %
        (80, 1000, "excellent"),
    ],
)
def test_conversion_grade_boundaries(orders, clicks, grade):
    assert conversion_grade(orders=orders, clicks=clicks) == grade


def test_conversion_by_creator_counts_orders_over_clicks_of_all_links():
    first = AffiliateLinkFactory(clicks=600)
    AffiliateLinkFactory(creator=first.creator, clicks=400)
    for _ in range(3):
        AffiliateOrderFactory(link=first)
    AffiliateOrderFactory(link=first, status="refunded", refunded_minor=100_00)
    quiet = AffiliateLinkFactory(clicks=0)
    rows = {r["creator_id"]: r for r in affiliate_conversion_by_creator()}
    assert rows[first.creator_id]["clicks"] == 1000
    assert rows[first.creator_id]["orders"] == 3
    assert rows[first.creator_id]["grade"] == "weak"
    assert rows[quiet.creator_id]["grade"] is None


# --- livestreams -------------------------------------------------------------------------


def test_live_gifts_and_commerce_become_revenue_events_once(creators_on_plan):
    account = PlatformAccountFactory(creator=creators_on_plan[0])
    session = LiveSessionFactory(
        account=account,
        diamonds=52_000,
        gifts_value_minor=260_00,
        gmv_minor=5_000_00,
        refunds_minor=333_33,
        commerce_commission_rate=Decimal("0.10"),
    )
    live_session_revenue_book(session=session)
    live_session_revenue_book(session=session)
    events = dict(RevenueEvent.objects.values_list("stream", "gross_minor"))
    # commerce: 10 % of (5,000.00 - 333.33) = 466.667 -> 466.67
    assert events == {"live_gifts": 260_00, "live_commerce": 466_67}
    session.refresh_from_db()
    assert session.revenue_booked_at is not None


def test_a_session_that_ends_before_it_starts_is_refused():
    start = timezone.now() - dt.timedelta(hours=5)
    with pytest.raises(IntegrityError), transaction.atomic():
        LiveSessionFactory(started_at=start, ended_at=start)


def _csv(tmp_path, body):
    path = tmp_path / "live.csv"
    path.write_text(
        "platform,platform_account_id,month,diamonds,valid_live_days,live_minutes\n" + body
    )
    return path


def test_live_report_import_dry_run_then_import_then_reimport(tmp_path, capsys):
    account = PlatformAccountFactory()
    path = _csv(tmp_path, f"tiktok,{account.platform_account_id},2026-09,120000,22,2400\n")
    call_command("import_live_reports", str(path), "--dry-run")
    assert "would import 1 new and 0 updated" in capsys.readouterr().out
    assert not LiveMonthlyReport.objects.exists()
    call_command("import_live_reports", str(path))
    report = LiveMonthlyReport.objects.get()
    assert (report.month, report.diamonds, report.valid_live_days, report.live_minutes) == (
        dt.date(2026, 9, 1),
        120_000,
        22,
        2400,
    )
    path = _csv(tmp_path, f"tiktok,{account.platform_account_id},2026-09,130000,23,2500\n")
    call_command("import_live_reports", str(path))
    assert "0 new and 1 updated" in capsys.readouterr().out
    assert LiveMonthlyReport.objects.get().diamonds == 130_000


def test_live_report_import_is_all_or_nothing_and_names_bad_lines(tmp_path):
    account = PlatformAccountFactory()
    good = f"tiktok,{account.platform_account_id},2026-09,1,1,1\n"
    path = _csv(
        tmp_path,
        good
        + "tiktok,nope,2026-09,1,1,1\n"
        + f"tiktok,{account.platform_account_id},2026-13,-5,40,x\n",
    )
    with pytest.raises(CommandError) as exc:
        call_command("import_live_reports", str(path))
    message = str(exc.value)
    assert "line 3: platform_account_id" in message
    assert "line 4: month" in message
    assert "line 4: diamonds: must not be negative" in message
    assert "line 4: valid_live_days: at most 31" in message
    assert "line 4: live_minutes: not a whole number" in message
    assert "line 2" not in message
    assert not LiveMonthlyReport.objects.exists()


def test_live_report_import_refuses_a_file_without_the_columns(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(CommandError, match="Missing columns"):
        call_command("import_live_reports", str(path))


def test_live_commerce_refunds_before_and_after_booking(creators_on_plan):
    account = PlatformAccountFactory(creator=creators_on_plan[0])
    session = LiveSessionFactory(
        account=account, gmv_minor=1_000_00, commerce_commission_rate=Decimal("0.15")
    )
    day = timezone.localdate()
    live_commerce_refund_record(
        session=session, external_id="lr1", amount_minor=200_00, refunded_on=day
    )
    live_session_revenue_book(session=session)
    sale = RevenueEvent.objects.get(stream="live_commerce", kind="sale")
    assert sale.gross_minor == 120_00  # 15 % of 800.00
    late = live_commerce_refund_record(
        session=session, external_id="lr2", amount_minor=333_33, refunded_on=day
    )
    # left 466.67 -> 70.0005 -> 70.00: claw back 50.00
    assert late.clawback_minor == 50_00
    again = live_commerce_refund_record(
        session=session, external_id="lr2", amount_minor=333_33, refunded_on=day
    )
    assert again.pk == late.pk
    rest = live_commerce_refund_record(
        session=session, external_id="lr3", amount_minor=466_67, refunded_on=day
    )
    assert rest.clawback_minor == 70_00
    refunds = RevenueEvent.objects.filter(stream="live_commerce", kind="refund")
    assert sorted(refunds.values_list("gross_minor", flat=True)) == [-70_00, -50_00]
    assert {r.refund_of_id for r in refunds} == {sale.pk}
    with pytest.raises(ApplicationError):
        live_commerce_refund_record(
            session=session, external_id="lr4", amount_minor=1, refunded_on=day
        )


def test_live_report_import_refuses_implausible_months_and_nul_characters(tmp_path):
    account = PlatformAccountFactory()
    path = _csv(
        tmp_path,
        f"tiktok,{account.platform_account_id},0001-01,1,1,1\n"
        f"tiktok,{account.platform_account_id}\x00,2026-09,1,1,1\n",
    )
    with pytest.raises(CommandError) as exc:
        call_command("import_live_reports", str(path))
    message = str(exc.value)
    assert "line 2: month: Must be between 2000-01-01" in message
    assert "line 3: platform_account_id: NUL characters are not allowed." in message
    assert not LiveMonthlyReport.objects.exists()
