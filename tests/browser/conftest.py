"""Browser tests: Playwright driving the distribution's Chromium against a live server.

Playwright's own browser download cannot be fetched here, so the tests launch the system
Chromium (``apt-get install chromium``; CI installs it). Without one they skip, unless
``REQUIRE_BROWSER=1`` (set by CI) turns the skip into a failure. Every page a test opens
fails it on a JavaScript error, a 4xx/5xx response or a page wider than 1400 px; screenshots
go to var/screenshots/.
"""

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "var" / "screenshots"
WIDTH = 1400


def _chromium() -> str | None:
    return os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or None


@pytest.fixture(scope="session")
def browser() -> Iterator:
    executable = _chromium()
    if executable is None:
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail("No Chromium found (apt-get install chromium, or set CHROMIUM_PATH).")
        pytest.skip("No Chromium on this machine: apt-get install chromium to run browser tests.")
    # Django's live server and the test run are synchronous; Playwright's sync API runs an
    # event loop of its own, which Django would otherwise take for an async context.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable,
            args=[
                "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run",
            ],
        )  # fmt: skip
        yield browser
        browser.close()
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


class Page:
    """A page that records what must fail a test: JS errors and 4xx/5xx responses."""

    def __init__(self, page, base_url: str):
        self.page = page
        self.base_url = base_url
        self.problems: list[str] = []
        page.on("pageerror", lambda error: self.problems.append(f"JS error: {error}"))
        page.on(
            "response",
            lambda r: r.status >= 400 and self.problems.append(f"{r.status} {r.url}"),
        )

    def goto(self, path: str):
        self.page.goto(self.base_url + path)
        self.check()
        return self.page

    def check(self) -> None:
        width = self.page.evaluate("document.documentElement.scrollWidth")
        assert not self.problems, self.problems
        assert width <= WIDTH, f"{self.page.url} is {width} px wide"

    def screenshot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def page(browser, live_server) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": WIDTH, "height": 900})
    try:
        yield Page(context.new_page(), live_server.url)
    finally:
        context.close()


PASSWORD = "browser-test-password"


@pytest.fixture
def staff_roles(transactional_db):
    """The role groups with their permissions, as the data migrations make them; put back
    here because a transactional test's flush removes rows the migrations seeded."""
    from django.contrib.auth.models import Group, Permission

    from tests.conftest import migrated_role_permissions

    for name, perms in migrated_role_permissions().items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(
            Permission.objects.get(content_type__app_label=app, codename=codename)
            for app, codename in (p.split(".") for p in perms)
        )


@pytest.fixture
def staff_user(staff_roles):
    """``staff_user(username, role)``: a staff login in that role's group, with a password
    (and an authenticator where the role needs one)."""
    from django.contrib.auth.models import Group

    from tests.factories.agency import StaffUserFactory

    def make(username: str, role: str):
        user = StaffUserFactory(username=username)
        user.set_password(PASSWORD)
        user.save()
        user.groups.add(Group.objects.get(name=role))
        return user

    return make


def log_in(page: Page, user) -> None:
    """Through the admin's login page, typing the authenticator code where one is needed."""
    from django_otp.oath import TOTP

    from agency import services
    from agency.roles import needs_second_factor

    tab = page.goto("/admin/login/?next=/admin/")
    tab.fill("#id_username", user.get_username())
    tab.fill("#id_password", PASSWORD)
    if needs_second_factor(user):
        device = services.staff_totp_enrol(user=user, replace=True)
        code = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        tab.fill("#id_otp_token", f"{code.token():0{device.digits}d}")
    tab.click("input[type=submit]")
    tab.wait_for_url("**/admin/")
    page.check()
