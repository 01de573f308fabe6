"""Management commands: verify_ledger, import_revenue (with approval), import_fx_rates."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from billing.models import Account, ExchangeRate, ImportBatch, RevenueEvent, Statement
from billing.services.events import import_batch_approve
from billing.services.statements import statement_close
from tests.billing.helpers import balance, creator_on_plan
from tests.factories.agency import StaffUserFactory

pytestmark = pytest.mark.django_db


def _verify() -> int:
    try:
        call_command("verify_ledger")
    except SystemExit as exc:
        return exc.code
    return 0


def test_verify_ledger_passes_on_consistent_books(ingest):
    creator = creator_on_plan(manager_share="0.2", sub_agency_share="0.1")
    ingest(creator, gross="123.45", fee="3.21", stream="live_gifts")
    statement_close(creator=creator, period=dt.date(2025, 3, 1))
    assert _verify() == 0


def test_verify_ledger_catches_a_tampered_balance_row(ingest, capsys):
    creator = creator_on_plan()
    ingest(creator, gross="100.00")
    Account.objects.filter(kind="creator_payable").update(balance_minor=1)
    assert _verify() == 1
    assert "account balance differs" in capsys.readouterr().err


def test_verify_ledger_catches_a_planted_unbalanced_leg(ingest, capsys):
    """Switch triggers off inside the test's transaction and edit a leg directly, as
    someone with superuser rights could."""
    creator = creator_on_plan()
    ingest(creator, gross="100.00")
    with connection.cursor() as cur:
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")  # run the checks pending so far
        cur.execute("SET LOCAL session_replication_role = replica")  # triggers off
        cur.execute(
            "UPDATE billing_ledgerleg SET amount_minor = amount_minor + 1 WHERE id = "
            "(SELECT MIN(id) FROM billing_ledgerleg)"
        )
        cur.execute("SET LOCAL session_replication_role = origin")
    assert _verify() == 1
    err = capsys.readouterr().err
    assert "transaction does not balance" in err


def test_verify_ledger_catches_a_tampered_closed_statement(ingest, capsys):
    creator = creator_on_plan()
    ingest(creator, gross="100.00")
    statement = statement_close(creator=creator, period=dt.date(2025, 3, 1))
    with connection.cursor() as cur:
        cur.execute("SET LOCAL session_replication_role = replica")
        cur.execute("UPDATE billing_statement SET closing_minor = 5 WHERE id = %s", [statement.pk])
        cur.execute("SET LOCAL session_replication_role = origin")
    assert _verify() == 1
    assert "closed statement total differs" in capsys.readouterr().err


CSV = """stream,creator_id,occurred_on,gross,platform_fee,currency,source_type,source_id
brand_deal,{c},2025-03-02,1000.00,0,USD,report,r-1
live_gifts,{c},2025-03-03,200.00,100.00,USD,report,r-2
"""


def test_import_revenue_dry_run_then_batch_then_approval(tmp_path, capsys):
    creator = creator_on_plan()
    path = tmp_path / "report.csv"
    path.write_text(CSV.format(c=creator.pk))
    call_command("import_revenue", str(path), "--dry-run")
    assert "2 new events" in capsys.readouterr().out
    assert not RevenueEvent.objects.exists()

    call_command("import_revenue", str(path))
    batch = ImportBatch.objects.get()
    assert batch.events.count() == 2 and batch.status == "pending"
    assert balance(Account.Kind.CREATOR_PAYABLE, "USD", creator=creator) == 0  # not posted

    import_batch_approve(batch=batch, approved_by=StaffUserFactory())
    import_batch_approve(batch=batch, approved_by=StaffUserFactory())  # twice: posts once
    # 1,000.00 at 20 % -> 800.00; 200.00 gifts, fee 100.00, 20 % of gross 40.00 -> 60.00
    assert balance(Account.Kind.CREATOR_PAYABLE, "USD", creator=creator) == 86000
    assert Statement.objects.get(creator=creator).lines.count() == 2

    call_command("import_revenue", str(path))  # the same report again: a no-op
    assert "0 new events" in capsys.readouterr().out
    assert RevenueEvent.objects.count() == 2


def test_import_revenue_reports_every_bad_row_and_writes_nothing(tmp_path, capsys):
    creator = creator_on_plan()
    path = tmp_path / "bad.csv"
    path.write_text(
        "stream,creator_id,occurred_on,gross,currency,source_type,source_id\n"
        f"brand_deal,{creator.pk},2025-03-02,10.00,USD,r,a\n"
        f"nonsense,{creator.pk},2025-03-02,10.00,USD,r,b\n"
        f"brand_deal,{creator.pk},03/02/2025,10.00,USD,r,c\n"
        f"brand_deal,{creator.pk},2025-03-02,10.001,USD,r,d\n"
        f"brand_deal,{creator.pk},2025-03-02,10.00,XXX,r,e\n"
    )
    with pytest.raises(CommandError, match="4 of 5 rows are invalid"):
        call_command("import_revenue", str(path))
    err = capsys.readouterr().err
    for expected in ("row 1: stream", "row 2: occurred_on", "row 3: gross", "row 4: currency"):
        assert expected in err
    assert not ImportBatch.objects.exists() and not RevenueEvent.objects.exists()


def test_import_revenue_refuses_a_malformed_file(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("just,some,columns\n1,2,3\n")
    with pytest.raises(CommandError, match="Missing columns"):
        call_command("import_revenue", str(path))


def test_import_fx_rates(tmp_path):
    path = tmp_path / "rates.csv"
    path.write_text(
        "base,quote,valid_on,rate\nEUR,USD,2025-03-03,1.0812\nUSD,JPY,2025-03-03,149.5\n"
    )
    call_command("import_fx_rates", str(path))
    call_command("import_fx_rates", str(path))  # idempotent upsert
    assert ExchangeRate.objects.count() == 2
    assert ExchangeRate.objects.get(base="EUR").rate == Decimal("1.0812")
    path.write_text("base,quote,valid_on,rate\nEUR,EUR,2025-03-03,1\n")
    with pytest.raises(CommandError):
        call_command("import_fx_rates", str(path))


def test_rejected_import_drops_its_events_so_a_fixed_file_can_be_imported(tmp_path):
    from billing.services.events import import_batch_reject

    creator = creator_on_plan()
    path = tmp_path / "report.csv"
    path.write_text(CSV.format(c=creator.pk))
    call_command("import_revenue", str(path))
    batch = ImportBatch.objects.get()
    import_batch_reject(batch=batch)
    assert not RevenueEvent.objects.exists()
    call_command("import_revenue", str(path))
    assert ImportBatch.objects.filter(status="pending").get().events.count() == 2


def test_import_revenue_rejects_non_numbers_without_crashing(tmp_path, capsys):
    creator = creator_on_plan()
    path = tmp_path / "odd.csv"
    path.write_text(
        "stream,creator_id,occurred_on,gross,currency,source_type,source_id\n"
        f"brand_deal,{creator.pk},2025-03-02,Infinity,USD,r,a\n"
        f"brand_deal,{creator.pk},2025-03-02,12abc,USD,r,b\n"
        f"brand_deal,{creator.pk},2025-03-02,1e20,USD,r,c\n"
        f"brand_deal,x,2025-03-02,1,USD,r,d\n"
    )
    with pytest.raises(CommandError, match="4 of 4 rows are invalid"):
        call_command("import_revenue", str(path))
    err = capsys.readouterr().err
    assert "row 0: gross: Not a decimal amount." in err
    assert "row 1: gross: Not a decimal amount." in err
    assert "row 2: gross: Too large." in err
    assert "row 3: creator_id: Not an integer." in err


def test_import_revenue_refuses_a_file_that_is_not_utf8(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("stream,creator_id\nbrand_deal,caf\xe9\n".encode("latin-1"))
    with pytest.raises(CommandError):
        call_command("import_revenue", str(path))


def test_verify_ledger_catches_a_split_that_disagrees_with_the_payables(ingest, capsys):
    creator = creator_on_plan(manager_share="0.25", sub_agency_share="0.25")
    ingest(creator, gross="100.00")
    with connection.cursor() as cur:
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cur.execute("SET LOCAL session_replication_role = replica")
        cur.execute(
            "UPDATE billing_revenuesplit SET sub_agency_minor = sub_agency_minor - 1,"
            " agency_minor = agency_minor + 1"
        )
        cur.execute("SET LOCAL session_replication_role = origin")
    assert _verify() == 1
    err = capsys.readouterr().err
    assert "sub-agency payable differs" in err and "agency revenue differs" in err


REVENUE_HEADER = "stream,creator_id,occurred_on,gross,currency,source_type,source_id\n"


def test_import_revenue_names_a_nul_character_and_writes_nothing(tmp_path, capsys):
    creator = creator_on_plan()
    path = tmp_path / "nul.csv"
    path.write_text(
        REVENUE_HEADER
        + f"brand_deal,{creator.pk},2025-03-02,10.00,USD,r,a\n"
        + f"brand_deal,{creator.pk},2025-03-02,10.00,USD,r,b\x00\n"
    )
    with pytest.raises(CommandError, match="1 of 2 rows are invalid"):
        call_command("import_revenue", str(path))
    assert "row 1: source_id: NUL characters are not allowed." in capsys.readouterr().err
    assert not ImportBatch.objects.exists() and not RevenueEvent.objects.exists()


def test_import_revenue_refuses_dates_outside_the_plausible_range(tmp_path, capsys):
    creator = creator_on_plan(starts_on=dt.date(1, 1, 1))
    path = tmp_path / "old.csv"
    path.write_text(REVENUE_HEADER + f"brand_deal,{creator.pk},0001-01-01,10.00,USD,r,a\n")
    with pytest.raises(CommandError, match="1 of 1 rows are invalid"):
        call_command("import_revenue", str(path))
    assert "row 0: occurred_on: Must be between 2000-01-01" in capsys.readouterr().err
    assert not RevenueEvent.objects.exists()


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("EUR,USD,0001-01-01,1.08", "Row 0: valid_on: Must be between 2000-01-01"),
        ("EUR,US\x00D,2025-03-03,1.08", "Row 0: quote: NUL characters are not allowed."),
    ],
)
def test_import_fx_rates_refuses_implausible_dates_and_nul_characters(tmp_path, row, message):
    path = tmp_path / "rates.csv"
    path.write_text(f"base,quote,valid_on,rate\n{row}\n")
    with pytest.raises(CommandError, match=message):
        call_command("import_fx_rates", str(path))
    assert not ExchangeRate.objects.exists()
