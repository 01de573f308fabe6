"""The creators admin: thin; reads through selectors, actions call services."""

from creators.admin import eligibility, metrics, roster, runs, waves

__all__ = ["eligibility", "metrics", "roster", "runs", "waves"]
