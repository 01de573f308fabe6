"""The creators admin: thin; reads through selectors, actions call services."""

from creators import dashboards
from creators.admin import eligibility, metrics, roster, runs, waves

__all__ = ["dashboards", "eligibility", "metrics", "roster", "runs", "waves"]
