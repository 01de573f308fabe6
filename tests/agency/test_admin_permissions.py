"""Every admin action declares the permission it needs; view-only staff run none of them.

The world is the demo data (every app's ``demo.seed``) plus the few rows it lacks, so each
action has real objects to act on: were an action run, the database would change (or a
file would be sent back).
"""

import importlib
import io
import uuid

import pytest
from axes.models import AccessAttempt
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.urls import reverse
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from agency import demo as agency_demo
from agency import roles
from agency.models import Partner, WebhookDelivery, WebhookEndpoint
from billing import demo as billing_demo
from billing.models import CommissionPlan, ImportBatch
from campaigns import demo as campaigns_demo
from creators import demo as creators_demo
from creators.models import Creator, RecalcChunk
from creators.services import recalc
from tests.conftest import migrated_role_permissions, staff_login
from tests.factories.agency import StaffUserFactory

pytestmark = pytest.mark.django_db

# (model admin, action name) for every action any registered model admin offers, the
# site-wide ones (delete_selected) included.
ALL_ACTIONS = sorted(
    (model._meta.label_lower, name)
    for model, model_admin in admin.site._registry.items()
    for _func, name, _description in model_admin._get_base_actions()
)
# The one table a request writes without any action running: the session (saved on every
# request, for the idle timeout).
NOT_DATA = {"django_session"}


def database_fingerprint() -> dict[str, str]:
    """An md5 of every row of every table: equal fingerprints, nothing changed."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        tables = sorted(t for (t,) in cursor.fetchall() if t not in NOT_DATA)
        fingerprint = {}
        for table in tables:
            cursor.execute(
                f"SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) "
                f'FROM "{table}" t'
            )
            fingerprint[table] = cursor.fetchone()[0]
    return fingerprint


@pytest.fixture
def world(monkeypatch):
    monkeypatch.setattr(creators_demo, "CREATORS", 12)
    out = io.StringIO()
    for module in (agency_demo, creators_demo, billing_demo, campaigns_demo):
        module.seed(stdout=out)
    partner = Partner.objects.first()
    endpoint = WebhookEndpoint.objects.create(partner=partner, url="https://hooks.test/x")
    WebhookDelivery.objects.create(
        endpoint=endpoint,
        event_id=uuid.uuid4(),
        event_type="creator.updated",
        payload={},
        status=WebhookDelivery.Status.FAILED,
    )
    ImportBatch.objects.create(filename="revenue.csv", row_count=0)
    AccessAttempt.objects.create(
        username="someone",
        ip_address="192.0.2.1",
        user_agent="test",
        path_info="/admin/login/",
        failures_since_start=3,
    )
    every_minute = IntervalSchedule.objects.create(every=1, period=IntervalSchedule.MINUTES)
    PeriodicTask.objects.create(name="a job", task="agency.tasks.x", interval=every_minute)
    run = recalc.recalc_start(as_of=recalc.default_as_of(), enqueue=False)
    RecalcChunk.objects.filter(run=run).update(status=RecalcChunk.Status.FAILED)
    plan = CommissionPlan.objects.filter(status=CommissionPlan.Status.APPROVED).first()
    CommissionPlan.objects.create(
        contract=plan.contract,
        stream=plan.stream,
        effective_from=plan.effective_from.replace(year=plan.effective_from.year + 1),
        currency=plan.currency,
        agency_rate="0.5",
        created_by=StaffUserFactory(username="plan.maker"),
    )
    return run


@pytest.fixture
def view_only_client(client, world):
    """A staff user who may view everything (and manages every creator) but change nothing."""
    user = StaffUserFactory(username="viewer")
    user.user_permissions.set(Permission.objects.filter(codename__startswith="view_"))
    Creator.objects.update(talent_manager=user)  # so the manager-scoped lists show rows
    return staff_login(client, user)


def test_every_admin_action_declares_its_permissions():
    undeclared = [
        (model._meta.label_lower, name)
        for model, model_admin in admin.site._registry.items()
        for func, name, _ in model_admin._get_base_actions()
        if not getattr(func, "allowed_permissions", None)
    ]
    assert undeclared == []


def test_the_registry_has_the_actions_this_test_is_about():
    names = {name for _, name in ALL_ACTIONS}
    assert {"create_api_key", "mark_paid", "mark_failed", "reverse", "recalculate_now"} <= names
    assert len({a for a in ALL_ACTIONS if a[1] != "delete_selected"}) >= 23


def test_a_view_only_user_sees_and_runs_no_admin_action(view_only_client):
    refused_late, shown, ran = [], [], []
    for label, name in ALL_ACTIONS:
        app_label, model_name = label.split(".")
        model = next(m for m in admin.site._registry if m._meta.label_lower == label)
        url = reverse(f"admin:{app_label}_{model_name}_changelist")
        page = view_only_client.get(url)
        assert page.status_code == 200, (label, page.status_code)
        if f'<option value="{name}"' in page.content.decode():
            shown.append((label, name))
        pks = list(model._default_manager.order_by("pk").values_list("pk", flat=True)[:5])
        if name != "delete_selected":
            assert pks, f"the world has no {label} rows for {name} to act on"
        before = database_fingerprint()
        response = view_only_client.post(
            url, {"action": name, "_selected_action": pks, "index": 0}, follow=True
        )
        if response.has_header("Content-Disposition") or database_fingerprint() != before:
            ran.append((label, name))
        elif response.status_code != 200:
            refused_late.append((label, name, response.status_code))
    assert ran == [], "view-only users ran these actions"
    assert shown == [], "view-only users are offered these actions"
    assert refused_late == [], "refusals must be admin pages or messages"


def test_a_refused_admin_page_is_a_styled_admin_page(client):
    manager = StaffUserFactory(username="manager")
    manager.groups.add(Group.objects.get(name=roles.TALENT_MANAGER))
    staff_login(client, manager)
    response = client.get(reverse("admin:billing_payoutbatch_changelist"))
    assert response.status_code == 403
    page = response.content.decode()
    assert "Your role does not include this page" in page and "admin/css/base.css" in page


def test_creating_api_keys_is_the_agency_admins(client):
    partner = Partner.objects.create(name="Glow", kind=Partner.Kind.BRAND)
    url = reverse("admin:agency_partner_changelist")
    ops = StaffUserFactory(username="ops")
    ops.groups.add(Group.objects.get(name=roles.OPERATIONS))
    ops.user_permissions.add(Permission.objects.get(codename="view_partner"))
    staff_login(client, ops)
    client.post(url, {"action": "create_api_key", "_selected_action": [partner.pk], "index": 0})
    assert not partner.api_keys.exists()

    admin_user = StaffUserFactory(username="agency.admin")
    admin_user.groups.add(Group.objects.get(name=roles.AGENCY_ADMIN))
    staff_login(client, admin_user)
    assert 'value="create_api_key"' in client.get(url).content.decode()
    client.post(url, {"action": "create_api_key", "_selected_action": [partner.pk], "index": 0})
    assert partner.api_keys.count() == 1


def test_roles_are_groups_with_exactly_the_migrations_permissions():
    migration = importlib.import_module("campaigns.migrations.0004_staff_roles")
    expected = migrated_role_permissions()
    for name in roles.ROLES:
        group = Group.objects.get(name=name)
        granted = {
            f"{app}.{codename}"
            for app, codename in group.permissions.values_list(
                "content_type__app_label", "codename"
            )
        }
        assert granted == expected[name], name
    finance = set(migration.ROLES[roles.FINANCE])
    assert {"billing.change_payout", "billing.approve_commissionplan"} <= finance
    assert not any(p.startswith("billing.") for p in migration.ROLES[roles.OPERATIONS])
    assert not any(p.startswith("billing.") for p in migration.ROLES[roles.TALENT_MANAGER])
    assert "billing.approve_commissionplan" not in migration.ROLES[roles.AGENCY_ADMIN]
