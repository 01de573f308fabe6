"""Money and rates in the admin as people read and type them: the one form field, the one
column helper and the one admin mixin every screen uses.

Amounts are stored in integer minor units (agency/money.py) and never shown or typed that
way: a column reads ``USD 1,234.57`` (:func:`money_column`), a form field takes ``1,234.57``
in the row's currency (:class:`MoneyField`, converted by :class:`MoneyForm` once the
currency is known, so ``1.234`` is refused for USD and ``120000`` is yen for JPY). Rates
stored as fractions of one read and are typed as percentages (:class:`PercentField`,
:func:`rate_column`). :class:`MoneyAdminMixin` swaps these fields in for every ``*_minor``
integer and every ``*_rate`` / ``*_share`` fraction of a model, on a ModelAdmin or an inline.
"""

import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.db import models

from agency.money import format_money, format_rate, parse_major, to_major

MINOR_SUFFIX = "_minor"
_UNIT_NOTE = re.compile(r"\s*\(minor units[^)]*\)")


def is_money_field(db_field) -> bool:
    return isinstance(db_field, models.IntegerField) and db_field.name.endswith(MINOR_SUFFIX)


def is_rate_field(db_field) -> bool:
    """Fractions of one with six decimals (the project's RATE_FIELD), named as rates."""
    return (
        isinstance(db_field, models.DecimalField)
        and db_field.decimal_places == 6
        and db_field.name.endswith(("_rate", "_share"))
    )


def resolve(obj: Any, path: str) -> Any:
    """``obj.a.b`` for ``"a.b"``; None where a link is missing (e.g. an unsaved inline)."""
    for part in path.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj


def _describe(field: str) -> str:
    return field.removesuffix(MINOR_SUFFIX).replace("_", " ")


def money_column(
    field: str, *, currency: str = "currency", description: str | None = None
) -> Callable[[Any], str]:
    """An admin column (list_display, readonly_fields) showing ``field`` (minor units, a
    model field or an annotation) as ``USD 1,234.57``; ``currency`` is the path to the row's
    currency (``"currency"``, ``"invoice.currency"``)."""

    def show(obj) -> str:
        amount = getattr(obj, field, None)
        code = resolve(obj, currency)
        return "—" if amount is None or not code else format_money(amount, code)

    show.__name__ = field.removesuffix(MINOR_SUFFIX)
    show.short_description = description or _describe(field)  # type: ignore[attr-defined]
    show.admin_order_field = field  # type: ignore[attr-defined]
    return show


def rate_column(field: str, *, description: str | None = None) -> Callable[[Any], str]:
    """An admin column showing a stored fraction (``0.200000``) as ``20 %``."""

    def show(obj) -> str:
        return format_rate(getattr(obj, field, None))

    show.__name__ = field
    show.short_description = description or field.replace("_", " ")  # type: ignore[attr-defined]
    show.admin_order_field = field  # type: ignore[attr-defined]
    return show


class MoneyField(forms.CharField):
    """An amount typed in major units (``1,234.57``). The field alone does not know the
    currency; :class:`MoneyForm` converts it to minor units with the row's currency, found
    at ``currency_from`` (a form field, else a path on the instance, e.g. "invoice.currency").
    """

    def __init__(self, *, currency_from: str = "currency", **kwargs):
        kwargs.setdefault("help_text", "In the currency's units, e.g. 1,234.56 (JPY: 120,000).")
        kwargs.setdefault("empty_value", None)
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal", "size": 14}))
        super().__init__(**kwargs)
        self.currency_from = currency_from

    def has_changed(self, initial, data) -> bool:
        def plain(value) -> str:
            return "" if value in (None, "") else str(value).replace(",", "").replace(" ", "")

        return plain(initial) != plain(data)


class PercentField(forms.DecimalField):
    """A rate typed as a percentage (``20`` or ``12.5 %``), cleaned to a fraction of one
    (``0.200000``) as stored."""

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", "A percentage, e.g. 20 or 12.5.")
        super().__init__(min_value=Decimal(0), max_value=Decimal(100), decimal_places=4, **kwargs)

    def prepare_value(self, value):
        if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
            return format_rate(value).removesuffix(" %")
        return value

    def to_python(self, value):
        if isinstance(value, str):
            value = value.strip().removesuffix("%").strip()
        return super().to_python(value)

    def has_changed(self, initial, data) -> bool:
        if data in (None, ""):
            return initial not in (None, "")
        try:
            typed = self.clean(data)
        except forms.ValidationError:
            return True
        stored = None if initial in (None, "") else Decimal(str(initial))
        return typed != stored

    def clean(self, value):
        percent = super().clean(value)
        return None if percent is None else (percent / 100).quantize(Decimal("0.000001"))


class TiersWidget(forms.Widget):
    """Rows of (threshold, rate): a tier applies from its threshold of the month's gross."""

    template_name = "admin/agency/tiers_widget.html"
    rows = 5

    def format_value(self, value):
        return value

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        rows = list(value or [])
        rows += [("", "")] * max(self.rows - len(rows), 1)
        context["widget"]["rows"] = [
            {"index": i, "threshold": threshold, "rate": rate}
            for i, (threshold, rate) in enumerate(rows)
        ]
        return context

    def value_from_datadict(self, data, files, name):
        rows = []
        for i in range(50):
            threshold_key, rate_key = f"{name}_threshold_{i}", f"{name}_rate_{i}"
            if threshold_key not in data and rate_key not in data:
                break
            rows.append((data.get(threshold_key, "").strip(), data.get(rate_key, "").strip()))
        return rows

    def value_omitted_from_data(self, data, files, name):
        return f"{name}_threshold_0" not in data


class TiersField(forms.Field):
    """Commission tiers edited as rows: the threshold in the plan's currency (major units)
    and the rate as a percentage. Blank rows are ignored; a half-filled row, a threshold that
    is not above the previous one or a rate outside 0-100 % is refused with its row number.
    Cleans to the stored JSON: ``[{"from": "10000.00", "rate": "0.200000"}]`` (thresholds
    are checked against the currency's decimals by :class:`MoneyForm`)."""

    widget = TiersWidget

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "help_text",
            "Above each threshold of the month's gross, the agency rate becomes the tier's rate.",
        )
        kwargs["required"] = False
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, list) and value and isinstance(value[0], dict):
            return [
                (f"{Decimal(t['from']):,}", format_rate(t["rate"]).removesuffix(" %"))
                for t in value
            ]
        return value

    def to_python(self, value):
        tiers, previous = [], Decimal(0)
        for number, (threshold, rate) in enumerate(value or [], start=1):
            if not threshold and not rate:
                continue
            if not threshold or not rate:
                raise forms.ValidationError(f"Tier {number}: enter both a threshold and a rate.")
            try:
                amount = Decimal(threshold.replace(",", "").replace(" ", ""))
                percent = Decimal(rate.removesuffix("%").strip())
            except InvalidOperation:
                raise forms.ValidationError(f"Tier {number}: numbers only.") from None
            if amount <= previous:
                raise forms.ValidationError(
                    f"Tier {number}: thresholds must be positive and ascending."
                )
            if not Decimal(0) <= percent <= Decimal(100):
                raise forms.ValidationError(f"Tier {number}: the rate is a percentage, 0-100.")
            previous = amount
            fraction = (percent / 100).quantize(Decimal("0.000001"))
            tiers.append({"from": str(amount), "rate": str(fraction)})
        return tiers


class MoneyForm(forms.ModelForm):
    """Converts :class:`MoneyField` values to minor units with the row's currency (and checks
    tier thresholds against it); shows stored amounts in major units."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            stored = self.initial.get(name)
            if isinstance(field, MoneyField) and isinstance(stored, int):
                code = self._currency(field.currency_from, bound=False)
                if code:
                    self.initial[name] = f"{to_major(stored, code):,}"

    def _currency(self, path: str, *, bound: bool = True) -> str | None:
        if path in self.fields:
            if bound:
                return self.cleaned_data.get(path)
            return self.initial.get(path) or None
        return resolve(self.instance, path)

    def clean(self):
        cleaned = super().clean()
        for name, field in self.fields.items():
            value = cleaned.get(name)
            if isinstance(field, MoneyField) and value is not None:
                code = self._currency(field.currency_from)
                if not code:
                    source = field.currency_from
                    if source in self.fields and source not in self.errors:
                        self.add_error(name, "Choose the currency first.")
                    continue
                try:
                    cleaned[name] = parse_major(value, code)
                except ValueError as exc:
                    self.add_error(name, str(exc))
            elif isinstance(field, TiersField) and value:
                code = self._currency("currency")
                for number, tier in enumerate(value, start=1):
                    try:
                        parse_major(tier["from"], code) if code else None
                    except ValueError as exc:
                        self.add_error(name, f"Tier {number}: {exc}")
        return cleaned


class MoneyAdminMixin:
    """For a ModelAdmin or an inline: ``*_minor`` integers become :class:`MoneyField` (in
    the currency at ``money_currency``), ``*_rate`` / ``*_share`` fractions
    :class:`PercentField`, a ``tiers`` JSON field :class:`TiersField`. Wherever such an
    amount is shown read-only (``readonly_fields``, or a page the user may only view), it is
    shown through :func:`money_column` instead of as the stored integer."""

    form = MoneyForm
    money_currency = "currency"

    def _money_names(self) -> list[str]:
        return [f.name for f in self.model._meta.fields if is_money_field(f)]

    def _money_shown_readonly(self, request, obj) -> set[str]:
        names = set(self._money_names())
        shown = {f for f in super().get_readonly_fields(request, obj) if f in names}
        if obj is not None and not self.has_change_permission(request, obj):
            shown |= names
        return shown

    def _money_display(self, name: str):
        columns = self.__dict__.setdefault("_money_columns", {})
        if name not in columns:
            label = _UNIT_NOTE.sub("", str(self.model._meta.get_field(name).verbose_name))
            columns[name] = money_column(name, currency=self.money_currency, description=label)
        return columns[name]

    def _swap(self, names, shown: set[str]) -> list:
        out = []
        for name in names:
            item = self._money_display(name) if name in shown else name
            if item not in out:
                out.append(item)
        return out

    def get_readonly_fields(self, request, obj=None):
        shown = self._money_shown_readonly(request, obj)
        listed = self._swap(super().get_readonly_fields(request, obj), shown)
        extra = [self._money_display(n) for n in self._money_names() if n in shown]
        return listed + [c for c in extra if c not in listed]

    def get_exclude(self, request, obj=None):
        excluded = list(super().get_exclude(request, obj) or [])
        return excluded + sorted(self._money_shown_readonly(request, obj) - set(excluded))

    def get_fields(self, request, obj=None):
        shown = self._money_shown_readonly(request, obj)
        return self._swap(super().get_fields(request, obj), shown)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if is_money_field(db_field):
            return MoneyField(
                label=_UNIT_NOTE.sub("", str(db_field.verbose_name)).capitalize(),
                required=not db_field.blank,
                currency_from=self.money_currency,
            )
        if is_rate_field(db_field):
            return PercentField(
                label=f"{str(db_field.verbose_name).capitalize()} (%)",
                required=not db_field.blank,
            )
        if isinstance(db_field, models.JSONField) and db_field.name == "tiers":
            return TiersField(label="Tiers")
        return super().formfield_for_dbfield(db_field, request, **kwargs)
