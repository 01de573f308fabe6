"""Write use cases of the agency platform: partners and their API keys."""

from django.db import transaction

from agency.models import Partner, PartnerAPIKey


@transaction.atomic
def partner_create(*, name: str, kind: str, is_active: bool = True) -> Partner:
    partner = Partner(name=name, kind=kind, is_active=is_active)
    partner.full_clean()
    partner.save()
    return partner


@transaction.atomic
def partner_api_key_create(*, partner: Partner, name: str) -> tuple[PartnerAPIKey, str]:
    """Create a key; the full key is returned once here and never stored (only its hash)."""
    api_key, key = PartnerAPIKey.objects.create_key(partner=partner, name=name[:50])
    return api_key, key


@transaction.atomic
def partner_api_key_revoke(*, api_key: PartnerAPIKey) -> PartnerAPIKey:
    """Revoke a key. Idempotent: a revoked key stays revoked (it cannot be un-revoked)."""
    locked = PartnerAPIKey.objects.select_for_update().get(pk=api_key.pk)
    if not locked.revoked:
        locked.revoked = True
        locked.save(update_fields=["revoked"])
    return locked
