"""``make run`` prints one demo login per role; each can log in and starts on its work."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from agency import roles
from agency.demo import DEMO_LOGINS, DEMO_PASSWORD
from tests.conftest import staff_login

pytestmark = pytest.mark.django_db


def _run() -> str:
    out = StringIO()
    call_command("demo_logins", "--base-url=http://127.0.0.1:8000", stdout=out)
    return out.getvalue()


def test_each_role_has_a_printed_login_that_starts_on_its_work():
    printed = _run()
    users = get_user_model().objects
    for role, username, _, landing in DEMO_LOGINS:
        assert f"user: {username}" in printed and f"http://127.0.0.1:8000{landing}" in printed
        user = users.get(username=username)
        assert user.is_staff and not user.is_superuser
        assert list(user.groups.values_list("name", flat=True)) == [role]
        assert user.check_password(DEMO_PASSWORD)
        client = staff_login(Client(), user)
        page = client.get(landing)
        assert page.status_code == 200, (username, landing)
        assert "have permission to view or edit anything" not in page.content.decode()
    assert {role for role, *_ in DEMO_LOGINS} == set(roles.ROLES)


def test_finance_is_enrolled_once_and_the_enrolment_is_printed_that_once():
    first = _run()
    assert first.count("authenticator URI: otpauth://") == 1
    assert "finance.ben logs in with an authenticator code too" in first
    assert get_user_model().objects.get(username="finance.ben").totpdevice_set.count() == 1
    second = _run()
    assert "otpauth://" not in second and "finance.ben: authenticator enrolled earlier" in second


def test_a_password_changed_since_is_kept_and_not_printed():
    _run()
    user = get_user_model().objects.get(username="ops.olga")
    user.set_password("something-else-entirely")
    user.save()
    printed = _run()
    assert "user: ops.olga     password: (changed since)" in printed
    user.refresh_from_db()
    assert user.check_password("something-else-entirely")


def test_password_login_without_a_second_factor_works_for_non_finance_roles():
    _run()
    response = Client().post(
        "/admin/login/?next=/admin/",
        {"username": "ana.manager", "password": DEMO_PASSWORD},
    )
    assert response.status_code == 302 and response["Location"] == "/admin/"
