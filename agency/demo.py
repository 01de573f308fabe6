"""Demo partners with known API keys, so the API can be tried right after ``make run``."""

from agency import services
from agency.models import Partner

DEMO_PARTNERS = [
    ("Glow Cosmetics", Partner.Kind.BRAND),
    ("Nimbus Audio", Partner.Kind.BRAND),
    ("Star Guild", Partner.Kind.SUB_AGENCY),
    ("Metricsy Data", Partner.Kind.DATA_PARTNER),
]


def seed(*, stdout) -> None:
    for name, kind in DEMO_PARTNERS:
        partner = services.partner_create(name=name, kind=kind)
        _, key = services.partner_api_key_create(partner=partner, name="demo key")
        stdout.write(f"  {kind:<13} {name:<16} Authorization: Api-Key {key}")
