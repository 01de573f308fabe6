"""Staff roles as data: four groups with exact permissions (quality.md, "Staff").

Here, in the last app of the dependency order, because a role spans every app. Running it
again (or on a database where a group exists with other permissions, e.g. a finance group
with none) sets each group's permissions to exactly this list. Names: agency/roles.py.

- agency admin: partners, API keys, webhooks; sees staff logins, removes a lost
  authenticator, lifts lockouts; proposes commission plans (finance approves them).
  Changing logins (passwords, superuser status) stays with superusers: whoever may
  change users may make themselves a superuser.
- finance: approves commission plans, statements (read, export), payout batches and
  payouts, advances, expenses, FX rates, revenue imports, cash received on invoices; the
  ledger read-only.
- operations: brands, deals, deliverables, live sessions, ad accounts and spend, agency
  services, affiliate links and orders, invoices (issue, void; not the cash received).
- talent managers: their own creators (the admin scopes every row to them), accounts,
  contracts, metrics and imports; scores, eligibility and recalculation runs read-only.
"""

from django.db import migrations

VAC = ("view", "add", "change")

ROLES = {
    "agency admin": [
        *(
            f"agency.{a}_{m}"
            for m in ("partner", "partnerapikey", "webhookendpoint")
            for a in (*VAC, "delete")
        ),
        "agency.view_webhookdelivery",
        "agency.change_webhookdelivery",
        "auth.view_user",
        "auth.view_group",
        "otp_totp.view_totpdevice",
        "otp_totp.delete_totpdevice",
        "axes.view_accessattempt",
        "axes.delete_accessattempt",
        "axes.view_accesslog",
        "axes.view_accessfailurelog",
        *(f"billing.{a}_commissionplan" for a in VAC),
        "creators.view_contract",
    ],
    "finance": [
        "billing.view_commissionplan",
        "billing.approve_commissionplan",
        "billing.view_statement",
        "billing.view_statementline",
        "billing.export_statement",
        "billing.view_payoutbatch",
        "billing.change_payoutbatch",
        "billing.view_payout",
        "billing.change_payout",
        *(
            f"billing.{a}_{m}"
            for m in ("advance", "recoupableexpense", "exchangerate")
            for a in VAC
        ),
        "billing.view_importbatch",
        "billing.change_importbatch",
        "billing.view_revenueevent",
        "billing.view_revenuesplit",
        "billing.view_holdpolicy",
        "billing.view_account",
        "billing.view_ledgertransaction",
        "billing.view_ledgerleg",
        "campaigns.view_invoice",
        "campaigns.view_invoiceline",
        "campaigns.record_payment_invoice",
        "creators.view_creator",
        "creators.view_contract",
    ],
    "operations": [
        *(
            f"campaigns.{a}_{m}"
            for m in (
                "brand",
                "branddeal",
                "dealcreator",
                "deliverable",
                "livesession",
                "livemonthlyreport",
                "adaccount",
                "adspend",
                "serviceagreement",
                "serviceunit",
                "affiliatelink",
                "affiliateorder",
                "invoice",
                "invoiceline",
            )
            for a in VAC
        ),
        "campaigns.view_dealevent",
        "campaigns.view_livecommercerefund",
        "campaigns.view_affiliaterefund",
        "campaigns.view_invoiceseries",
        "creators.view_creator",
    ],
    "talent managers": [
        *(
            f"creators.{a}_{m}"
            for m in (
                "creator",
                "platformaccount",
                "contract",
                "accounthandle",
                "dailyaccountmetric",
                "video",
            )
            for a in VAC
        ),
        "creators.view_creatorperformance",
        "creators.view_eligibilityresult",
        "creators.view_recalcrun",
    ],
}
RENAMED = {"Talent managers": "talent managers"}  # the name the demo used before


def create_roles(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():  # permissions are made after migrate else
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for old, new in RENAMED.items():
        if not Group.objects.filter(name=new).exists():
            Group.objects.filter(name=old).update(name=new)
    for name, perms in ROLES.items():
        found = []
        for perm in perms:
            app_label, codename = perm.split(".")
            found.append(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(found)


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0003_invoice_payment_permission"),
        ("billing", "0005_approval_permissions"),
        ("creators", "0006_contract_history"),
        ("agency", "0002_webhooks"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("otp_totp", "0003_add_timestamps"),
        ("axes", "0010_accessattemptexpiration"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
