"""The admin shows an organisation admin their own organisation's transactions and volumes,
view-only: they are written by the imports, which check them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from manyi.analytics.models import Transaction
from manyi.analytics.services import record_transaction, set_store_volume

pytestmark = pytest.mark.django_db


def test_org_admin_sees_only_their_organisations_transactions_and_volumes(
    client, admin_user, customer, store_a, other_org
):
    ours = record_transaction(
        actor=None, customer=customer, occurred_on=dt.date(2025, 3, 1), amount=10, reference="O"
    )
    theirs = record_transaction(
        actor=None,
        customer=other_org["customer"],
        occurred_on=dt.date(2025, 3, 1),
        amount=20,
        reference="T",
    )
    set_store_volume(store=store_a, month=dt.date(2025, 3, 1), services=100)
    set_store_volume(store=other_org["store"], month=dt.date(2025, 3, 1), services=999)
    client.force_login(admin_user)
    page = client.get(reverse("admin:analytics_transaction_changelist"))
    assert page.status_code == 200
    assert [t.reference for t in page.context["cl"].result_list] == ["O"]
    volumes = client.get(reverse("admin:analytics_storevolume_changelist"))
    assert [v.services for v in volumes.context["cl"].result_list] == [100]
    assert (
        client.get(reverse("admin:analytics_transaction_change", args=[ours.pk])).status_code == 200
    )
    other = client.get(reverse("admin:analytics_transaction_change", args=[theirs.pk]))
    assert other.status_code in (302, 403, 404)


def test_transactions_cannot_be_added_changed_or_deleted_in_the_admin(client, admin_user, customer):
    t = record_transaction(
        actor=None, customer=customer, occurred_on=dt.date(2025, 3, 1), amount=10
    )
    client.force_login(admin_user)
    assert client.get(reverse("admin:analytics_transaction_add")).status_code == 403
    assert client.get(reverse("admin:analytics_storevolume_add")).status_code == 403
    url = reverse("admin:analytics_transaction_change", args=[t.pk])
    assert client.post(url, {"amount": "0"}).status_code == 403
    delete = reverse("admin:analytics_transaction_delete", args=[t.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert Transaction.objects.get().amount == 10


def test_agents_have_no_analytics_admin(client, agent):
    agent.is_staff = True
    agent.save()
    client.force_login(agent)
    page = client.get(reverse("admin:analytics_transaction_changelist"))
    assert page.status_code in (302, 403)
