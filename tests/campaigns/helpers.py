"""Walk a deal through its states with the services, as staff would."""

from campaigns.models import DealStatus
from campaigns.services.deals import deal_transition

TO_APPROVED = [
    DealStatus.NEGOTIATING,
    DealStatus.CONTRACTED,
    DealStatus.IN_PRODUCTION,
    DealStatus.DELIVERED,
    DealStatus.APPROVED,
]


def advance(deal, *statuses, actor=None):
    for status in statuses:
        deal = deal_transition(deal=deal, to_status=status, actor=actor)
    return deal
