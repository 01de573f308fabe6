from rest_framework.throttling import SimpleRateThrottle

from agency.api.authentication import PartnerPrincipal


class PartnerKeyRateThrottle(SimpleRateThrottle):
    """A request budget per API key (429 past it); unauthenticated calls by client IP."""

    scope = "partner_key"

    def get_cache_key(self, request, view):
        principal = request.user
        ident = (
            f"key:{principal.api_key_id}"
            if isinstance(principal, PartnerPrincipal)
            else f"ip:{self.get_ident(request)}"
        )
        return self.cache_format % {"scope": self.scope, "ident": ident}
