"""``Authorization: Api-Key <key>``: authenticates a request as one partner.

Failed attempts count per client address (``AuthFailureThrottle``): past the budget, an
address gets 429 for every API-key request until its window frees up.

A process remembers the keys it authenticated (their partner) for ``KNOWN_KEY_SECONDS``,
so a known key costs no query: one Redis round trip checks the address's failure budget,
that the key's stamp is the one seen when it was looked up, and counts the request in the
key's window (``throttling.key_request_check``). Saving or deleting a key or its partner
(revoking, expiring, deactivating, in the service or the admin) replaces the key's stamp,
so every process looks the key up again on its next request: a revoked key is refused at
once. Only a change that skips the model's ``save`` (a queryset ``update()``, raw SQL) waits
for the window, ``KNOWN_KEY_SECONDS``. While Redis is down keys are looked up every time.
"""

import hashlib
import time
from dataclasses import dataclass

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from agency.api import throttling
from agency.api.throttling import AuthFailureThrottle
from agency.models import Partner, PartnerAPIKey

KEYWORD = "Api-Key"
KNOWN_KEY_SECONDS = 30.0  # the longest a process trusts a key it knows without the stamp
KNOWN_KEYS_MAX = 10_000  # bound on the memory: forgotten all at once past it


@dataclass(frozen=True)
class PartnerPrincipal:
    """``request.user`` for partner requests: the partner and the key it used."""

    partner: Partner
    api_key_id: str
    is_authenticated: bool = True
    is_anonymous: bool = False
    is_staff: bool = False

    @property
    def pk(self) -> str:
        return f"partner:{self.partner.pk}"


@dataclass(frozen=True)
class _Known:
    """A key this process authenticated: its partner's columns, expiry and stamp."""

    api_key_id: str
    partner_fields: tuple[str, ...]
    partner_values: tuple
    expiry_date: object
    stamp: bytes
    until: float  # time.monotonic() after which the key is looked up again

    def usable(self) -> bool:
        return self.expiry_date is None or timezone.now() < self.expiry_date

    def principal(self) -> PartnerPrincipal:
        partner = Partner.from_db("default", self.partner_fields, self.partner_values)
        return PartnerPrincipal(partner=partner, api_key_id=self.api_key_id)


_known: dict[str, _Known] = {}


def known_keys_forget() -> None:
    _known.clear()


throttling._reset_hooks.append(known_keys_forget)


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class PartnerAPIKeyAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        keyword, _, key = header.partition(" ")
        if keyword != KEYWORD:
            return None
        key = key.strip()
        digest = _digest(key)
        known = _known.get(digest)
        if known is not None and known.until <= time.monotonic():
            known = None
        check = throttling.key_request_check(
            request,
            prefix=key.partition(".")[0],
            api_key_id=known.api_key_id if known else None,
            expected_stamp=known.stamp if known else None,
        )
        failures = AuthFailureThrottle()
        if check is None:  # the cache is down: the failure budget is kept in this process
            failures.check(request)
        elif check.failures_used_up is not None:
            raise exceptions.Throttled(wait=check.failures_used_up.wait)
        elif check.request is not None and known is not None and known.usable():
            return known.principal(), None
        _known.pop(digest, None)
        try:
            principal, api_key = self._authenticate_key(key)
        except exceptions.AuthenticationFailed:
            failures.record_failure(request)
            raise
        if check is not None:  # the stamp read before the lookup: any later change differs
            self._remember(digest, api_key, stamp=check.stamp)
        return principal, api_key

    def _remember(self, digest: str, api_key: PartnerAPIKey, *, stamp: bytes) -> None:
        if len(_known) >= KNOWN_KEYS_MAX:
            _known.clear()
        partner = api_key.partner
        names = tuple(f.attname for f in Partner._meta.concrete_fields)
        _known[digest] = _Known(
            api_key_id=api_key.pk,
            partner_fields=names,
            partner_values=tuple(getattr(partner, n) for n in names),
            expiry_date=api_key.expiry_date,
            stamp=stamp,
            until=time.monotonic() + KNOWN_KEY_SECONDS,
        )

    def _authenticate_key(self, key: str):
        if not key:
            raise exceptions.AuthenticationFailed("Empty API key.")
        try:
            api_key = PartnerAPIKey.objects.get_from_key(key)
        except PartnerAPIKey.DoesNotExist:
            raise exceptions.AuthenticationFailed("Invalid or revoked API key.") from None
        if api_key.expiry_date is not None and api_key.expiry_date <= timezone.now():
            raise exceptions.AuthenticationFailed("Expired API key.")
        if not api_key.partner.is_active:
            raise exceptions.AuthenticationFailed("This partner is inactive.")
        return PartnerPrincipal(partner=api_key.partner, api_key_id=api_key.pk), api_key

    def authenticate_header(self, request) -> str:
        return KEYWORD


def _stamps_replace(prefixes: list[str]) -> None:
    """Now (this process and the tests' transactions see it at once) and after the commit
    (a process that read the key before the commit looks it up again)."""
    prefixes = list(prefixes)
    throttling.key_stamps_replace(prefixes)
    transaction.on_commit(lambda: throttling.key_stamps_replace(prefixes))


@receiver([post_save, post_delete], sender=PartnerAPIKey)
def _api_key_changed(sender, instance: PartnerAPIKey, **kwargs) -> None:
    _stamps_replace([instance.prefix])


@receiver([post_save, post_delete], sender=Partner)
def _partner_changed(sender, instance: Partner, **kwargs) -> None:
    if kwargs.get("created"):
        return
    keys = PartnerAPIKey.objects.filter(partner_id=instance.pk)
    _stamps_replace(list(keys.values_list("prefix", flat=True)))


class PartnerAPIKeyScheme(OpenApiAuthenticationExtension):
    target_class = PartnerAPIKeyAuthentication
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Api-Key <key>`",
        }
