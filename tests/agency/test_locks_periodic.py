"""One advisory-lock key scheme, one periodic-task wrapper (lock, today, retry)."""

import datetime as dt
import threading

import pytest
from django.db import OperationalError, connection, transaction

from agency.locks import advisory_locks, lock_key, try_advisory_lock
from agency.months import month_bounds, next_month, previous_month
from agency.periodic import periodic_task, today_from
from billing import tasks as billing_tasks
from campaigns import tasks as campaigns_tasks


def test_one_key_scheme_names_apart():
    assert lock_key("billing", "x") == lock_key("billing", "x")
    assert lock_key("billing", "x") != lock_key("campaigns", "x")
    assert -(2**63) <= lock_key("statement_close", 7) < 2**63


def test_today_is_the_given_iso_day_or_the_local_date():
    assert today_from("2025-04-02") == dt.date(2025, 4, 2)
    assert today_from(dt.date(2025, 4, 2)) == dt.date(2025, 4, 2)
    assert isinstance(today_from(None), dt.date)


def test_months():
    assert month_bounds(dt.date(2024, 2, 29)) == (dt.date(2024, 2, 1), dt.date(2024, 3, 1))
    assert next_month(dt.date(2025, 12, 31)) == dt.date(2026, 1, 1)
    assert previous_month(dt.date(2025, 1, 15)) == dt.date(2024, 12, 1)


def test_every_periodic_job_is_acks_late_and_retries_database_errors():
    for task in (
        billing_tasks.billing_lock_due_events,
        billing_tasks.billing_close_due_statements,
        billing_tasks.billing_prepare_payout_batches,
        billing_tasks.billing_match_open_remittances,
        campaigns_tasks.campaigns_flag_overdue_invoices,
        campaigns_tasks.campaigns_settle_due_affiliate_orders,
        campaigns_tasks.campaigns_close_last_month,
    ):
        assert task.acks_late and OperationalError in task.autoretry_for, task.name
        assert task.name == f"{task.__module__}.{task.__name__}"


@pytest.mark.django_db(transaction=True)
def test_a_second_run_while_the_first_holds_the_lock_is_skipped():
    calls = []

    @periodic_task(queue="default", lock=("tests", "job"), skipped="skipped")
    def job(today: dt.date) -> str:
        calls.append(today)
        return "ran"

    holding, release = threading.Event(), threading.Event()

    def hold():
        with transaction.atomic():
            assert try_advisory_lock("tests", "job")
            holding.set()
            release.wait(5)
        connection.close()

    thread = threading.Thread(target=hold)
    thread.start()
    holding.wait(5)
    try:
        assert job("2025-01-31") == "skipped"
    finally:
        release.set()
        thread.join()
    assert job("2025-01-31") == "ran" and calls == [dt.date(2025, 1, 31)]


@pytest.mark.django_db
def test_many_locks_in_one_statement():
    with transaction.atomic():
        advisory_locks("statement_close", [3, 1, 2, 3])
