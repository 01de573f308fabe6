"""Serializers of the billing partner API. Money is {"amount": "12.34", "currency": "USD"}."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from agency.money import to_major


class MoneySerializer(serializers.Serializer):
    amount = serializers.CharField(help_text="Decimal string in major units, e.g. 12.34.")
    currency = serializers.CharField(help_text="ISO 4217 code.")


def money(amount_minor: int, currency: str) -> dict:
    return {"amount": str(to_major(amount_minor, currency)), "currency": currency}


class MoneyField(serializers.Field):
    """Read-only money from a ``*_minor`` attribute and a currency attribute."""

    def __init__(self, *, currency_attr: str = "currency", **kwargs):
        self.currency_attr = currency_attr
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def get_attribute(self, instance):
        currency = instance
        for part in self.currency_attr.split("."):
            currency = getattr(currency, part)
        return (getattr(instance, self.source), currency)

    def to_representation(self, value):
        amount, currency = value
        return None if amount is None else money(amount, currency)


MoneyField = extend_schema_field(MoneySerializer)(MoneyField)


class DecimalStringField(serializers.DecimalField):
    """An amount in major units, sent as a decimal string ("12.34"). A JSON number is refused:
    a float cannot carry every amount exactly. The currency's own precision is checked by
    the service."""

    default_error_messages = {
        **serializers.DecimalField.default_error_messages,
        "not_a_string": 'Send money as a decimal string, e.g. "12.34", not a JSON number.',
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 18)
        kwargs.setdefault("decimal_places", 3)
        kwargs.setdefault("min_value", 0)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_a_string")
        return super().to_internal_value(data)
