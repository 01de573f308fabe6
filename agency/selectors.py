from django.db.models import QuerySet

from agency.models import Partner, PartnerAPIKey


def partner_api_key_list(*, partner: Partner) -> QuerySet[PartnerAPIKey]:
    return PartnerAPIKey.objects.filter(partner=partner).order_by("-created", "prefix")
