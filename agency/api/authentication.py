"""``Authorization: Api-Key <key>``: authenticates a request as one partner.

Failed attempts count per client address (``AuthFailureThrottle``): past the budget, an
address gets 429 for every API-key request until its window frees up.
"""

from dataclasses import dataclass

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from agency.api.throttling import AuthFailureThrottle
from agency.models import Partner, PartnerAPIKey

KEYWORD = "Api-Key"


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


class PartnerAPIKeyAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        keyword, _, key = header.partition(" ")
        if keyword != KEYWORD:
            return None
        failures = AuthFailureThrottle()
        failures.check(request)
        try:
            return self._authenticate_key(key.strip())
        except exceptions.AuthenticationFailed:
            failures.record_failure(request)
            raise

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
