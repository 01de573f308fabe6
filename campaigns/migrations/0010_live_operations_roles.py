"""Livestream operations data: operations keeps the livestream-operation price list and
records affiliate and live-commerce refunds; finance keeps the price list too, reads the
sessions, hosts and monthly LIVE reports and books the agreed LIVE amounts (its list in
0004_staff_roles plus these grants; tests compare the groups with both)."""

from django.db import migrations

from agency.roles import grants_migration

VAC = ("view", "add", "change")

GRANTS = {
    "operations": [
        *(("campaigns", f"{a}_liveoperationprice") for a in VAC),
        ("campaigns", "add_affiliaterefund"),
        ("campaigns", "add_livecommercerefund"),
        ("campaigns", "view_livehost"),
        ("campaigns", "view_livereportbooking"),
    ],
    "finance": [
        *(("campaigns", f"{a}_liveoperationprice") for a in VAC),
        ("campaigns", "view_livesession"),
        ("campaigns", "view_livehost"),
        ("campaigns", "view_livemonthlyreport"),
        ("campaigns", "view_livereportbooking"),
        ("campaigns", "add_livereportbooking"),
    ],
}

FORWARD, BACKWARD = grants_migration(GRANTS)


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0009_live_operations_data")]

    operations = [migrations.RunPython(FORWARD, BACKWARD)]
