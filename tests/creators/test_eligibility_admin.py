"""Eligibility a manager can act on: latest results, what is missing, actionable filters."""

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from agency import roles
from creators.models import EligibilityResult, EligibilityRuleSet
from tests.conftest import staff_login
from tests.factories.agency import StaffUserFactory
from tests.factories.creators import CreatorFactory

pytestmark = pytest.mark.django_db

FOLLOWERS = {"rule": "min_followers", "required": 10000, "actual": 8800, "distance": 1200,
             "message": "needs 1,200 more followers"}  # fmt: skip
COUNTRY = {"rule": "country", "required": ["US"], "actual": "PH", "distance": None,
           "message": "not offered in PH"}  # fmt: skip


def _result(creator, rule_set, as_of, failures):
    return EligibilityResult.objects.create(
        creator=creator,
        program=rule_set.program,
        rule_set=rule_set,
        as_of=as_of,
        eligible=not failures,
        failures=failures,
        computed_at=timezone.now(),
    )


@pytest.fixture
def world(client):
    manager = StaffUserFactory(username="mia")
    manager.groups.add(Group.objects.get(name=roles.TALENT_MANAGER))
    rule_set = EligibilityRuleSet.objects.select_related("program").order_by("pk").first()
    today = timezone.localdate()
    near, abroad = (
        CreatorFactory(stage_name="near", talent_manager=manager),
        CreatorFactory(stage_name="abroad", talent_manager=manager),
    )
    old = _result(near, rule_set, today - dt.timedelta(days=7), [FOLLOWERS, COUNTRY])
    latest = _result(near, rule_set, today, [FOLLOWERS])
    _result(abroad, rule_set, today, [COUNTRY, FOLLOWERS])
    staff_login(client, manager)
    return rule_set, old, latest


def _rows(client, query: str = "") -> list[str]:
    page = client.get(reverse("admin:creators_eligibilityresult_changelist") + query)
    assert page.status_code == 200
    return [str(r) for r in page.context["cl"].result_list]


def test_the_list_shows_the_latest_result_per_creator_and_program_by_default(client, world):
    _, old, latest = world
    rows = _rows(client)
    assert len(rows) == 2 and str(old) not in rows and str(latest) in rows
    assert len(_rows(client, "?results=all")) == 3


def test_what_is_missing_lists_actionable_failures_first(client, world):
    page = client.get(reverse("admin:creators_eligibilityresult_changelist")).content.decode()
    assert "needs 1,200 more followers; not offered in PH" in page  # abroad: country last
    assert "min followers" in page


def test_not_eligible_for_a_program_and_actionable_only(client, world):
    rule_set, _, latest = world
    code = rule_set.program.code
    assert len(_rows(client, f"?not_eligible_for={code}")) == 2
    assert _rows(client, f"?not_eligible_for={code}&actionable=yes") == [str(latest)]


def test_the_result_page_is_readable(client, world):
    _, _, latest = world
    page = client.get(reverse("admin:creators_eligibilityresult_change", args=[latest.pk]))
    html = page.content.decode()
    assert f"near: {latest.program} as of {latest.as_of}" in html
    assert "<td>10,000</td><td>8,800</td><td>needs 1,200 more followers</td>" in html
    assert '"rule"' not in html


def test_a_manager_hands_creators_only_to_themselves_and_owns_new_ones(client, world):
    other = StaffUserFactory(username="other.manager")
    other.groups.add(Group.objects.get(name=roles.TALENT_MANAGER))
    StaffUserFactory(username="finance.someone")  # staff, not a manager
    page = client.get(reverse("admin:creators_creator_add"))
    field = page.context["adminform"].form.fields["talent_manager"]
    assert [u.username for u in field.queryset] == ["mia"]
    assert page.context["adminform"].form.initial["talent_manager"] == field.queryset[0].pk


def test_recalculation_runs_and_results_are_read_only_records(client, world, admin_client):
    from creators.services import recalc

    run = recalc.recalc_start(as_of=recalc.default_as_of(), enqueue=False)
    page = admin_client.get(reverse("admin:creators_recalcrun_change", args=[run.pk]))
    html = page.content.decode()
    assert 'name="_save"' not in html and "deletelink" not in html
    _, _, latest = world
    page = admin_client.get(reverse("admin:creators_eligibilityresult_change", args=[latest.pk]))
    assert "deletelink" not in page.content.decode()
