"""The partner API served by gunicorn with two worker processes, as in production:

- the throttle admits exactly its limit when both processes serve one key at once;
- Redis stopped under steady traffic (reads and writes) and started again: no 5xx, every
  write stored once, and ``/healthz`` says "degraded" meanwhile.
"""

import datetime as dt
import os
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from socket import socket

import pytest
import requests
from django.conf import settings
from django.db import connection

from agency import services
from agency.models import Partner
from creators.models import Creator, DailyAccountMetric
from tests.factories.agency import PartnerFactory
from tests.factories.creators import PlatformAccountFactory
from tests.integration.conftest import LOG_DIR, ROOT, database_url, figures, wait_until

pytestmark = pytest.mark.integration

RATE = 60  # per key and minute, for the web processes under test
KEYS = 5  # one for the burst, the rest for steady traffic


class Web:
    """gunicorn with two sync workers on a free loopback port, on the test database and
    the session's broker (this test's own Redis, set up before)."""

    def __init__(self) -> None:
        with socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = LOG_DIR / f"web-{uuid.uuid4().hex[:8]}.log"
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        env = {  # DJANGO_SETTINGS_MODULE and DJANGO_ENV come with this process's environment
            **os.environ,
            "DATABASE_URL": database_url(connection.settings_dict),
            "REDIS_URL": settings.REDIS_URL,
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "API_KEY_RATE": f"{RATE}/min",
        }
        with open(self.log, "w") as out:
            self.process = subprocess.Popen(
                [
                    sys.executable, "-m", "gunicorn", "agency.wsgi:application",
                    "--bind", f"127.0.0.1:{self.port}", "--workers", "2", "--timeout", "30",
                ],
                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def ready(self) -> bool:
        try:
            return requests.get(f"{self.url}/healthz", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def data_partner(django_db_setup, django_db_blocker):
    """A committed data partner with ``KEYS`` API keys and one account to send metrics for."""
    with django_db_blocker.unblock():
        partner = PartnerFactory(kind=Partner.Kind.DATA_PARTNER)
        keys = [
            services.partner_api_key_create(partner=partner, name=f"k{i}")[1] for i in range(KEYS)
        ]
        account = PlatformAccountFactory()
        try:
            yield keys, account
        finally:
            partner.delete()
            Creator.objects.filter(pk=account.creator_id).delete()


@pytest.fixture
def web(own_redis, data_partner):
    server = Web()
    try:
        wait_until(server.ready, describe=server.output, timeout=60)
        yield server
    finally:
        server.stop()


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Api-Key {key}"}


def test_two_web_processes_admit_exactly_the_limit(web, data_partner):
    keys, _ = data_partner
    url = f"{web.url}/api/v1/me/"

    def call(_):
        return requests.get(url, headers=_auth(keys[0]), timeout=10).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = Counter(pool.map(call, range(3 * RATE)))
    figures(
        f"api/throttle: {3 * RATE} concurrent requests on one key over 2 gunicorn workers, "
        f"limit {RATE}/min: {codes[200]} admitted, {codes[429]} refused"
    )
    assert codes == {200: RATE, 429: 2 * RATE}


def test_redis_stopped_under_api_traffic_no_5xx_and_every_write_stored_once(
    web, own_redis, data_partner
):
    keys, account = data_partner
    statuses: list[tuple[str, int]] = []  # (what, status); 0 = no answer at all
    written: list[dt.date] = []
    refused: list[str] = []  # bodies of writes not taken, to say why
    health: list[dict] = []
    stop = threading.Event()
    day = iter(dt.date(2024, 1, 1) + dt.timedelta(days=i) for i in range(10_000))
    day_lock = threading.Lock()

    def traffic(key: str) -> None:
        session = requests.Session()
        session.headers.update(_auth(key))
        n = 0
        while not stop.is_set():
            n += 1
            try:
                if n % 3:
                    what = "read"
                    path = "/api/v1/me/" if n % 2 else "/api/v1/api-keys/"
                    status = session.get(f"{web.url}{path}", timeout=10).status_code
                else:
                    what = "write"
                    with day_lock:
                        date = next(day)
                    row = {
                        "platform": account.platform,
                        "platform_account_id": account.platform_account_id,
                        "date": date.isoformat(),
                        "followers": 1_000,
                        "views": 2_000,
                        "qualified_views": 1_000,
                        "watch_time_seconds": 9_000,
                        "videos_posted": 1,
                    }
                    response = session.post(
                        f"{web.url}/api/v1/metrics/daily/",
                        json={"rows": [row]},
                        headers={"Idempotency-Key": uuid.uuid4().hex},
                        timeout=10,
                    )
                    status = response.status_code
                    if status == 200:
                        written.append(date)
                    else:
                        refused.append(response.text[:300])
            except requests.RequestException:
                status = 0
            statuses.append((what, status))
            time.sleep(0.6)  # steady traffic, well below the per-key budget

    threads = [threading.Thread(target=traffic, args=(k,)) for k in keys[1:]]
    for t in threads:
        t.start()
    try:
        time.sleep(4)
        own_redis.stop()
        down_from = len(statuses)
        time.sleep(2)
        health.append(requests.get(f"{web.url}/healthz", timeout=10).json())
        time.sleep(8)
        own_redis.start()
        down_until = len(statuses)
        time.sleep(8)  # the throttle goes back to Redis within seconds
        health.append(requests.get(f"{web.url}/healthz", timeout=10).json())
    finally:
        stop.set()
        for t in threads:
            t.join()

    codes = Counter(status for _, status in statuses)
    during = Counter(status for _, status in statuses[down_from:down_until])
    figures(
        f"api/redis-down: {len(statuses)} requests from {len(keys) - 1} keys over 2 gunicorn "
        f"workers, {down_until - down_from} of them while Redis was down 10 s; answers "
        f"{dict(codes)} (while down {dict(during)}), {len(written)} writes stored once"
    )
    assert not [s for s in codes if s >= 500 or s == 0], web.output()
    assert during[200] > 0 and codes[200] == len(statuses), refused[:3]
    assert health[0]["status"] == "degraded" and health[0]["broker"].startswith("error")
    assert health[1] == {"status": "ok", "database": "ok", "broker": "ok", "cache": "ok"}
    stored = list(DailyAccountMetric.objects.filter(account=account).values_list("date", flat=True))
    assert sorted(stored) == sorted(written)  # every write once, none lost
