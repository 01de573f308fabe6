"""A worker that fails says why: the test shows its output, never a silent timeout."""

import pytest

from tests.integration.conftest import start_worker, wait_until

pytestmark = pytest.mark.integration


def test_a_worker_that_cannot_start_fails_the_test_with_its_output(django_db_setup):
    with pytest.raises(pytest.fail.Exception) as failure:
        start_worker(queues=["it-broken"], extra_env={"DJANGO_SETTINGS_MODULE": "no.such"})
    message = str(failure.value)
    assert "The worker exited with" in message
    assert "No module named 'no'" in message  # the worker's own traceback


def test_a_wait_past_its_deadline_reports_the_state_and_the_workers_output(django_db_setup):
    worker = start_worker(queues=["it-idle"])
    try:
        with pytest.raises(pytest.fail.Exception) as failure:
            wait_until(lambda: False, describe=lambda: "run 7 is 'running'", timeout=1)
    finally:
        worker.stop()
    message = str(failure.value)
    assert "not done after 1 s: run 7 is 'running'" in message
    assert f"--- worker {worker.hostname} ---" in message and "ready" in message
