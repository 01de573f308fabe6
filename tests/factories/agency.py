import factory
from django.contrib.auth import get_user_model
from factory.django import DjangoModelFactory

from agency.models import Partner


class PartnerFactory(DjangoModelFactory[Partner]):
    class Meta:
        model = Partner

    name = factory.Sequence(lambda n: f"Partner {n}")
    kind = Partner.Kind.BRAND
    is_active = True


class StaffUserFactory(DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"staff{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@agency.test")
    is_staff = True
    password = factory.django.Password("pw-for-tests")
