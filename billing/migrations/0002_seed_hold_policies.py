from django.db import migrations

# Defaults from the domain notes: TikTok Shop affiliate settles ~15 days after delivery,
# affiliate networks lock a month's actions some weeks after month end, brands pay net 30-90.
HOLD_POLICIES = [
    ("brand_deal", 45, True, "Brands pay net 30 to 90+ days; payable when the cash arrives."),
    ("live_gifts", 15, True, "Platform settles LIVE diamonds about two weeks after the month."),
    ("live_commerce", 15, True, "Shop orders settle about 15 days after delivery."),
    ("affiliate", 45, True, "Networks lock a month's actions some weeks after month end."),
    ("creator_fund", 30, True, "Platform programs pay the month after."),
    ("agency_service", 30, True, "Invoiced services; payable when the client pays."),
]


def seed(apps, schema_editor):
    HoldPolicy = apps.get_model("billing", "HoldPolicy")
    for stream, days, pay_when_paid, note in HOLD_POLICIES:
        HoldPolicy.objects.update_or_create(
            stream=stream,
            defaults={"hold_days": days, "pay_when_paid": pay_when_paid, "note": note},
        )


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
