"""LIVE gifts are offered in a list of countries, as the other TikTok programs are: the
seeded rule set gets it (left alone when someone already set countries on it)."""

from django.db import migrations

LIVE_GIFTS_COUNTRIES = [
    "BR", "DE", "ES", "FR", "GB", "ID", "IT", "JP", "KR", "MY", "PH", "SG", "TH", "US", "VN",
]  # fmt: skip


def set_countries(apps, schema_editor):
    RuleSet = apps.get_model("creators", "EligibilityRuleSet")
    RuleSet.objects.filter(program__code="live_gifts", version=1, countries=[]).update(
        countries=LIVE_GIFTS_COUNTRIES
    )


def clear_countries(apps, schema_editor):
    RuleSet = apps.get_model("creators", "EligibilityRuleSet")
    RuleSet.objects.filter(
        program__code="live_gifts", version=1, countries=LIVE_GIFTS_COUNTRIES
    ).update(countries=[])


class Migration(migrations.Migration):
    dependencies = [("creators", "0011_account_strike_flags")]

    operations = [migrations.RunPython(set_countries, clear_countries)]
