"""Dashboard follow-ups: the recorded ledger check on finance's landing page; a talent
manager's eligibility gained and lost this week, score trend and deliverables due."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from agency import roles
from billing.dashboards import finance_panel
from billing.models import LedgerCheck
from billing.tasks import billing_verify_ledger
from campaigns.dashboards import manager_deliverables_panel
from campaigns.models import Deliverable
from creators.dashboards import manager_panel
from creators.models import CreatorPerformance, EligibilityResult, EligibilityRuleSet
from tests.billing.helpers import creator_on_plan
from tests.conftest import staff_login
from tests.factories.agency import StaffUserFactory
from tests.factories.billing import finance_user
from tests.factories.campaigns import DeliverableFactory
from tests.factories.creators import CreatorFactory

pytestmark = pytest.mark.django_db


def _request(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def _card(panel, label):
    return next(card for card in panel.cards if card.label == label)


def _manager(name="mia"):
    user = StaffUserFactory(username=name)
    user.groups.add(Group.objects.get(name=roles.TALENT_MANAGER))
    return user


# --- the ledger check ------------------------------------------------------------------------


def test_finance_sees_that_no_ledger_check_ran_yet():
    card = _card(finance_panel(_request(finance_user("ben"))), "Ledger check")
    assert card.value == "not run yet" and not card.alert


def test_the_nightly_check_is_recorded_and_shown_clean(ingest):
    ingest(creator_on_plan(), gross="100.00")
    assert billing_verify_ledger() == 0
    check = LedgerCheck.objects.get()
    assert check.source == LedgerCheck.Source.NIGHTLY and check.mismatches == []
    card = _card(finance_panel(_request(finance_user("ben"))), "Ledger check")
    assert card.value == "clean" and not card.alert and "Nightly job" in card.note
    assert card.url == reverse("admin:billing_ledgercheck_changelist")


def test_a_mismatch_found_by_the_command_is_recorded_and_shown_as_an_alert(ingest, client):
    ingest(creator_on_plan(), gross="100.00")
    with connection.cursor() as cursor:  # a balance row out of step with its legs
        cursor.execute(
            "UPDATE billing_account SET balance_minor = balance_minor + 1"
            " WHERE kind = 'agency_revenue'"
        )
    with pytest.raises(SystemExit):
        call_command("verify_ledger")
    check = LedgerCheck.objects.get()
    assert check.source == LedgerCheck.Source.COMMAND and check.mismatch_count >= 1
    assert any("account balance differs" in m for m in check.mismatches)
    ben = finance_user("ben")
    card = _card(finance_panel(_request(ben)), "Ledger check")
    assert card.alert and card.value.endswith("mismatch" if check.mismatch_count == 1 else "es")
    assert card.url == reverse("admin:billing_ledgercheck_change", args=[check.pk])

    client = staff_login(client, ben)
    page = client.get(card.url)
    assert page.status_code == 200 and b"account balance differs" in page.content
    assert b"Delete" not in page.content and b'name="_save"' not in page.content
    assert client.get(reverse("admin:billing_ledgercheck_add")).status_code == 403


# --- the talent manager's week ----------------------------------------------------------------


def _result(creator, rule_set, as_of, failures):
    return EligibilityResult.objects.create(
        creator=creator, program=rule_set.program, rule_set=rule_set, as_of=as_of,
        eligible=not failures, failures=failures, computed_at=timezone.now(),
    )  # fmt: skip


def test_eligibility_gained_and_lost_this_week_with_the_reason():
    mia = _manager()
    rule_set = EligibilityRuleSet.objects.select_related("program").order_by("pk").first()
    program = rule_set.program.name
    today = timezone.localdate()
    week_ago, yesterday = today - dt.timedelta(days=8), today - dt.timedelta(days=1)
    short = [{"rule": "min_followers", "message": "needs 2,300 more followers"}]
    gainer, loser, steady, newcomer = (
        CreatorFactory(stage_name=n, talent_manager=mia) for n in ("gina", "lou", "stan", "nina")
    )
    _result(gainer, rule_set, week_ago, short)
    _result(gainer, rule_set, yesterday, [])
    _result(loser, rule_set, week_ago, [])
    _result(loser, rule_set, yesterday, short)
    _result(steady, rule_set, week_ago, [])
    _result(steady, rule_set, yesterday, [])
    _result(newcomer, rule_set, yesterday, [])  # a first result is not a change
    other = CreatorFactory(stage_name="not.mine")
    _result(other, rule_set, week_ago, [])
    _result(other, rule_set, yesterday, short)

    card = _card(manager_panel(_request(mia)), "Eligibility this week")
    assert card.value == "+1 gained, -1 lost" and card.alert
    assert card.items == [
        f"gina now qualifies for {program}",
        f"lou lost {program}: needs 2,300 more followers",
    ]


def test_score_trend_averages_the_roster_per_snapshot_oldest_first():
    mia = _manager()
    first, second = CreatorFactory(talent_manager=mia), CreatorFactory(talent_manager=mia)
    CreatorFactory()  # another manager's creator does not count
    for creator, scores in ((first, ("40", "50")), (second, ("60", "80"))):
        for day, score in zip((dt.date(2026, 11, 1), dt.date(2026, 11, 8)), scores, strict=True):
            CreatorPerformance.objects.create(
                creator=creator,
                as_of=day,
                window_days=28,
                score=Decimal(score),
                computed_at=timezone.now(),
            )
    panel = manager_panel(_request(mia))
    card = _card(panel, "Average score (28 days)")
    assert card.value == "65.0" and card.note == "+15.0 since 01 Nov"
    chart = str(panel.charts[1])
    assert "Average score of your creators" in chart and ">01 Nov<" in chart


def test_deliverables_due_and_overdue_are_the_managers_own():
    mia = _manager()
    today = timezone.localdate()
    mine = CreatorFactory(stage_name="ana", talent_manager=mia)
    late = DeliverableFactory(creator=mine, due_on=today - dt.timedelta(days=2))
    DeliverableFactory(creator=mine, due_on=today + dt.timedelta(days=3))
    DeliverableFactory(
        creator=mine, due_on=today + dt.timedelta(days=1), status=Deliverable.Status.APPROVED
    )
    DeliverableFactory(creator=mine, due_on=today + dt.timedelta(days=30))  # not soon
    DeliverableFactory(due_on=today, creator=CreatorFactory())  # not hers
    panel = manager_deliverables_panel(_request(mia))
    overdue, soon = panel.cards
    assert overdue.value == "1" and overdue.alert
    assert overdue.items == [
        f"ana: video for {late.deal.brand.name}, due {late.due_on:%d %b} (pending)"
    ]
    assert soon.value == "1" and not soon.alert


def test_a_manager_opens_the_program_an_eligibility_result_links_to(client):
    mia = _manager()
    rule_set = EligibilityRuleSet.objects.select_related("program").order_by("pk").first()
    client.force_login(mia)
    url = reverse("admin:creators_eligibilityprogram_change", args=[rule_set.program.pk])
    page = client.get(url)
    assert page.status_code == 200 and rule_set.program.name.encode() in page.content
    assert b'name="_save"' not in page.content  # read-only for managers
    landing = client.get(reverse("admin:index")).content.decode()
    assert "Eligibility this week" in landing and "Deliverables" in landing


# --- a payout on an open statement ------------------------------------------------------------


def test_an_open_statement_shows_a_draft_payout_as_reserved_until_it_is_paid(ingest, client):
    from billing.exports import statement_csv
    from billing.models import Statement, StatementLine
    from billing.services import payouts as svc
    from tests.billing.test_payouts import _payable

    creator = creator_on_plan(streams=["brand_deal"])
    _payable(ingest(creator, gross="1000.00"))
    batch = svc.payout_batch_prepare(currency="USD", prepared_by=finance_user("anna"))
    line = StatementLine.objects.get(kind=StatementLine.Kind.PAYOUT)
    statement = Statement.objects.get(pk=line.statement_id)
    ben = finance_user("ben")
    page = staff_login(client, ben).get(
        reverse("admin:billing_statement_change", args=[statement.pk])
    )
    reserved = f"{line.description} (reserved, awaiting finance approval)"
    assert reserved in page.content.decode()
    assert reserved in statement_csv(statement)

    svc.payout_batch_approve(batch=batch, approved_by=ben)
    payout = batch.payouts.get()
    svc.payout_send(payout_id=payout.pk)
    svc.payout_mark_paid(payout_id=payout.pk)
    csv_text = statement_csv(statement)
    assert f",{line.description}," in csv_text and "reserved" not in csv_text


# --- statement lines say what the money was, never a source id --------------------------------


def test_a_partners_description_is_the_statement_line_and_source_ids_never_show(
    data_partner_client,
):
    from billing.models import StatementLine

    creator = creator_on_plan()
    row = {
        "stream": "live_gifts", "creator_id": creator.pk, "occurred_on": "2025-03-10",
        "gross": "100.00", "currency": "USD", "source_type": "tiktok-live",
    }  # fmt: skip
    body = {
        "events": [
            {**row, "source_id": "9-live_gifts-202503", "description": "LIVE gifts, March 2025"},
            {**row, "source_id": "9-live_gifts-202503b"},
        ]
    }
    response = data_partner_client.post(reverse("revenue-event-list"), body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["events"][0]["description"] == "LIVE gifts, March 2025"
    lines = list(StatementLine.objects.order_by("pk").values_list("description", flat=True))
    assert lines == ["LIVE gifts, March 2025", "LIVE gifts, 10 Mar 2025"]

    too_long = {"events": [{**row, "source_id": "x", "description": "x" * 201}]}
    refused = data_partner_client.post(reverse("revenue-event-list"), too_long, format="json")
    assert refused.status_code == 400 and "description" in str(refused.json())


def test_a_csv_description_column_reaches_the_statement_line():
    from billing.imports import parse_revenue_csv

    creator = creator_on_plan()
    text = (
        "stream,creator_id,occurred_on,gross,currency,source_type,source_id,description\n"
        f"affiliate,{creator.pk},2025-03-10,50.00,USD,shop,o-1,Shop affiliate: running shoes\n"
    )
    (row,) = parse_revenue_csv(text)
    assert row.description == "Shop affiliate: running shoes" and not row.errors


def test_a_paid_deal_reads_as_brand_and_title_on_the_statement():
    from billing.models import StatementLine
    from campaigns.models import DealStatus
    from campaigns.services.deals import deal_revenue_book
    from tests.factories.campaigns import BrandDealFactory, DealCreatorFactory

    creator = creator_on_plan()
    deal = BrandDealFactory(
        title="Spring launch video", status=DealStatus.PAID, paid_on=dt.date(2025, 3, 10)
    )
    DealCreatorFactory(deal=deal, creator=creator)
    deal_revenue_book(deal=deal)
    line = StatementLine.objects.get(event__creator=creator)
    assert line.description == f"{deal.brand.name}: Spring launch video"
