import django_filters
from django.db.models import QuerySet

from creators import selectors
from creators.models import Creator, Platform, Tier


class CreatorFilter(django_filters.FilterSet):
    platform = django_filters.ChoiceFilter(
        choices=Platform.choices, method="filter_platform", label="Has an account on"
    )
    country = django_filters.CharFilter(field_name="country", label="ISO country code")
    tier = django_filters.ChoiceFilter(
        choices=[(t.name, t.name) for t in Tier], method="filter_tier", label="Latest tier"
    )
    score_min = django_filters.NumberFilter(field_name="latest_score", lookup_expr="gte")
    score_max = django_filters.NumberFilter(field_name="latest_score", lookup_expr="lte")
    eligible_for = django_filters.CharFilter(
        method="filter_eligible_for", label="Program code the creator is eligible for"
    )

    class Meta:
        model = Creator
        fields = ["platform", "country", "tier", "score_min", "score_max", "eligible_for"]

    def filter_platform(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        return selectors.creators_on_platform(qs, value)

    def filter_tier(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        return qs.filter(latest_tier=Tier[value].value)

    def filter_eligible_for(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        return selectors.creators_eligible_for(qs, value)
