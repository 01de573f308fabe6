"""Remittances: recording, matching to events, pay-when-paid, fees and FX to their accounts."""

import datetime as dt
from decimal import Decimal

import pytest

from agency.errors import ApplicationError
from agency.models import Partner
from billing import tasks
from billing.models import Account, Remittance, RemittanceLine, RevenueEvent
from billing.services import payouts as payout_svc
from billing.services.events import RowErrors, revenue_events_lock_due
from billing.services.remittance_matching import remittances_match_open
from billing.services.remittances import RemittanceInput, RemittanceLineInput, remittances_record
from billing.verification import ledger_verify
from tests.billing.helpers import ALL_STREAMS, balance, creator_on_plan
from tests.factories.agency import PartnerFactory, StaffUserFactory
from tests.factories.billing import ExchangeRateFactory, finance_user

pytestmark = pytest.mark.django_db

MARCH = (dt.date(2025, 3, 1), dt.date(2025, 3, 31))


def remittance(*lines, reference="R-1", amount=None, fee="0", currency="USD", **kw):
    """A remittance received on 2025-04-20 for March; its amount is the lines' total less fees."""
    if amount is None:
        total = sum(Decimal(line.amount) for line in lines)
        amount = str(total - Decimal(fee))
    return RemittanceInput(
        payer=kw.pop("payer", "TikTok"),
        reference=reference,
        currency=currency,
        amount=amount,
        fee_withheld=fee,
        period_start=kw.pop("period_start", MARCH[0]),
        period_end=kw.pop("period_end", MARCH[1]),
        received_on=kw.pop("received_on", dt.date(2025, 4, 20)),
        lines=list(lines),
    )


def line(stream="affiliate", amount="100.00", *, event=None, creator=None, **kw):
    return RemittanceLineInput(
        stream=stream,
        amount=amount,
        external_id=event.source_id if event is not None else kw.pop("external_id", ""),
        creator_id=creator.pk if creator is not None else None,
    )


def record(*remittances, **kw):
    kw.setdefault("source", Remittance.Source.API)
    return remittances_record(remittances=list(remittances), **kw)


@pytest.mark.parametrize("stream", ALL_STREAMS)
def test_every_stream_pays_its_creator_once_the_remittance_matches(ingest, stream):
    creator = creator_on_plan(streams=[stream], rate="0.20")
    event = ingest(creator, stream=stream, gross="500.00", fee="100.00", on=dt.date(2025, 3, 5))
    revenue_events_lock_due(today=event.locks_on)
    event.refresh_from_db()
    assert event.status == "locked"  # every hold policy waits for the cash
    assert payout_svc.payout_batch_prepare(currency="USD", prepared_by=finance_user("a")) is None

    result = record(remittance(line(stream, "400.00", event=event)))
    rem = result.created[0]
    assert rem.status == Remittance.Status.MATCHED
    event.refresh_from_db()
    assert event.status == "payable" and event.cash_received_on == dt.date(2025, 4, 20)

    maker, checker = finance_user("maker"), finance_user("checker")
    batch = payout_svc.payout_batch_prepare(currency="USD", prepared_by=maker)
    payout = batch.payouts.get()
    creator_share = payout.amount_minor
    assert payout.creator_id == creator.pk and creator_share > 0
    payout_svc.payout_batch_approve(batch=batch, approved_by=checker)
    payout_svc.payout_send(payout_id=payout.pk)
    payout_svc.payout_mark_paid(payout_id=payout.pk)
    event.refresh_from_db()
    assert event.status == "paid"
    assert balance(Account.Kind.CREATOR_PAYABLE, "USD", creator=creator) == 0
    assert balance(Account.Kind.UNMATCHED_REMITTANCES, "USD") == 0
    assert balance(Account.Kind.CASH, "USD") == -40000 + creator_share  # in 400, out the share
    assert ledger_verify() == []


def test_fees_withheld_post_to_their_own_account(ingest):
    creator = creator_on_plan(streams=["live_gifts"])
    event = ingest(creator, stream="live_gifts", gross="300.00", on=dt.date(2025, 3, 5))
    rem = record(remittance(line("live_gifts", "300.00", event=event), fee="12.50")).created[0]
    assert rem.amount_minor == 28750 and rem.status == Remittance.Status.MATCHED
    assert balance(Account.Kind.PLATFORM_FEES, "USD") == -1250  # a debit: an expense
    assert balance(Account.Kind.CASH, "USD") == -28750
    assert balance(Account.Kind.PLATFORM_RECEIVABLE, "USD") == 0
    assert ledger_verify() == []


def test_a_line_that_matches_nothing_stays_unmatched_until_its_event_arrives(ingest):
    creator = creator_on_plan(streams=["affiliate"])
    known = ingest(creator, stream="affiliate", gross="100.00", on=dt.date(2025, 3, 5))
    rem = record(
        remittance(
            line("affiliate", "100.00", event=known),
            line("affiliate", "40.00", external_id="order-77"),
        )
    ).created[0]
    assert rem.status == Remittance.Status.PARTLY_MATCHED
    late = rem.lines.get(line_no=2)
    assert late.status == "unmatched" and "external id" in late.note
    assert balance(Account.Kind.UNMATCHED_REMITTANCES, "USD") == 4000

    ingest(creator, stream="affiliate", gross="40.00", source_id="order-77")
    assert remittances_match_open() == 1
    rem.refresh_from_db()
    assert rem.status == Remittance.Status.MATCHED
    assert balance(Account.Kind.UNMATCHED_REMITTANCES, "USD") == 0
    assert remittances_match_open() == 0  # nothing is paid twice
    assert ledger_verify() == []


def test_a_short_payment_marks_nothing_paid_and_shows_the_difference(ingest):
    creator = creator_on_plan(streams=["creator_fund"])
    event = ingest(creator, stream="creator_fund", gross="200.00", on=dt.date(2025, 3, 5))
    rem = record(remittance(line("creator_fund", "150.00", event=event))).created[0]
    short = rem.lines.get()
    assert short.status == "short" and short.expected_minor == 20000
    assert short.difference_minor == -5000 and short.applied_minor == 0
    assert rem.status == Remittance.Status.UNMATCHED
    event.refresh_from_db()
    assert event.cash_received_on is None
    assert balance(Account.Kind.UNMATCHED_REMITTANCES, "USD") == 15000
    assert ledger_verify() == []


def test_an_overpayment_pays_the_events_and_keeps_the_excess_unmatched(ingest):
    creator = creator_on_plan(streams=["affiliate"])
    event = ingest(creator, stream="affiliate", gross="100.00", on=dt.date(2025, 3, 5))
    rem = record(remittance(line("affiliate", "110.00", event=event))).created[0]
    paid = rem.lines.get()
    assert paid.status == "matched" and paid.applied_minor == 10000
    assert "10.00 settled above" in paid.note
    assert rem.status == Remittance.Status.PARTLY_MATCHED
    assert balance(Account.Kind.UNMATCHED_REMITTANCES, "USD") == 1000
    assert balance(Account.Kind.FX_DIFFERENCE, "USD") == 0


def test_a_creators_period_is_matched_net_of_its_refunds(ingest):
    creator = creator_on_plan(streams=["live_commerce"])
    first = ingest(creator, stream="live_commerce", gross="100.00", on=dt.date(2025, 3, 5))
    ingest(creator, stream="live_commerce", gross="50.00", on=dt.date(2025, 3, 20))
    ingest(creator, stream="live_commerce", gross="50.00", on=dt.date(2025, 4, 2))  # April
    ingest(
        creator,
        stream="live_commerce",
        gross="30.00",
        kind="refund",
        refund_of=first,
        on=dt.date(2025, 3, 25),
    )
    rem = record(remittance(line("live_commerce", "120.00", creator=creator))).created[0]
    assert rem.status == Remittance.Status.MATCHED
    matched = rem.lines.get()
    assert matched.expected_minor == 12000 and matched.matches.count() == 3
    march = RevenueEvent.objects.filter(kind="sale", occurred_on__month=3)
    assert all(e.cash_received_on == dt.date(2025, 4, 20) for e in march)
    april = RevenueEvent.objects.get(occurred_on__month=4)
    assert april.cash_received_on is None
    assert balance(Account.Kind.PLATFORM_RECEIVABLE, "USD") == -5000  # only April is owed
    assert ledger_verify() == []


def test_a_remittance_in_another_currency_books_the_fx_difference(ingest):
    creator = creator_on_plan(streams=["live_gifts"])
    event = ingest(creator, stream="live_gifts", gross="100.00", on=dt.date(2025, 3, 5))
    ExchangeRateFactory(base="USD", quote="CNY", valid_on=dt.date(2025, 4, 18), rate="7.2")
    rem = record(
        remittance(line("live_gifts", "715.00", event=event), currency="CNY", reference="CN-1")
    ).created[0]
    matched = rem.lines.get()
    assert matched.expected_minor == 72000 and matched.applied_minor == 71500
    assert rem.status == Remittance.Status.MATCHED
    assert balance(Account.Kind.FX_DIFFERENCE, "CNY") == -500  # a loss of 5.00 CNY
    assert balance(Account.Kind.CASH, "CNY") == -71500
    assert balance(Account.Kind.CASH, "USD") == 0  # the cash arrived in CNY
    assert balance(Account.Kind.PLATFORM_RECEIVABLE, "USD") == 0
    event.refresh_from_db()
    assert event.cash_received_on is not None
    assert ledger_verify() == []


def test_an_fx_difference_beyond_the_tolerance_is_a_short_payment(ingest):
    creator = creator_on_plan(streams=["live_gifts"])
    event = ingest(creator, stream="live_gifts", gross="100.00", on=dt.date(2025, 3, 5))
    ExchangeRateFactory(base="USD", quote="CNY", valid_on=dt.date(2025, 4, 18), rate="7.2")
    rem = record(remittance(line("live_gifts", "690.00", event=event), currency="CNY")).created[0]
    assert rem.lines.get().status == "short"  # 4.2 % below, the tolerance is 2 %


def test_a_missing_rate_leaves_the_line_open_with_the_reason(ingest):
    creator = creator_on_plan(streams=["live_gifts"])
    event = ingest(creator, stream="live_gifts", gross="100.00", on=dt.date(2025, 3, 5))
    rem = record(remittance(line("live_gifts", "720.00", event=event), currency="CNY")).created[0]
    open_line = rem.lines.get()
    assert open_line.status == "unmatched" and "No USD/CNY exchange rate" in open_line.note
    ExchangeRateFactory(base="USD", quote="CNY", valid_on=dt.date(2025, 4, 18), rate="7.2")
    assert remittances_match_open() == 1


def test_bad_remittances_write_nothing_and_every_bad_one_is_reported(ingest):
    creator = creator_on_plan(streams=["affiliate"])
    event = ingest(creator, stream="affiliate", gross="100.00", on=dt.date(2025, 3, 5))
    good = remittance(line("affiliate", "100.00", event=event), reference="OK")
    future = remittance(
        line("affiliate", "1.00", external_id="x"),
        reference="F",
        received_on=dt.date(2999, 1, 1),
    )
    lines_bad = remittance(
        line("nope", "1.00", external_id="x"),
        RemittanceLineInput(stream="affiliate", amount="1.001"),
        RemittanceLineInput(stream="affiliate", amount="1.00", creator_id=999999),
        reference="L",
    )
    too_much = remittance(line("affiliate", "50.00", external_id="y"), amount="10", reference="M")
    with pytest.raises(RowErrors) as caught:
        record(good, future, lines_bad, too_much)
    rows = caught.value.extra["rows"]
    assert set(rows) == {"1", "2", "3"}
    assert rows["1"] == {"received_on": ["Must not be in the future."]}
    assert rows["2"]["lines"]["0"] == {"stream": ["Unknown stream 'nope'."]}
    assert set(rows["2"]["lines"]["1"]) == {"external_id", "amount"}
    assert rows["2"]["lines"]["2"] == {"creator_id": ["Unknown creator."]}
    assert "more than the amount" in rows["3"]["lines"][0]
    assert not Remittance.objects.exists()


def test_a_known_reference_is_a_no_op_and_another_amount_under_it_an_error(ingest):
    creator = creator_on_plan(streams=["affiliate"])
    event = ingest(creator, stream="affiliate", gross="100.00", on=dt.date(2025, 3, 5))
    first = record(remittance(line("affiliate", "100.00", event=event))).created[0]
    again = record(remittance(line("affiliate", "100.00", event=event)))
    assert again.created == [] and again.known == [first]
    with pytest.raises(RowErrors) as caught:
        record(remittance(line("affiliate", "90.00", event=event)))
    assert "another currency or amount" in caught.value.extra["rows"]["0"]["reference"][0]
    assert Remittance.objects.count() == 1


def test_a_dry_run_writes_nothing(ingest):
    creator = creator_on_plan(streams=["affiliate"])
    event = ingest(creator, stream="affiliate", gross="100.00", on=dt.date(2025, 3, 5))
    result = record(remittance(line("affiliate", "100.00", event=event)), dry_run=True)
    assert result.new == 1 and result.created == []
    assert not Remittance.objects.exists() and balance(Account.Kind.CASH, "USD") == 0


def test_a_partners_remittance_never_pays_another_partners_events(ingest):
    creator = creator_on_plan(streams=["affiliate"])
    ours, theirs = (PartnerFactory(kind=Partner.Kind.DATA_PARTNER) for _ in range(2))
    event = ingest(creator, stream="affiliate", gross="100.00", on=dt.date(2025, 3, 5))
    RevenueEvent.objects.filter(pk=event.pk).update(partner=theirs)
    rem = record(remittance(line("affiliate", "100.00", event=event)), partner=ours).created[0]
    assert rem.lines.get().status == RemittanceLine.Status.UNMATCHED


def test_staff_record_remittances_only_in_the_finance_group(ingest):
    with pytest.raises(ApplicationError, match="finance"):
        record(
            remittance(line("affiliate", "1.00", external_id="x")),
            recorded_by=StaffUserFactory(),
            source=Remittance.Source.ADMIN,
        )


def test_the_hourly_job_matches_lines_whose_events_arrived(ingest):
    creator = creator_on_plan(streams=["creator_fund"])
    rem = record(remittance(line("creator_fund", "20.00", external_id="rpm-3"))).created[0]
    assert tasks.billing_match_open_remittances() == 0
    ingest(creator, stream="creator_fund", gross="20.00", source_id="rpm-3")
    assert tasks.billing_match_open_remittances() == 1
    assert tasks.billing_match_open_remittances() == 0
    rem.refresh_from_db()
    assert rem.status == Remittance.Status.MATCHED


def test_texts_longer_than_their_columns_are_refused_not_a_server_error():
    long = remittance(line("affiliate", "1.00", external_id="x" * 101), reference="R" * 101)
    long.payer = "P" * 101
    with pytest.raises(RowErrors) as caught:
        record(long)
    errors = caught.value.extra["rows"]["0"]
    assert errors["payer"] == errors["reference"] == ["At most 100 characters."]
    assert errors["lines"]["0"]["external_id"] == ["At most 100 characters."]
