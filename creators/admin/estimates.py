"""Earnings estimates as staff read them: major units, the basis and the rate used."""

from agency.money import format_money
from creators.models import EligibilityResult


def estimate_text(result: EligibilityResult, *, country: str = "") -> str:
    """ "about USD 120.00 to USD 300.00 a month on qualified views (1,000,000 in the window)
    at USD 0.40 to USD 1.00 per 1,000 (US rate)": major units, the basis and the rate used.
    ``country``, the creator's, says why the default rate applied when the rule set has rates
    per country but none for it ("no rate set for CA"); reads ``result.rule_set``."""
    currency = result.estimate_currency
    text = (
        f"about {format_money(result.estimate_min_minor, currency)} to "
        f"{format_money(result.estimate_max_minor, currency)} a month"
    )
    if result.estimate_basis:
        basis = result.estimate_basis.replace("_", " ")
        text += f" on {basis} ({result.estimate_basis_views:,} in the window)"
    if result.estimate_rate_min_minor is not None:
        used = result.estimate_rate_country
        where = f"{used} rate" if used else "default rate"
        if not used and country and result.rule_set.country_rates:
            where += f"; no rate set for {country}"
        text += (
            f" at {format_money(result.estimate_rate_min_minor, currency)} to "
            f"{format_money(result.estimate_rate_max_minor, currency)} per "
            f"{result.estimate_rate_per_views:,} ({where})"
        )
    return text
