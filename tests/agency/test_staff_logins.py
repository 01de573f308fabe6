"""Staff logins: lockout after failed attempts, a TOTP second factor for superusers and
finance, idle sessions that expire, and a first admin who can enrol."""

import base64
import datetime as dt
import io
import re
from urllib.parse import parse_qs, urlparse

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from agency import services
from tests.factories.agency import StaffUserFactory
from tests.factories.billing import finance_user

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests"  # StaffUserFactory's
LOGIN = reverse("admin:login")
INDEX = reverse("admin:index")


def code_for(key: bytes) -> str:
    return f"{TOTP(key).token():06d}"


def log_in(client, username: str, password: str = PASSWORD, token: str = ""):
    return client.post(
        f"{LOGIN}?next={INDEX}",
        {"username": username, "password": password, "otp_token": token, "next": INDEX},
    )


def reaches_index(client) -> bool:
    return client.get(INDEX).status_code == 200


def test_thirty_wrong_passwords_lock_the_login_even_for_the_right_one(client):
    StaffUserFactory(username="manager")
    for _ in range(30):
        log_in(client, "manager", password="guess")
    response = log_in(client, "manager")
    assert response.status_code == 429
    assert "Too many failed logins for manager" in response.content.decode()
    assert not reaches_index(client)


def test_a_few_wrong_passwords_then_the_right_one_logs_in(client):
    StaffUserFactory(username="manager")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert log_in(client, "manager", password="guess").status_code == 200
    assert log_in(client, "manager").status_code == 302
    assert reaches_index(client)


def test_the_lockout_limit_is_configured():
    assert 1 <= settings.AXES_FAILURE_LIMIT <= 10
    assert dt.timedelta(minutes=5) <= settings.AXES_COOLOFF_TIME
    assert settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"


def test_a_superuser_without_a_verified_device_cannot_reach_the_admin(client):
    root = StaffUserFactory(username="root", is_superuser=True)
    client.force_login(root)  # a password-only session
    response = client.get(INDEX)
    assert response.status_code == 302 and response.url.startswith(LOGIN)
    page = client.get(response.url).content.decode()
    assert "You are authenticated as root, but are not authorized" in page

    client.logout()
    page = log_in(client, "root").content.decode()  # no authenticator enrolled
    assert "manage.py otp_enrol" in page
    assert not reaches_index(client)


def test_a_superuser_logs_in_with_password_and_a_valid_totp_code(client):
    root = StaffUserFactory(username="root", is_superuser=True)
    device = services.staff_totp_enrol(user=root)
    assert log_in(client, "root").status_code == 200  # the code is required
    assert not reaches_index(client)
    wrong = f"{(int(code_for(device.bin_key)) + 1) % 1_000_000:06d}"
    assert "Invalid token" in log_in(client, "root", token=wrong).content.decode()
    assert not reaches_index(client)
    device.refresh_from_db()
    device.throttle_reset()  # django-otp's own delay after a wrong code, not under test here
    response = log_in(client, "root", token=code_for(device.bin_key))
    assert response.status_code == 302 and response.url == INDEX
    assert reaches_index(client)


def test_finance_needs_the_second_factor_and_a_talent_manager_does_not(client):
    ben = finance_user("finance.ben")
    log_in(client, "finance.ben")
    assert not reaches_index(client)
    device = services.staff_totp_enrol(user=ben)
    log_in(client, "finance.ben", token=code_for(device.bin_key))
    assert reaches_index(client)

    client.logout()
    StaffUserFactory(username="manager")
    assert log_in(client, "manager").status_code == 302
    assert reaches_index(client)


def test_staff_sessions_are_short_and_end_when_idle(client):
    assert settings.SESSION_COOKIE_AGE <= 60 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST and settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
    StaffUserFactory(username="manager")
    log_in(client, "manager")
    now = timezone.now()

    Session.objects.update(expire_date=now + dt.timedelta(seconds=60))
    assert reaches_index(client)  # each request pushes the expiry back by the full age
    expiry = Session.objects.get().expire_date
    assert expiry >= now + dt.timedelta(seconds=settings.SESSION_COOKIE_AGE - 60)

    Session.objects.update(expire_date=now - dt.timedelta(seconds=1))  # idle too long
    response = client.get(INDEX)
    assert response.status_code == 302 and response.url.startswith(LOGIN)


def test_the_first_admin_enrols_from_ensure_admins_output(client, monkeypatch):
    monkeypatch.setenv("ADMIN_USERNAME", "admin")
    monkeypatch.setenv("ADMIN_PASSWORD", "a-long-first-password")
    out = io.StringIO()
    call_command("ensure_admin", stdout=out)
    text = out.getvalue()
    uri = re.search(r"otpauth://totp/\S+", text).group(0)
    secret = parse_qs(urlparse(uri).query)["secret"][0]
    assert f"secret (type it in by hand): {secret}" in text
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    log_in(client, "admin", password="a-long-first-password", token=code_for(key))
    assert reaches_index(client)

    again = io.StringIO()
    call_command("ensure_admin", stdout=again)
    assert "exists already" in again.getvalue() and "otpauth://" not in again.getvalue()
    assert TOTPDevice.objects.count() == 1


def test_otp_enrol_replaces_a_lost_authenticator_only_when_asked():
    user = StaffUserFactory(username="finance.anna")
    with pytest.raises(CommandError, match="No staff login"):
        call_command("otp_enrol", "nobody", stdout=io.StringIO())
    call_command("otp_enrol", "finance.anna", stdout=io.StringIO())
    first = TOTPDevice.objects.get(user=user)
    with pytest.raises(CommandError, match="--replace"):
        call_command("otp_enrol", "finance.anna", stdout=io.StringIO())
    out = io.StringIO()
    call_command("otp_enrol", "finance.anna", "--replace", stdout=out)
    assert "otpauth://totp/MCN%20back%20office%3Afinance.anna" in out.getvalue()
    assert list(TOTPDevice.objects.filter(user=user)) != [first]
    assert TOTPDevice.objects.filter(user=user).count() == 1
