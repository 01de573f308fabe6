"""A rule set's per-country rates as staff read and type them: one country a line,
``US 0.70 - 1.00`` in the rule set's currency (major units) per its rate's N views.

Stored as ``{"US": [70, 100]}`` in minor units (``EligibilityRuleSet.country_rates``); the
form converts with the currency chosen on the same form (``parse_major``: more decimals
than the currency has are refused, never rounded), so nobody types or reads raw JSON.
"""

import re

from django import forms
from django.contrib import admin

from agency.admin_fields import MoneyAdminMixin, MoneyForm
from agency.money import parse_major, to_major

_LINE = re.compile(
    r"(?P<country>[A-Za-z]{2})\s*:?\s*(?P<low>[\d.,]+)\s*(?:-|\u2013|to)\s*(?P<high>[\d.,]+)",
    re.IGNORECASE,
)
HELP = (
    "One country a line, e.g. “US 0.70 - 1.00”: the low and high rate in the rate currency "
    "per the rate's N views. Countries not listed use the minimum and maximum above. The "
    "seeded lines are a default spread inside the program's range, to edit freely."
)


def rates_text(rates: dict, currency: str) -> str:
    """``{"US": [70, 100]}`` -> ``US 0.70 - 1.00`` lines (countries in alphabetical order)."""
    return "\n".join(
        f"{code} {to_major(low, currency):,} - {to_major(high, currency):,}"
        for code, (low, high) in sorted(rates.items())
    )


class CountryRatesField(forms.CharField):
    """Cleans the lines to ``[(line number, "US", "0.70", "1.00")]``; the form converts the
    amounts once the currency is known."""

    def __init__(self, **kwargs):
        kwargs.update(required=False, help_text=HELP, label="Rates per country")
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 8, "cols": 40}))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        return "" if isinstance(value, dict) and not value else value

    def to_python(self, value):
        lines, seen = [], set()
        for number, line in enumerate((value or "").splitlines(), start=1):
            if not line.strip():
                continue
            match = _LINE.fullmatch(line.strip())
            if match is None:
                raise forms.ValidationError(
                    f"Line {number}: write a country code and a range, e.g. “US 0.70 - 1.00”."
                )
            country = match["country"].upper()
            if country in seen:
                raise forms.ValidationError(f"Line {number}: {country} is listed twice.")
            seen.add(country)
            lines.append((number, country, match["low"], match["high"]))
        return lines

    def has_changed(self, initial, data) -> bool:
        def plain(text) -> list[str]:
            return [" ".join(line.split()) for line in str(text or "").splitlines() if line.strip()]

        return plain(initial) != plain(data)


class RuleSetForm(MoneyForm):
    """The rule set form: money fields as :class:`MoneyForm` does, and ``country_rates`` as
    lines in the rate currency."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields.get("country_rates")
        stored = self.initial.get("country_rates")
        currency = self.initial.get("rate_currency")
        if isinstance(field, CountryRatesField) and isinstance(stored, dict) and currency:
            self.initial["country_rates"] = rates_text(stored, currency)

    def clean(self):
        cleaned = super().clean()
        lines = cleaned.get("country_rates")
        if not isinstance(self.fields.get("country_rates"), CountryRatesField):
            return cleaned
        if not lines:
            cleaned["country_rates"] = {}
            return cleaned
        currency = cleaned.get("rate_currency")
        if not currency:
            self.add_error("country_rates", "Choose the rate currency first.")
            return cleaned
        rates = {}
        for number, country, low, high in lines:
            try:
                pair = [parse_major(low, currency), parse_major(high, currency)]
            except ValueError as exc:
                self.add_error("country_rates", f"Line {number}: {exc}")
                continue
            if pair[0] > pair[1]:
                self.add_error("country_rates", f"Line {number}: the low rate is above the high.")
                continue
            rates[country] = pair
        cleaned["country_rates"] = rates
        return cleaned


class CountryRatesAdminMixin(MoneyAdminMixin):
    """For the rule set admin and its inline: rates in major units, as lines; a user who may
    only view the rule set reads the same lines (never the stored JSON)."""

    form = RuleSetForm
    money_currency = "rate_currency"

    @admin.display(description="rates per country")
    def rates_per_country(self, obj) -> str:
        if not obj or not obj.country_rates:
            return "— (every country at the minimum and maximum above)"
        return rates_text(obj.country_rates, obj.rate_currency).replace("\n", "; ")

    def _view_only(self, request, obj) -> bool:
        return obj is not None and not self.has_change_permission(request, obj)

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        if self._view_only(request, obj):
            fields = ["rates_per_country" if f == "country_rates" else f for f in fields]
        return fields

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if self._view_only(request, obj):
            readonly.append("rates_per_country")
        return readonly

    def get_exclude(self, request, obj=None):
        excluded = list(super().get_exclude(request, obj) or [])
        return [*excluded, "country_rates"] if self._view_only(request, obj) else excluded

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "country_rates":
            return CountryRatesField()
        return super().formfield_for_dbfield(db_field, request, **kwargs)
