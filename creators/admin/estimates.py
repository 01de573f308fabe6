"""Earnings estimates as staff read them: major units, the basis and the rate used."""

from agency.money import to_major
from creators.models import EligibilityResult


def estimate_text(result: EligibilityResult) -> str:
    """ "about 120.00-300.00 USD a month on qualified views (1,000,000 in the window) at
    0.40-1.00 USD per 1,000 (US rate)": major units, the basis and the rate used."""
    currency = result.estimate_currency
    text = (
        f"about {to_major(result.estimate_min_minor, currency):,}-"
        f"{to_major(result.estimate_max_minor, currency):,} {currency} a month"
    )
    if result.estimate_basis:
        basis = result.estimate_basis.replace("_", " ")
        text += f" on {basis} ({result.estimate_basis_views:,} in the window)"
    if result.estimate_rate_min_minor is not None:
        country = result.estimate_rate_country
        where = f"{country} rate" if country else "default rate"
        text += (
            f" at {to_major(result.estimate_rate_min_minor, currency):,}-"
            f"{to_major(result.estimate_rate_max_minor, currency):,} {currency} per "
            f"{result.estimate_rate_per_views:,} ({where})"
        )
    return text
