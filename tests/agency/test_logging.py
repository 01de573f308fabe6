"""Structured logs: a request id on every line, and never a secret."""

import json
import logging

import pytest
import structlog

from agency.logging import logging_dict, redact_secrets

pytestmark = pytest.mark.django_db


def test_redaction_drops_secret_keys_and_key_shaped_values():
    key = "AbCdEfGh.0123456789abcdefghijABCDEFGHIJ01"
    event = redact_secrets(
        None,
        "info",
        {
            "event": f"got header Api-Key {key}",
            "headers": {"Authorization": f"Api-Key {key}", "Accept": "json"},
            "password": "hunter2",
            "items": [key],
        },
    )
    dumped = json.dumps(event)
    assert key not in dumped and "hunter2" not in dumped
    assert event["headers"]["Accept"] == "json"


def test_request_logs_carry_request_id_and_no_key(brand_client, caplog, capsys):
    config = logging_dict(level="INFO", json=True)
    logging.config.dictConfig(config)
    try:
        response = brand_client.get("/api/v1/me/", HTTP_X_REQUEST_ID="req-abc-123")
        assert response.status_code == 200
        structlog.get_logger("test").info("after request", api_key=brand_client.key)
        captured = capsys.readouterr().err
    finally:
        from django.conf import settings

        logging.config.dictConfig(settings.LOGGING)
    lines = [json.loads(line) for line in captured.splitlines() if line.startswith("{")]
    request_lines = [line for line in lines if line.get("event", "").startswith("request_")]
    assert request_lines, captured
    assert all(line.get("request_id") == "req-abc-123" for line in request_lines)
    assert brand_client.key not in captured
    assert brand_client.key.split(".")[1] not in captured


def test_error_body_carries_the_request_id(client):
    response = client.get("/api/v1/me/", HTTP_X_REQUEST_ID="req-err-9")
    assert response.status_code == 401
    assert response.json()["error"]["request_id"] == "req-err-9"
