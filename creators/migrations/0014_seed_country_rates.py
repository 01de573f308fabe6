"""Per-country earnings rates for the programs that pay per view, from 1 December 2026.

domain.md gives one range per program (Creator Fund: USD 10-20 per 1M For You views, the US
paying most; Creator Rewards: about USD 0.40-1.00 per 1,000 qualified views). The spread by
country below is a seeded default inside those ranges (the US at the top, the others lower),
not a published table: staff edit it on the rule set in the admin.

Versioned as rule sets are, so no past estimate changes: the version in force on
``COUNTRY_RATES_FROM`` is closed the day before and followed by a copy carrying the rates;
a version that starts on that day (the Creator Fund's version 3, not yet in force when this
was written) gets them itself. A rule set that already has country rates is left alone.
"""

import datetime as dt

from django.db import migrations
from django.db.models import Max, Q

COUNTRY_RATES_FROM = dt.date(2026, 12, 1)

# Minor units (US cents) per the rule set's rate_per_views, [low, high].
COUNTRY_RATES = {
    # per 1,000,000 For You views; offered in IT and ES only since December 2023
    "tiktok_creator_fund": {"IT": [1_200, 1_800], "ES": [1_000, 1_600]},
    # per 1,000 qualified views
    "tiktok_creator_rewards": {
        "US": [70, 100],
        "GB": [60, 90],
        "DE": [60, 90],
        "FR": [50, 80],
        "JP": [50, 80],
        "KR": [45, 70],
        "BR": [40, 60],
    },
}
NOTE = (
    "Rates per country: a seeded default spread inside the program's range (the US at the "
    "top), editable here."
)


def seed(apps, schema_editor):
    RuleSet = apps.get_model("creators", "EligibilityRuleSet")
    for code, rates in COUNTRY_RATES.items():
        current = RuleSet.objects.filter(
            Q(effective_to__isnull=True) | Q(effective_to__gt=COUNTRY_RATES_FROM),
            program__code=code,
            effective_from__lte=COUNTRY_RATES_FROM,
        ).first()
        if current is None or current.country_rates:
            continue
        notes = f"{current.notes}\n{NOTE}".strip()
        if current.effective_from == COUNTRY_RATES_FROM:
            current.country_rates, current.notes = rates, notes
            current.save(update_fields=["country_rates", "notes"])
            continue
        latest = RuleSet.objects.filter(program_id=current.program_id).aggregate(v=Max("version"))
        ends = current.effective_to
        current.effective_to = COUNTRY_RATES_FROM
        current.save(update_fields=["effective_to"])
        current.pk = None
        current.version = latest["v"] + 1
        current.effective_from, current.effective_to = COUNTRY_RATES_FROM, ends
        current.country_rates, current.notes = rates, notes
        current.save()


class Migration(migrations.Migration):
    dependencies = [("creators", "0013_drop_redundant_fk_indexes")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
