"""Write use cases of the agency platform: partners and their API keys, staff second factors."""

import base64
import io

import qrcode
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from agency.errors import Conflict
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


@transaction.atomic
def staff_totp_enrol(*, user, replace: bool = False) -> TOTPDevice:
    """A confirmed TOTP device for a staff ``user`` (their second factor in the admin).

    A user who has one already keeps it unless ``replace`` (a lost phone): then their other
    TOTP devices are removed, so the old secret stops working."""
    existing = TOTPDevice.objects.filter(user=user, confirmed=True)
    if existing.exists() and not replace:
        raise Conflict(f"{user.get_username()} has an authenticator already; replace it.")
    TOTPDevice.objects.filter(user=user).delete()
    return TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)


def totp_setup_text(device: TOTPDevice) -> str:
    """What a person needs to add the device to an authenticator app: the otpauth:// URI,
    its secret for typing by hand, and the URI as a QR code drawn in text."""
    buffer = io.StringIO()
    qr = qrcode.QRCode(border=1)
    qr.add_data(device.config_url)
    qr.print_ascii(out=buffer, invert=True)
    return (
        f"  authenticator URI: {device.config_url}\n"
        f"  secret (type it in by hand): {base64.b32encode(device.bin_key).decode()}\n"
        f"{buffer.getvalue()}"
    )
