"""Each role logs in through the login page and does its daily work in a real browser.

Every page fails the test on a JS error, a 4xx/5xx or a width over 1400 px (conftest);
each role's landing page is written to var/screenshots/<role>-landing.png.
"""

import datetime as dt
import importlib
from pathlib import Path

import pytest
from django.apps import apps
from django.utils import timezone

from agency import roles
from billing.models import PayoutBatch, RevenueEvent, Statement
from billing.services.events import EventInput, revenue_events_ingest
from billing.services.payouts import payout_batch_prepare
from billing.services.statements import statement_close
from campaigns.models import BrandDeal, DealStatus, Invoice
from campaigns.services.invoices import invoice_payment_record
from creators.models import EligibilityResult, EligibilityRuleSet, VideoWave
from creators.services.waves import waves_compute_chunk
from tests.billing.helpers import creator_on_plan
from tests.billing.test_payouts import _payable
from tests.browser.conftest import log_in
from tests.campaigns.helpers import TO_APPROVED, advance
from tests.factories.campaigns import BrandDealFactory, DealCreatorFactory
from tests.factories.creators import CreatorFactory, PlatformAccountFactory, VideoFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _earned(creator, gross: str, on: dt.date) -> RevenueEvent:
    row = EventInput(
        stream="brand_deal",
        creator_id=creator.pk,
        occurred_on=on,
        gross=gross,
        platform_fee="0",
        currency=creator.payout_currency,
        source_type="test",
        source_id=f"browser-{creator.pk}-{on}",
    )
    created, _ = revenue_events_ingest(rows=[row], today=dt.date(2025, 6, 30))
    return created[0]


def test_finance_approves_a_payout_batch_another_finance_member_prepared(page, staff_user):
    creator = creator_on_plan()
    _payable(_earned(creator, "1234.50", dt.date(2025, 3, 10)))
    anna, ben = staff_user("fin.anna", roles.FINANCE), staff_user("fin.ben", roles.FINANCE)
    batch = payout_batch_prepare(currency="USD", prepared_by=anna)

    log_in(page, ben)
    page.screenshot("finance-landing")
    assert "Ledger check" in page.goto("/admin/").inner_text("#content")
    tab = page.goto("/admin/billing/payoutbatch/")
    tab.click(f'#result_list a[href$="/{batch.pk}/change/"]')
    page.check()
    assert "USD 987.60" in tab.inner_text("#content")  # 80 % of 1,234.50 to the creator
    assert tab.is_visible("text=Reject batch")
    tab.click("text=Approve batch")
    page.check()
    tab.click("input[value='Yes, approve batch']")
    page.check()
    assert "Batches approved: 1." in tab.inner_text(".messagelist")
    assert PayoutBatch.objects.get(pk=batch.pk).status == "approved"


def test_a_manager_finds_a_creator_close_to_eligibility(page, staff_user):
    importlib.import_module("creators.migrations.0003_seed_eligibility_programs").seed(apps, None)
    manager = staff_user("mgr.mia", roles.TALENT_MANAGER)
    close = CreatorFactory(stage_name="nearly.there", talent_manager=manager)
    CreatorFactory(stage_name="someone.elses")
    rule_set = EligibilityRuleSet.objects.select_related("program").order_by("pk").first()
    EligibilityResult.objects.create(
        creator=close,
        program=rule_set.program,
        rule_set=rule_set,
        as_of=timezone.localdate(),
        eligible=False,
        failures=[
            {
                "rule": "min_followers",
                "required": 10000,
                "actual": 8800,
                "distance": 1200,
                "message": "needs 1,200 more followers",
            },
        ],
        computed_at=timezone.now(),
    )
    EligibilityResult.objects.create(  # eligible ten days ago: lost this week
        creator=close, program=rule_set.program, rule_set=rule_set,
        as_of=timezone.localdate() - dt.timedelta(days=10), eligible=True, failures=[],
        computed_at=timezone.now(),
    )  # fmt: skip

    log_in(page, manager)
    page.screenshot("talent-manager-landing")
    landing = page.goto("/admin/").inner_text("#content")
    assert "+0 gained, -1 lost" in landing
    assert f"nearly.there lost {rule_set.program.name}: needs 1,200 more followers" in landing
    page.goto(f"/admin/creators/eligibilityprogram/{rule_set.program.pk}/change/")
    page.check()  # the program a result links to opens for a manager (no 403)
    tab = page.goto("/admin/creators/eligibilityresult/?eligible__exact=0")
    listing = tab.inner_text("#result_list")
    assert "nearly.there" in listing and "someone.elses" not in listing
    assert "needs 1,200 more followers" in listing
    tab.click("#result_list a >> text=nearly.there")
    page.check()
    assert "needs 1,200 more followers" in tab.inner_text("#content")


def test_operations_moves_a_deal_to_paid_and_sees_its_revenue_booked(page, staff_user):
    ops = staff_user("ops.oli", roles.OPERATIONS)
    creator = creator_on_plan()
    deal = BrandDealFactory(title="Spring launch", fee_minor=600_00)
    DealCreatorFactory(deal=deal, creator=creator)
    advance(deal, *TO_APPROVED)

    log_in(page, ops)
    page.screenshot("operations-landing")
    tab = page.goto(f"/admin/campaigns/branddeal/{deal.pk}/change/")
    assert tab.input_value("#id_fee_minor") == "600.00"  # major units, never 60000
    tab.click("text=Advance to the next state")
    page.check()
    tab.click("input[value='Yes, advance to the next state']")
    page.check()
    assert "Moved: 1." in tab.inner_text(".messagelist")
    assert BrandDeal.objects.get(pk=deal.pk).status == DealStatus.INVOICED

    # the brand pays: finance records the cash on the invoice (finance's permission)
    invoice_payment_record(invoice=Invoice.objects.get(), paid_on=timezone.localdate())

    tab = page.goto(f"/admin/campaigns/branddeal/{deal.pk}/change/")
    content = tab.inner_text("#content")
    assert "Paid" in content
    assert f"{creator}: USD 600.00" in content  # the fee booked as the creator's revenue
    assert RevenueEvent.objects.filter(creator=creator, gross_minor=600_00).exists()


def test_a_statement_export_opens(page, staff_user):
    creator = creator_on_plan()
    _earned(creator, "1000.00", dt.date(2025, 3, 10))
    statement = statement_close(creator=creator, period=dt.date(2025, 3, 1))
    log_in(page, staff_user("fin.fay", roles.FINANCE))
    tab = page.goto(f"/admin/billing/statement/{statement.pk}/change/")
    assert "USD 800.00" in tab.inner_text("#content")
    with tab.expect_download() as download:
        tab.click("button:has-text('Export CSV')")
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert "closing balance" in text and "USD 800.00" in text
    with tab.expect_download() as download:
        tab.click("button:has-text('Export PDF')")
    assert Path(download.value.path()).read_bytes()[:4] == b"%PDF"
    assert Statement.objects.get(pk=statement.pk).status == Statement.Status.CLOSED


def test_the_agency_admin_lands_on_the_admin(page, staff_user):
    log_in(page, staff_user("adm.ada", roles.AGENCY_ADMIN))
    page.screenshot("agency-admin-landing")
    assert "have permission to view or edit anything" not in page.page.inner_text("#content")


def test_the_agency_admin_edits_the_rates_per_country(page, staff_user):
    for seeding in ("0003_seed_eligibility_programs", "0010_estimate_basis",
                    "0014_seed_country_rates"):  # fmt: skip
        importlib.import_module(f"creators.migrations.{seeding}").seed(apps, None)
    rule_set = EligibilityRuleSet.objects.get(program__code="tiktok_creator_rewards", version=3)

    log_in(page, staff_user("adm.rae", roles.AGENCY_ADMIN))
    tab = page.goto(f"/admin/creators/eligibilityruleset/{rule_set.pk}/change/")
    shown = tab.input_value("#id_country_rates")
    assert "US 0.70 - 1.00" in shown.splitlines() and "{" not in shown
    tab.fill("#id_country_rates", shown.replace("US 0.70 - 1.00", "US 0.8 - 1.0"))
    tab.click("input[name=_continue]")
    page.check()
    assert "was changed successfully" in tab.inner_text(".messagelist")
    assert "US 0.80 - 1.00" in tab.input_value("#id_country_rates").splitlines()
    page.screenshot("agency-admin-country-rates")
    rule_set.refresh_from_db()
    assert rule_set.country_rates["US"] == [80, 100]
    tab.fill("#id_country_rates", "US 1.00 - 0.80")  # refused, by line
    tab.click("input[name=_continue]")
    page.check()
    assert "Line 1: the low rate is above the high." in tab.inner_text("#content")


def test_a_manager_imports_hourly_rows_and_sees_the_hour_a_video_reached_its_pool(
    page, staff_user, tmp_path
):
    importlib.import_module("creators.migrations.0008_video_waves").seed(apps, None)
    manager = staff_user("mgr.hal", roles.TALENT_MANAGER)
    account = PlatformAccountFactory(
        creator=CreatorFactory(stage_name="hourly.climber", talent_manager=manager)
    )
    video = VideoFactory(
        account=account, posted_at=dt.datetime(2026, 1, 10, 12, tzinfo=dt.UTC), views=0
    )
    counts = "for_you_views,follower_views,completed_views,replays,likes,comments,shares,saves"
    header = f"platform,platform_account_id,platform_video_id,hour,views,{counts}"
    header += ",watch_time_seconds"
    lines = [
        f"tiktok,{account.platform_account_id},{video.platform_video_id},{hour},{views},"
        f"0,0,{views // 2},0,{views // 10},0,0,0,{views * 5}"
        for hour, views in [("2026-01-10T12:00:00Z", 700), ("2026-01-11T09:00:00Z", 299),
                            ("2026-01-11T14:30:00Z", 1)]
    ]  # fmt: skip
    upload = tmp_path / "hours.csv"
    upload.write_text("\n".join([header, *lines]) + "\n")

    log_in(page, manager)
    tab = page.goto("/admin/creators/videohourlymetric/import-csv/")
    tab.set_input_files("#id_file", str(upload))
    tab.select_option("#id_kind", "video_hourly")
    tab.uncheck("#id_dry_run")
    tab.click("input[value=Import]")
    page.check()
    assert "3 rows: 3 created" in tab.inner_text("#content")
    waves_compute_chunk(as_of=dt.date(2026, 1, 31), creator_ids=[account.creator_id])
    assert VideoWave.objects.get(video=video).pool == 2

    tab = page.goto(f"/admin/creators/creator/{account.creator_id}/change/")
    assert "2026-01-11 14:00 UTC" in tab.inner_text("#content")
    tab = page.goto("/admin/creators/videowave/")
    assert "2026-01-11 14:00 UTC" in tab.inner_text("#result_list")
    page.screenshot("talent-manager-video-waves")
