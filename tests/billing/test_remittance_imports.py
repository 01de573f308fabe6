"""Settlement reports (CSV): the command, all or nothing, line numbers, dry run, re-upload."""

import datetime as dt

import pytest
from django.core.management import CommandError, call_command

from billing.models import Account, Remittance
from billing.verification import ledger_verify
from tests.billing.helpers import balance, creator_on_plan

pytestmark = pytest.mark.django_db

HEADER = "reference,payer,currency,received_on,period_start,period_end,stream,amount,fee_withheld,creator_id,external_id\n"  # noqa: E501


def _report(tmp_path, *rows: str):
    path = tmp_path / "settlement.csv"
    path.write_text(HEADER + "".join(f"{row}\n" for row in rows))
    return path


def _two_remittances(creator, order, gifts_period=("2025-03-01", "2025-03-31")):
    start, end = gifts_period
    return [
        f"SHOP-1,TikTok Shop,USD,2025-04-20,2025-03-01,2025-03-31,affiliate,100.00,5.00,,{order.source_id}",  # noqa: E501
        f"LIVE-1,TikTok LIVE,USD,2025-04-21,{start},{end},live_gifts,200.00,0,{creator.pk},",
    ]


def test_a_report_records_one_remittance_per_reference_and_matches_them(ingest, tmp_path, capsys):
    creator = creator_on_plan(streams=["affiliate", "live_gifts"])
    order = ingest(creator, stream="affiliate", gross="100.00", on=dt.date(2025, 3, 3))
    ingest(creator, stream="live_gifts", gross="120.00", on=dt.date(2025, 3, 9))
    ingest(creator, stream="live_gifts", gross="80.00", on=dt.date(2025, 3, 19))
    path = _report(tmp_path, *_two_remittances(creator, order))

    call_command("import_remittances", str(path), "--dry-run")
    assert "Dry run: 2 new remittances" in capsys.readouterr().out
    assert not Remittance.objects.exists()

    call_command("import_remittances", str(path))
    assert "Recorded 2 remittances" in capsys.readouterr().out
    shop = Remittance.objects.get(reference="SHOP-1")
    assert (shop.amount_minor, shop.fee_withheld_minor) == (9500, 500)
    assert shop.source == "csv" and shop.filename == "settlement.csv"
    assert set(Remittance.objects.values_list("status", flat=True)) == {"matched"}
    assert balance(Account.Kind.PLATFORM_FEES, "USD") == -500

    call_command("import_remittances", str(path))  # the same file again
    assert "Recorded 0 remittances, 2 already recorded" in capsys.readouterr().out
    assert Remittance.objects.count() == 2
    assert ledger_verify() == []


def test_every_bad_row_is_reported_by_line_and_nothing_is_written(ingest, tmp_path, capsys):
    creator = creator_on_plan(streams=["affiliate", "live_gifts"])
    order = ingest(creator, stream="affiliate", gross="100.00", on=dt.date(2025, 3, 3))
    good = _two_remittances(creator, order)
    path = _report(
        tmp_path,
        *good,
        f"LIVE-1,TikTok LIVE,USD,2025-04-22,2025-03-01,2025-03-31,live_gifts,5.00,0,{creator.pk},",
        "BAD-1,TikTok,USD,someday,2025-03-01,2025-03-31,affiliate,1.00,0,,x",
        "BAD-2,TikTok,USD,2025-04-20,2025-03-01,2025-03-31,affiliate,abc,0,x,",
    )
    with pytest.raises(CommandError, match="3 of 5 rows are invalid"):
        call_command("import_remittances", str(path))
    err = capsys.readouterr().err
    assert "line 4 (row 2): received_on: Differs from line 3." in err
    assert "line 5 (row 3): received_on: Not a date (YYYY-MM-DD)." in err
    assert "line 6 (row 4): creator_id: Not an id." in err
    assert "line 6 (row 4): amount: Not a decimal amount." in err
    assert not any(line.startswith(("line 2 ", "line 3 ")) for line in err.splitlines())
    assert not Remittance.objects.exists()
    assert balance(Account.Kind.CASH, "USD") == 0


def test_a_file_without_the_columns_is_refused(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("reference,amount\nR,1\n")
    with pytest.raises(CommandError, match="Missing columns: payer"):
        call_command("import_remittances", str(path))
