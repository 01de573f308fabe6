"""Webhooks: Standard Webhooks signatures, delivery to a real HTTP server, backoff, give-up,
replay, and partner scoping."""

import json
import socket
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import requests
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from standardwebhooks import Webhook

from agency import webhooks
from agency.models import WebhookDelivery, WebhookEndpoint
from agency.tasks import webhook_deliver, webhook_deliveries_retry_due
from agency.webhooks.signing import webhook_secret_new

pytestmark = pytest.mark.django_db


class Receiver:
    """A real HTTP server on loopback that records requests and answers a chosen status."""

    def __init__(self):
        self.requests: list[tuple[dict, bytes]] = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((dict(self.headers), body))
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def test_signature_round_trip_and_tampering():
    secret, other = webhook_secret_new(), webhook_secret_new()
    body = b'{"a":1}'
    now = int(time.time())
    headers = webhooks.webhook_headers(secret=secret, msg_id="msg_1", body=body, timestamp=now)
    verify = webhooks.webhook_signature_verify
    assert verify(secret=secret, body=body, headers=headers)
    assert not verify(secret=secret, body=b'{"a":2}', headers=headers)
    assert not verify(secret=other, body=body, headers=headers)
    stale = webhooks.webhook_headers(secret=secret, msg_id="msg_1", body=body, timestamp=now - 301)
    assert not verify(secret=secret, body=body, headers=stale)
    assert not verify(secret=secret, body=body, headers={**headers, "webhook-signature": "v1,x"})
    # what a partner's receiver does with the library itself
    assert Webhook(secret).verify(body, headers) == {"a": 1}


def test_event_is_delivered_signed_to_a_real_server(
    brand_client, receiver, django_capture_on_commit_callbacks
):
    endpoint = webhooks.webhook_endpoint_create(partner=brand_client.partner, url=receiver.url)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        deliveries = webhooks.webhook_event_emit(
            partner=brand_client.partner, event_type="deal.updated", data={"deal": 7}
        )
    assert len(deliveries) == 1 and len(callbacks) == 1  # enqueued on commit only
    webhook_deliver(deliveries[0].pk)  # the task, called as a plain function

    headers, body = receiver.requests[0]
    assert webhooks.webhook_signature_verify(secret=endpoint.secret, body=body, headers=headers)
    assert headers["webhook-id"] == json.loads(body)["id"]
    payload = json.loads(body)
    assert payload["type"] == "deal.updated" and payload["data"] == {"deal": 7}
    assert headers["X-MCN-Event"] == "deal.updated"
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "succeeded" and delivery.attempts == 1
    # Running the task again sends nothing more.
    webhook_deliver(delivery.pk)
    assert len(receiver.requests) == 1


def test_only_active_subscribed_endpoints_of_that_partner_get_the_event(
    brand_client, other_brand_client, receiver
):
    mine = webhooks.webhook_endpoint_create(partner=brand_client.partner, url=receiver.url)
    webhooks.webhook_endpoint_create(
        partner=brand_client.partner, url=receiver.url, event_types=["invoice.created"]
    )
    off = webhooks.webhook_endpoint_create(partner=brand_client.partner, url=receiver.url)
    webhooks.webhook_endpoint_deactivate(endpoint=off)
    webhooks.webhook_endpoint_create(partner=other_brand_client.partner, url=receiver.url)
    deliveries = webhooks.webhook_event_emit(
        partner=brand_client.partner, event_type="deal.updated", data={}
    )
    assert [d.endpoint_id for d in deliveries] == [mine.pk]


def test_same_event_id_is_queued_once(brand_client, receiver):
    webhooks.webhook_endpoint_create(partner=brand_client.partner, url=receiver.url)
    first = webhooks.webhook_event_emit(partner=brand_client.partner, event_type="x", data={})
    webhooks.webhook_event_emit(
        partner=brand_client.partner, event_type="x", data={}, event_id=first[0].event_id
    )
    assert WebhookDelivery.objects.count() == 1


def test_failures_back_off_exponentially_then_give_up(settings, brand_client, receiver):
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    receiver.status = 503
    webhooks.webhook_endpoint_create(partner=brand_client.partner, url=receiver.url)
    (delivery,) = webhooks.webhook_event_emit(partner=brand_client.partner, event_type="x", data={})
    waits = []
    for _ in range(3):
        before = timezone.now()
        webhook_deliver(delivery.pk)
        delivery.refresh_from_db()
        if delivery.next_attempt_at:
            waits.append(delivery.next_attempt_at - before)
            # Not due yet: the poller leaves it alone; once due, the poller picks it.
            assert delivery.pk not in webhooks.webhook_deliveries_due()
            WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    assert delivery.status == "failed" and delivery.attempts == 3
    assert delivery.last_status_code == 503
    assert len(receiver.requests) == 3
    assert timedelta(seconds=15) <= waits[0] <= timedelta(seconds=31)
    assert timedelta(seconds=30) <= waits[1] <= timedelta(seconds=61)


def test_poller_enqueues_due_deliveries(monkeypatch, brand_client, receiver):
    sent = []
    monkeypatch.setattr(webhook_deliver, "delay", lambda delivery_id: sent.append(delivery_id))
    webhooks.webhook_endpoint_create(partner=brand_client.partner, url=receiver.url)
    (delivery,) = webhooks.webhook_event_emit(partner=brand_client.partner, event_type="x", data={})
    assert webhook_deliveries_retry_due() == 1
    assert sent == [delivery.pk]


def test_admin_replay_sends_again(
    monkeypatch, admin_client, brand_client, receiver, django_capture_on_commit_callbacks
):
    # The task is enqueued after commit; here "enqueue" runs it in-process.
    monkeypatch.setattr(webhook_deliver, "apply_async", lambda args: webhook_deliver(*args))
    webhooks.webhook_endpoint_create(partner=brand_client.partner, url=receiver.url)
    (delivery,) = webhooks.webhook_event_emit(partner=brand_client.partner, event_type="x", data={})
    webhook_deliver(delivery.pk)
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            reverse("admin:agency_webhookdelivery_changelist"),
            {"action": "replay", "_selected_action": [delivery.pk]},
        )
    assert len(receiver.requests) == 2
    delivery.refresh_from_db()
    assert delivery.status == "succeeded"


def test_production_requires_https_and_public_hosts(settings, brand_client):
    settings.WEBHOOK_REQUIRE_HTTPS = True
    settings.WEBHOOK_ALLOW_PRIVATE_HOSTS = False
    for url in ["http://hooks.example.com/x", "https://localhost/x", "https://127.0.0.1/x",
                "https://10.0.0.8/x", "https://169.254.169.254/latest"]:  # fmt: skip
        with pytest.raises(ValidationError):
            webhooks.webhook_endpoint_create(partner=brand_client.partner, url=url)


def test_api_register_shows_secret_once_and_scopes(brand_client, other_brand_client, receiver):
    url = reverse("webhook-endpoint-list")
    created = brand_client.post(url, {"url": receiver.url, "event_types": ["deal.updated"]})
    assert created.status_code == 201
    body = created.json()
    assert body["secret"] == WebhookEndpoint.objects.get(pk=body["id"]).secret
    listed = brand_client.get(url).json()["results"]
    assert [e["id"] for e in listed] == [body["id"]] and "secret" not in listed[0]
    detail = reverse("webhook-endpoint-detail", args=[body["id"]])
    assert "secret" not in brand_client.get(detail).json()
    assert other_brand_client.get(detail).status_code == 404
    assert other_brand_client.get(url).json()["results"] == []
    deactivate = reverse("webhook-endpoint-deactivate", args=[body["id"]])
    assert other_brand_client.post(deactivate).status_code == 404
    assert brand_client.post(deactivate).json()["is_active"] is False
    webhooks.webhook_event_emit(partner=brand_client.partner, event_type="deal.updated", data={})
    assert other_brand_client.get(reverse("webhook-delivery-list")).json()["count"] == 0


def test_api_bad_url_is_400_with_field(brand_client):
    response = brand_client.post(reverse("webhook-endpoint-list"), {"url": "not a url"})
    assert response.status_code == 400
    assert "url" in response.json()["error"]["fields"]


NON_GLOBAL_URLS = [
    "https://100.64.0.1/x",  # carrier-grade NAT (shared address space)
    "https://100.127.255.254/x",
    "https://192.0.2.10/x",  # documentation
    "https://198.18.0.1/x",  # benchmarking
    "https://0.0.0.0/x",
    "https://[::ffff:10.0.0.1]/x",  # IPv4-mapped private
    "https://[fd00::1]/x",  # unique local
    "https://224.0.0.1/x",  # multicast
]


@pytest.mark.parametrize("url", NON_GLOBAL_URLS)
def test_any_non_global_address_is_refused_on_create(settings, brand_client, url):
    settings.WEBHOOK_ALLOW_PRIVATE_HOSTS = False
    response = brand_client.post(reverse("webhook-endpoint-list"), {"url": url})
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["url"] == [
        "Webhook URLs must point at a public host."
    ]
    assert not WebhookEndpoint.objects.exists()


def test_a_global_address_is_accepted(settings, brand_client):
    settings.WEBHOOK_ALLOW_PRIVATE_HOSTS = False
    response = brand_client.post(reverse("webhook-endpoint-list"), {"url": "https://8.8.8.8/x"})
    assert response.status_code == 201


def test_delivery_refuses_a_host_that_now_resolves_to_a_non_global_address(
    settings, monkeypatch, brand_client
):
    """DNS can change after registration: the addresses resolved at delivery are checked."""
    settings.WEBHOOK_ALLOW_PRIVATE_HOSTS = False
    resolved = {"address": "93.184.215.14"}

    def getaddrinfo(host, *args, **kwargs):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (resolved["address"], 443))]

    sent = []
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(requests, "post", lambda *a, **kw: sent.append(a))
    webhooks.webhook_endpoint_create(partner=brand_client.partner, url="https://hooks.example/x")
    [delivery] = webhooks.webhook_event_emit(
        partner=brand_client.partner, event_type="deal.updated", data={}
    )
    resolved["address"] = "100.64.12.7"
    delivery = webhooks.webhook_delivery_attempt(delivery_id=delivery.pk)
    assert sent == []
    assert delivery.status == "pending" and "private address" in delivery.last_error
