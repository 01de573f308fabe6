from rest_framework.permissions import BasePermission

from agency.api.authentication import PartnerPrincipal


class IsPartner(BasePermission):
    """An authenticated partner, of one of the view's ``partner_kinds`` when it names any."""

    message = "This endpoint is not available to your partner kind."

    def has_permission(self, request, view) -> bool:
        principal = request.user
        if not isinstance(principal, PartnerPrincipal):
            return False
        kinds = getattr(view, "partner_kinds", None)
        return not kinds or principal.partner.kind in kinds
