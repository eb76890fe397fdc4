"""factory_boy factories shared by every app's tests."""

from __future__ import annotations

import factory

from manyi.accounts.choices import Role
from manyi.accounts.models import Organisation, Store, User
from manyi.accounts.services import install_default_categories, install_default_policies
from manyi.calendars.models import BusinessCalendar
from manyi.customers.models import Asset, Customer


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"经销商集团{n}")

    @factory.post_generation
    def defaults(obj, create, extracted, **kwargs):
        if create and extracted is not False:
            install_default_categories(obj)
            install_default_policies(obj)


class CalendarFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BusinessCalendar

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"日历{n}")
    official_cn_holidays = True


class StoreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Store

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"门店{n}")
    code = factory.Sequence(lambda n: f"S{n:03d}")
    calendar = factory.SubFactory(
        CalendarFactory, organisation=factory.SelfAttribute("..organisation")
    )


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    store = factory.SubFactory(StoreFactory)
    organisation = factory.SelfAttribute("store.organisation")
    role = Role.AGENT
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    display_name = factory.Sequence(lambda n: f"员工{n}")
    password = factory.PostGenerationMethodCall("set_password", "pass-1234")

    @factory.post_generation
    def saved(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    store = factory.SubFactory(StoreFactory)
    organisation = factory.SelfAttribute("store.organisation")
    name = factory.Sequence(lambda n: f"客户{n}")
    phone = factory.Sequence(lambda n: f"138{n:08d}")
    id_number = "110101199003071234"


class AssetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Asset

    customer = factory.SubFactory(CustomerFactory)
    vin = "LSVAU033512345671"
    plate = factory.Sequence(lambda n: f"沪A{n:05d}")
    model = "朗逸"
