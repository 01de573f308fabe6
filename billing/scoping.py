"""The trust boundary of data partners (``BILLING_DATA_PARTNER_SCOPE``).

- ``agency`` (the default): a data partner is a platform or reporting service the agency
  contracted for all its creators; its revenue events and remittance lines may name any
  creator of the agency. Its sources are still its own: it never refunds, pays or reads
  another partner's events.
- ``assigned``: it may name only the creators assigned to it (``DataPartnerCreator``, kept
  by the agency admin); any other creator is "Unknown creator." exactly as one that does not
  exist, so a partner learns nothing about creators outside its scope.
"""

from typing import TypeVar

from agency.models import Partner
from billing import conf
from billing.models import DataPartnerCreator

T = TypeVar("T")


def creators_in_scope(*, partner: Partner | None, creators: dict[int, T]) -> dict[int, T]:
    """``creators`` (by id) narrowed to those ``partner`` may name; one query at most."""
    if partner is None or partner.kind != Partner.Kind.DATA_PARTNER:
        return creators
    if conf.data_partner_scope() != conf.SCOPE_ASSIGNED or not creators:
        return creators
    assigned = set(
        DataPartnerCreator.objects.filter(partner=partner, creator_id__in=creators).values_list(
            "creator_id", flat=True
        )
    )
    return {pk: c for pk, c in creators.items() if pk in assigned}
