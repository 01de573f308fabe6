"""A newcomer follows the links ``make run`` prints, in a real browser."""

import json

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_landing_page_links_to_the_admin_the_api_and_its_docs(page):
    landing = page.goto("/")
    hrefs = landing.eval_on_selector_all("#content-main a", "links => links.map(a => a.pathname)")
    assert hrefs == ["/admin/", "/api/v1/", "/api/docs/", "/api/schema/", "/healthz"]
    page.screenshot("landing")

    landing.click("text=/api/v1/")
    root = json.loads(landing.inner_text("body"))
    assert root["docs"].endswith("/api/docs/") and root["resources"] == {}

    page.goto("/api/docs/")
    landing.wait_for_selector(".swagger-ui .info", timeout=30_000)
    page.check()

    page.goto("/")
    landing.click("text=/admin/")
    assert landing.url.endswith("/admin/login/?next=/admin/")
    page.check()
