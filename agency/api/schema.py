"""OpenAPI: every partner operation documents the one error shape for its error statuses."""

import django_filters
from django import forms
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field, inline_serializer
from rest_framework import serializers

ErrorSerializer = inline_serializer(
    name="Error",
    fields={
        "error": inline_serializer(
            name="ErrorBody",
            fields={
                "code": serializers.CharField(),
                "message": serializers.CharField(),
                "fields": serializers.DictField(
                    required=False, help_text="Field (or row index) to reasons."
                ),
                "detail": serializers.DictField(required=False),
                "request_id": serializers.CharField(required=False),
            },
        )
    },
)

_ERRORS = {
    "400": (
        "Invalid input: `fields` names each bad field and its reason (also JSON nested too "
        "deeply, and NUL characters in the URL, a query parameter or a string)."
    ),
    "401": "Missing, unknown, revoked or expired API key.",
    "403": "The endpoint is not available to this partner kind.",
    "404": "No such object for this partner.",
    "409": "Conflict: the object changed, or the Idempotency-Key is in use.",
    "413": "The request body is larger than the limit (about 2.5 MB).",
    "422": "The Idempotency-Key was used with a different request.",
    "429": "Too many requests for this API key; see Retry-After.",
}


class PartnerAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if not self.get_auth():
            return responses
        codes = ["400", "401", "403", "404", "429"]
        if self.method == "POST":
            codes += ["409", "413", "422"]
        for code in codes:
            if code not in responses:
                response = self._get_response_for_code(ErrorSerializer, code, direction=direction)
                response["description"] = _ERRORS[code]
                responses[code] = response
        return responses


@extend_schema_field(OpenApiTypes.INT)
class IdFilter(django_filters.NumberFilter):
    """A filter on an id: an integer in the schema and in the query (anything else is a
    400). An id outside the partner's scope, or past PostgreSQL's bigint, finds nothing."""

    field_class = forms.IntegerField

    def filter(self, qs, value):
        if value is not None and not -(2**63) <= value < 2**63:
            return qs.none()
        return super().filter(qs, value)
