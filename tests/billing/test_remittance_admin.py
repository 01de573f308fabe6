"""The remittance admin: finance records one, imports a report, sees the totals, matches again."""

import datetime as dt
import re

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from billing.models import Remittance
from billing.services.remittances import RemittanceInput, RemittanceLineInput, remittances_record
from tests.billing.helpers import creator_on_plan
from tests.conftest import staff_login
from tests.factories.agency import StaffUserFactory
from tests.factories.billing import finance_user

pytestmark = pytest.mark.django_db

ADD = reverse("admin:billing_remittance_add")
CHANGELIST = reverse("admin:billing_remittance_changelist")
IMPORT = reverse("admin:billing_remittance_import_csv")


def _finance(client, *perms: str):
    user = finance_user("fin")
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="billing", codename__in=perms)
    )
    staff_login(client, user)
    return user


def _form(event, **kw):
    data = {
        "payer": "TikTok Shop",
        "reference": "S-1",
        "currency": "USD",
        "amount": "95.00",
        "fee_withheld": "5.00",
        "period_start": "2025-03-01",
        "period_end": "2025-03-31",
        "received_on": "2025-04-20",
        "lines-TOTAL_FORMS": "2",
        "lines-INITIAL_FORMS": "0",
        "lines-0-stream": "affiliate",
        "lines-0-amount": "100.00",
        "lines-0-external_id": event.source_id,
        "lines-1-stream": "",  # an unused row
    }
    data.update(kw)
    return data


def test_finance_records_a_remittance_in_major_units_and_sees_the_totals(client, ingest):
    creator = creator_on_plan(streams=["affiliate"])
    event = ingest(creator, stream="affiliate", gross="100.00", on=dt.date(2025, 3, 3))
    user = _finance(client, "add_remittance", "view_remittance")
    assert client.get(ADD).status_code == 200
    response = client.post(ADD, _form(event))
    remittance = Remittance.objects.get()
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"] == reverse("admin:billing_remittance_change", args=[remittance.pk])
    assert remittance.amount_minor == 9500 and remittance.fee_withheld_minor == 500
    assert remittance.recorded_by == user and remittance.source == "admin"
    assert remittance.status == "matched"
    page = client.get(CHANGELIST).content.decode()
    assert "USD 95.00" in page and "USD 100.00" in page and "USD 0.00" in page
    detail = client.get(reverse("admin:billing_remittance_change", args=[remittance.pk]))
    assert detail.status_code == 200
    assert re.search(rf'field-events">\s*<p>{event.pk}</p>', detail.content.decode())


def test_service_refusals_land_on_the_form_and_nothing_is_recorded(client, ingest):
    creator = creator_on_plan(streams=["affiliate"])
    event = ingest(creator, stream="affiliate", gross="100.00", on=dt.date(2025, 3, 3))
    _finance(client, "add_remittance", "view_remittance")
    response = client.post(
        ADD,
        _form(
            event,
            currency="JPY",
            amount="95.50",
            **{"lines-0-external_id": "", "received_on": "2999-01-01"},
        ),
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Must not be in the future." in page
    assert "more decimals than JPY" in page
    assert "external id or a creator" in page
    assert not Remittance.objects.exists()


def test_staff_outside_finance_cannot_record(client, ingest):
    creator = creator_on_plan(streams=["affiliate"])
    event = ingest(creator, stream="affiliate", gross="100.00", on=dt.date(2025, 3, 3))
    user = StaffUserFactory()
    user.user_permissions.add(*Permission.objects.filter(codename="add_remittance"))
    staff_login(client, user)
    response = client.post(ADD, _form(event))
    assert response.status_code == 200 and "finance group" in response.content.decode()
    assert not Remittance.objects.exists()
    staff_login(client, StaffUserFactory(username="nobody"))
    assert client.get(ADD).status_code == 403
    assert client.get(IMPORT).status_code == 403


def test_settlement_report_upload_with_dry_run_and_line_numbered_errors(client, ingest):
    creator = creator_on_plan(streams=["affiliate"])
    event = ingest(creator, stream="affiliate", gross="100.00", on=dt.date(2025, 3, 3))
    _finance(client, "add_remittance", "view_remittance")
    header = (
        "reference,payer,currency,received_on,period_start,period_end,stream,amount,external_id\n"
    )
    good = (
        f"S-1,TikTok Shop,USD,2025-04-20,2025-03-01,2025-03-31,affiliate,100.00,{event.source_id}\n"
    )
    bad = "S-2,TikTok Shop,USD,2025-04-20,2025-03-01,2025-03-31,nope,1.00,x\n"

    def upload(text, dry_run):
        data = {"file": SimpleUploadedFile("report.csv", text.encode())}
        if dry_run:
            data["dry_run"] = "on"
        return client.post(IMPORT, data).content.decode()

    page = upload(header + good + bad, dry_run=False)
    assert "Nothing was recorded" in page and "line 3 (row 1): stream: Unknown stream" in page
    assert not Remittance.objects.exists()
    assert "1 new remittance would be recorded" in upload(header + good, dry_run=True)
    assert not Remittance.objects.exists()
    assert "1 new remittance;" in upload(header + good, dry_run=False)
    assert "0 new remittances;" in upload(header + good, dry_run=False)
    assert Remittance.objects.get().status == "matched"


def test_match_again_is_an_action_that_needs_the_match_permission(client, ingest):
    creator = creator_on_plan(streams=["affiliate"])
    remittance = remittances_record(
        remittances=[
            RemittanceInput(
                payer="TikTok Shop",
                reference="S-1",
                currency="USD",
                amount="100.00",
                period_start=dt.date(2025, 3, 1),
                period_end=dt.date(2025, 3, 31),
                received_on=dt.date(2025, 4, 20),
                lines=[RemittanceLineInput(stream="affiliate", amount="100.00", external_id="o-9")],
            )
        ],
        source=Remittance.Source.API,
    ).created[0]
    assert remittance.status == "unmatched"
    ingest(creator, stream="affiliate", gross="100.00", on=dt.date(2025, 3, 3), source_id="o-9")
    viewer = StaffUserFactory(username="viewer")  # may read remittances, is not finance
    viewer.user_permissions.add(*Permission.objects.filter(codename="view_remittance"))
    staff_login(client, viewer)
    page = client.get(CHANGELIST).content.decode()
    assert "match_again" not in page  # a viewer sees no action
    client.post(CHANGELIST, {"action": "match_again", "_selected_action": [remittance.pk]})
    assert Remittance.objects.get().status == "unmatched"
    _finance(client)  # the finance role grants viewing and matching
    assert "match_again" in client.get(CHANGELIST).content.decode()
    client.post(CHANGELIST, {"action": "match_again", "_selected_action": [remittance.pk]})
    assert Remittance.objects.get().status == "matched"
