"""Money and rates in the admin as people read and type them: never a minor unit."""

from decimal import Decimal

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from agency.admin_fields import MoneyField, PercentField, TiersField, is_money_field
from agency.money import format_money, format_rate, parse_major
from billing.display import split_rates_table
from billing.models import CommissionPlan
from campaigns.models import BrandDeal
from tests.factories.campaigns import AdAccountFactory, BrandDealFactory, BrandFactory
from tests.factories.creators import ContractFactory


def test_amounts_read_with_currency_and_thousands_separators():
    assert format_money(123457, "USD") == "USD 1,234.57"
    assert format_money(120000, "JPY") == "JPY 120,000"
    assert format_money(1234567, "KWD") == "KWD 1,234.567"
    assert format_money(-500, "EUR") == "EUR -5.00"
    assert format_money(None, "USD") == "—"


def test_typed_amounts_are_major_units_in_the_currency():
    assert parse_major("1,234.57", "USD") == 123457
    assert parse_major("USD 1 234.5", "USD") == 123450
    assert parse_major("120000", "JPY") == 120000
    assert parse_major("120,000", "JPY") == 120000
    assert parse_major("1.234", "KWD") == 1234
    for bad, currency, message in [
        ("1,234.567", "USD", "USD amounts have 2 decimals"),
        ("1.5", "JPY", "JPY amounts have no decimals"),
        ("1,23", "USD", "such as 1,234.56"),
        ("EUR 5", "USD", "in USD"),
    ]:
        with pytest.raises(ValueError, match=message):
            parse_major(bad, currency)


def test_rates_read_as_percentages():
    assert format_rate(Decimal("0.200000")) == "20 %"
    assert format_rate("0.125") == "12.5 %"
    assert format_rate("228/2500") == "9.12 %"


def _form_class(model, admin_user):
    request = RequestFactory().get("/")
    request.user = admin_user
    return admin.site._registry[model].get_form(request)


def _deal_form(admin_user, **data):
    return _form_class(BrandDeal, admin_user)(
        data={"brand": BrandFactory().pk, "title": "Spring", "brief": "", **data}
    )


@pytest.mark.django_db
def test_the_deal_form_takes_the_fee_in_major_units_of_its_currency(admin_user):
    form = _deal_form(admin_user, fee_minor="1,234.57", currency="USD")
    assert form.is_valid(), form.errors
    assert form.cleaned_data["fee_minor"] == 123457
    assert form.save().fee_minor == 123457

    form = _deal_form(admin_user, fee_minor="1,234.567", currency="USD")
    assert not form.is_valid()
    assert form.errors["fee_minor"] == ["USD amounts have 2 decimals."]

    form = _deal_form(admin_user, fee_minor="120000", currency="JPY")
    assert form.is_valid(), form.errors
    assert form.cleaned_data["fee_minor"] == 120000

    assert "minor" not in str(form["fee_minor"].label).lower()


@pytest.mark.django_db
def test_a_stored_fee_is_shown_in_major_units_in_the_form_and_the_list(admin_client, admin_user):
    deal = BrandDealFactory(fee_minor=123457, currency="USD")
    form = _form_class(BrandDeal, admin_user)(instance=deal)
    assert form["fee_minor"].value() == "1,234.57"
    page = admin_client.get(reverse("admin:campaigns_branddeal_changelist")).content.decode()
    assert "USD 1,234.57" in page and "123457" not in page
    page = admin_client.get(reverse("admin:campaigns_branddeal_change", args=[deal.pk]))
    assert 'value="1,234.57"' in page.content.decode()


@pytest.mark.django_db
def test_ad_spend_is_typed_in_the_ad_accounts_currency(admin_client):
    account = AdAccountFactory(currency="JPY")
    url = reverse("admin:campaigns_adaccount_change", args=[account.pk])
    page = admin_client.get(url)
    assert page.status_code == 200
    inline = next(
        f for f in page.context["inline_admin_formsets"] if f.opts.model.__name__ == "AdSpend"
    )
    assert isinstance(inline.formset.form.base_fields["amount_minor"], MoneyField)


@pytest.mark.django_db
def test_commission_tiers_are_rows_of_threshold_and_rate_with_validation(admin_user):
    contract = ContractFactory()
    form_class = _form_class(CommissionPlan, admin_user)
    assert isinstance(form_class.base_fields["tiers"], TiersField)
    assert isinstance(form_class.base_fields["agency_rate"], PercentField)
    base = {
        "contract": contract.pk,
        "stream": "brand_deal",
        "effective_from": "2026-01-01",
        "currency": "USD",
        "agency_rate": "30",
        "manager_share": "10",
        "sub_agency_share": "0",
        "basis": "gross",
    }
    form = form_class(
        data={**base, "tiers_threshold_0": "10,000", "tiers_rate_0": "20",
              "tiers_threshold_1": "", "tiers_rate_1": ""}
    )  # fmt: skip
    assert form.is_valid(), form.errors
    assert form.cleaned_data["agency_rate"] == Decimal("0.300000")
    assert form.cleaned_data["tiers"] == [{"from": "10000", "rate": "0.200000"}]

    for rows, message in [
        ({"tiers_threshold_0": "10,000", "tiers_rate_0": "20", "tiers_threshold_1": "5,000",
          "tiers_rate_1": "10"}, "Tier 2: thresholds must be positive and ascending."),
        ({"tiers_threshold_0": "10,000", "tiers_rate_0": ""}, "Tier 1: enter both"),
        ({"tiers_threshold_0": "10,000", "tiers_rate_0": "120"}, "Tier 1: the rate is a"),
        ({"tiers_threshold_0": "10.001", "tiers_rate_0": "20"}, "Tier 1: USD amounts have 2"),
    ]:  # fmt: skip
        form = form_class(data={**base, **rows})
        assert not form.is_valid()
        assert any(message in e for e in form.errors["tiers"]), form.errors


def test_a_splits_rates_read_as_a_table_of_percentages():
    html = split_rates_table(
        {
            "terms": {"plan_id": 7, "agency_rate": "0.300000", "manager_share": "0.100000",
                      "sub_agency_share": "0", "basis": "gross", "currency": "USD",
                      "tiers": [{"from": "10000.00", "rate": "0.200000"}]},
            "portions": [{"rate": "0.300000", "fraction": "3/4"},
                         {"rate": "0.200000", "fraction": "1/4"}],
            "effective_rate": "0.275",
            "gross_in_plan_currency": "12000",
            "to_plan_rate": "1",
        }
    )  # fmt: skip
    assert "30 % up to USD 10,000.00, then 20 %" in html
    assert "75 % of the amount at 30 %" in html
    assert "27.5 %" in html and "3/4" not in html


def _displayed_names(model_admin, request) -> list[str]:
    names = [*model_admin.get_list_display(request), *model_admin.get_readonly_fields(request)]
    for inline in model_admin.get_inline_instances(request):
        names += inline.get_readonly_fields(request)
    return [n for n in names if isinstance(n, str)]


@pytest.mark.django_db
def test_no_admin_column_or_form_shows_or_takes_a_minor_unit(admin_user):
    """Every registered admin: no list column, read-only field or inline field names a raw
    ``*_minor`` field, and every editable ``*_minor`` field is a MoneyField."""
    request = RequestFactory().get("/")
    request.user = admin_user
    raw, untyped = [], []
    for model, model_admin in admin.site._registry.items():
        raw += [
            f"{model.__name__}.{name}"
            for name in _displayed_names(model_admin, request)
            if name.endswith("_minor")
        ]
        forms = [model_admin.get_form(request)] if model_admin.has_add_permission(request) else []
        forms += [
            inline.get_formset(request).form for inline in model_admin.get_inline_instances(request)
        ]
        for form in forms:
            for name, field in form.base_fields.items():
                db_field = next((f for f in form._meta.model._meta.fields if f.name == name), None)
                money = db_field is not None and is_money_field(db_field)
                if money and not isinstance(field, MoneyField):
                    untyped.append(f"{form._meta.model.__name__}.{name}")
    assert raw == []
    assert untyped == []


@pytest.mark.django_db
def test_an_advance_is_named_in_major_units():
    import datetime as dt

    from billing.models import Advance
    from tests.factories.creators import CreatorFactory

    creator = CreatorFactory(stage_name="lena")
    advance = Advance(
        creator=creator,
        currency="JPY",
        amount_minor=120000,
        recoup_cap_rate="0.5",
        issued_on=dt.date(2026, 1, 1),
    )
    assert str(advance) == "Advance of JPY 120,000 to lena"
