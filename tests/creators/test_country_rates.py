"""Per-country earnings rates: seeded as a new rule set version, used by the estimate for the
creator's country (the rule set's range otherwise), said in the API and the admin, and
edited by staff as lines in major units."""

import datetime as dt

import pytest
from django.contrib import admin
from django.forms.models import model_to_dict
from django.test import RequestFactory
from django.urls import reverse

from creators.models import EligibilityResult, EligibilityRuleSet
from creators.services.eligibility import eligibility_evaluate_chunk
from tests.factories.creators import (
    CreatorFactory,
    DailyAccountMetricFactory,
    PlatformAccountFactory,
    VideoFactory,
)

pytestmark = pytest.mark.django_db

REWARDS = "tiktok_creator_rewards"
FUND = "tiktok_creator_fund"
AS_OF = dt.date(2026, 12, 31)  # the seeded rates are in force from 2026-12-01


def rewards_ready(country: str, *, as_of=AS_OF, sub_agency=None):
    """A creator meeting every Creator Rewards rule, with 300,000 qualified views in the
    30-day window (so 300,000 a month)."""
    creator = CreatorFactory(
        country=country, date_of_birth=dt.date(1990, 1, 1), sub_agency=sub_agency
    )
    account = PlatformAccountFactory(creator=creator)
    DailyAccountMetricFactory(
        account=account, date=as_of, followers=10_000, views=600_000, qualified_views=300_000
    )
    posted = dt.datetime.combine(as_of - dt.timedelta(days=10), dt.time(9), tzinfo=dt.UTC)
    VideoFactory(account=account, posted_at=posted, duration_seconds=61)
    return account


def estimate(account, *, as_of=AS_OF) -> EligibilityResult:
    eligibility_evaluate_chunk(as_of=as_of, creator_ids=[account.creator_id])
    return EligibilityResult.objects.get(
        creator=account.creator, program__code=REWARDS, as_of=as_of
    )


def test_seeded_as_a_new_version_that_leaves_earlier_dates_alone():
    v2 = EligibilityRuleSet.objects.get(program__code=REWARDS, version=2)
    v3 = EligibilityRuleSet.objects.get(program__code=REWARDS, version=3)
    assert (v2.effective_to, v2.country_rates) == (dt.date(2026, 12, 1), {})
    assert (v3.effective_from, v3.effective_to) == (dt.date(2026, 12, 1), None)
    assert v3.country_rates["US"] == [70, 100]  # the top of USD 0.40-1.00
    assert all(40 <= low <= high <= 100 for low, high in v3.country_rates.values())
    assert sorted(v3.country_rates) == sorted(v3.countries)
    assert "seeded default" in v3.notes
    # The Creator Fund's version 3 starts that day: it carries them itself, inside USD 10-20.
    fund = EligibilityRuleSet.objects.get(program__code=FUND, effective_to__isnull=True)
    assert (fund.version, fund.country_rates) == (3, {"IT": [1_200, 1_800], "ES": [1_000, 1_600]})


def test_us_creator_at_the_us_rate():
    us = estimate(rewards_ready("US"))
    # 300,000 qualified views x USD 0.70-1.00 per 1,000
    assert (us.estimate_min_minor, us.estimate_max_minor) == (21_000, 30_000)
    assert (us.estimate_rate_min_minor, us.estimate_rate_max_minor) == (70, 100)
    assert (us.estimate_rate_country, us.estimate_basis) == ("US", "qualified_views")


def test_a_country_with_a_lower_rate():
    br = estimate(rewards_ready("BR"))
    # 300,000 x USD 0.40-0.60 per 1,000
    assert (br.estimate_min_minor, br.estimate_max_minor) == (12_000, 18_000)
    assert (br.estimate_rate_min_minor, br.estimate_rate_country) == (40, "BR")


def test_a_country_without_an_entry_uses_the_rule_set_range():
    rule_set = EligibilityRuleSet.objects.get(program__code=REWARDS, version=3)
    rule_set.countries = [*rule_set.countries, "CA"]  # offered, no rate of its own
    rule_set.save()
    ca = estimate(rewards_ready("CA"))
    # 300,000 x USD 0.40-1.00 per 1,000
    assert (ca.estimate_min_minor, ca.estimate_max_minor) == (12_000, 30_000)
    assert (ca.estimate_rate_min_minor, ca.estimate_rate_max_minor) == (40, 100)
    assert ca.estimate_rate_country == ""


def test_the_admin_says_why_the_default_rate_applied(admin_client):
    rule_set = EligibilityRuleSet.objects.get(program__code=REWARDS, version=3)
    rule_set.countries = [*rule_set.countries, "CA"]
    rule_set.save()
    account = rewards_ready("CA")
    estimate(account)
    page = admin_client.get(reverse("admin:creators_creator_change", args=[account.creator_id]))
    assert (
        "at USD 0.40 to USD 1.00 per 1,000 (default rate; no rate set for CA)"
        in page.content.decode()
    )


def test_before_the_new_version_every_country_has_the_default_rate():
    us = estimate(rewards_ready("US", as_of=dt.date(2026, 11, 20)), as_of=dt.date(2026, 11, 20))
    assert (us.estimate_min_minor, us.estimate_max_minor) == (12_000, 30_000)
    assert (us.rule_set.version, us.estimate_rate_country) == (2, "")


def test_api_says_the_country_and_its_rate(sub_agency_client):
    account = rewards_ready("US", sub_agency=sub_agency_client.partner)
    estimate(account)
    body = sub_agency_client.get(reverse("creator-eligibility", args=[account.creator_id])).json()
    rewards = next(r for r in body["results"] if r["program"] == REWARDS)
    earnings = rewards["estimated_monthly_earnings"]
    assert (earnings["min"], earnings["max"], earnings["basis"]) == (
        "210.00",
        "300.00",
        "qualified_views",
    )
    assert earnings["rate"] == {
        "min": "0.70", "max": "1.00", "currency": "USD", "per_views": 1_000, "country": "US",
    }  # fmt: skip


def test_admin_explains_the_estimate_with_the_country_rate(admin_client):
    account = rewards_ready("US")
    estimate(account)
    text = (
        "about USD 210.00 to USD 300.00 a month on qualified views (300,000 in the window) at "
        "USD 0.70 to USD 1.00 per 1,000 (US rate)"
    )
    page = admin_client.get(reverse("admin:creators_creator_change", args=[account.creator_id]))
    assert text in page.content.decode()
    results = admin_client.get(reverse("admin:creators_eligibilityresult_changelist"))
    assert text in results.content.decode()


# --- staff edit the rates as lines in major units ------------------------------------------


def _form(admin_user, rule_set, **changes):
    request = RequestFactory().get("/")
    request.user = admin_user
    form_class = admin.site._registry[EligibilityRuleSet].get_form(request, rule_set)
    unbound = form_class(instance=rule_set)
    data = {name: unbound[name].value() for name in unbound.fields}
    data = {k: ("" if v is None else v) for k, v in data.items()}
    data["countries"] = ",".join(rule_set.countries)
    return form_class(data={**data, **changes}, instance=rule_set)


def test_the_form_shows_the_rates_as_lines_in_the_currency(admin_user):
    rule_set = EligibilityRuleSet.objects.get(program__code=REWARDS, version=3)
    shown = _form(admin_user, rule_set)["country_rates"].value()
    assert "US 0.70 - 1.00" in shown.splitlines()
    assert "{" not in shown


def test_staff_type_rates_in_major_units(admin_user):
    rule_set = EligibilityRuleSet.objects.get(program__code=REWARDS, version=3)
    form = _form(admin_user, rule_set, country_rates="US 0.75 - 1.00\n\ngb: 0.6 to 0.9\n")
    assert form.is_valid(), form.errors
    form.save()
    rule_set.refresh_from_db()
    assert rule_set.country_rates == {"US": [75, 100], "GB": [60, 90]}
    assert model_to_dict(rule_set)["rate_min_minor"] == 40  # the default range is untouched


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("US 1.00 - 0.70", "Line 1: the low rate is above the high."),
        ("US 0.701 - 1.00", "Line 1: USD amounts have 2 decimals."),
        ("USA 0.70 - 1.00", "Line 1: write a country code and a range"),
        ("US 0.70 - 1.00\nUS 0.50 - 0.60", "Line 2: US is listed twice."),
    ],
)
def test_bad_lines_are_refused_by_line(admin_user, typed, message):
    rule_set = EligibilityRuleSet.objects.get(program__code=REWARDS, version=3)
    form = _form(admin_user, rule_set, country_rates=typed)
    assert not form.is_valid()
    assert any(message in error for error in form.errors["country_rates"])


def test_clearing_the_lines_leaves_every_country_at_the_default(admin_user):
    rule_set = EligibilityRuleSet.objects.get(program__code=REWARDS, version=3)
    form = _form(admin_user, rule_set, country_rates="")
    assert form.is_valid(), form.errors
    form.save()
    rule_set.refresh_from_db()
    assert rule_set.country_rates == {}


def test_the_change_page_shows_lines_not_json(admin_client):
    rule_set = EligibilityRuleSet.objects.get(program__code=REWARDS, version=3)
    html = admin_client.get(
        reverse("admin:creators_eligibilityruleset_change", args=[rule_set.pk])
    ).content.decode()
    assert "US 0.70 - 1.00" in html
    assert "[70, 100]" not in html


def test_a_view_only_user_reads_the_same_lines(client):
    from django.contrib.auth.models import Permission

    from tests.conftest import staff_login
    from tests.factories.agency import StaffUserFactory

    viewer = StaffUserFactory(username="rates.viewer")
    viewer.user_permissions.add(Permission.objects.get(codename="view_eligibilityruleset"))
    rule_set = EligibilityRuleSet.objects.get(program__code=REWARDS, version=3)
    html = (
        staff_login(client, viewer)
        .get(reverse("admin:creators_eligibilityruleset_change", args=[rule_set.pk]))
        .content.decode()
    )
    assert "US 0.70 - 1.00; BR 0.40 - 0.60" not in html  # alphabetical, not stored order
    assert "BR 0.40 - 0.60; DE 0.60 - 0.90" in html
    assert "[70, 100]" not in html and "id_country_rates" not in html
