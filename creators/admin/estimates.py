"""Earnings estimates as staff read them: major units, the basis and the rate used."""

from agency.money import format_money
from creators.models import EligibilityResult


def estimate_text(result: EligibilityResult) -> str:
    """ "about USD 120.00 to USD 300.00 a month on qualified views (1,000,000 in the window)
    at USD 0.40 to USD 1.00 per 1,000 (US rate)": major units, the basis and the rate used."""
    currency = result.estimate_currency
    text = (
        f"about {format_money(result.estimate_min_minor, currency)} to "
        f"{format_money(result.estimate_max_minor, currency)} a month"
    )
    if result.estimate_basis:
        basis = result.estimate_basis.replace("_", " ")
        text += f" on {basis} ({result.estimate_basis_views:,} in the window)"
    if result.estimate_rate_min_minor is not None:
        country = result.estimate_rate_country
        where = f"{country} rate" if country else "default rate"
        text += (
            f" at {format_money(result.estimate_rate_min_minor, currency)} to "
            f"{format_money(result.estimate_rate_max_minor, currency)} per "
            f"{result.estimate_rate_per_views:,} ({where})"
        )
    return text
