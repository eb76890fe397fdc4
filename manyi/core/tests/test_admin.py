"""Django admin for organisation admins: only their organisation, and the audit trail and
SLA log are read-only for everyone."""

from __future__ import annotations

import pytest
from django.urls import reverse

from manyi.accounts.models import User
from manyi.audit.models import AuditEvent
from manyi.cases.models import SlaEvent

pytestmark = pytest.mark.django_db


def test_org_admin_sees_only_their_organisation(client, admin_user, customer, other_org):
    client.force_login(admin_user)
    page = client.get(reverse("admin:customers_customer_changelist"))
    assert page.status_code == 200
    names = [c.name for c in page.context["cl"].result_list]
    assert customer.name in names
    assert other_org["customer"].name not in names
    url = reverse("admin:customers_customer_change", args=[other_org["customer"].pk])
    assert client.get(url).status_code in (302, 403, 404)
    staff = client.get(reverse("admin:accounts_user_changelist")).context["cl"].result_list
    assert "other_admin" not in [u.username for u in staff]


def test_audit_and_sla_events_cannot_be_added_changed_or_deleted(client, admin_user, other_org):
    superuser = User.objects.create_superuser("root", "root@example.com", "pass-1234-root")
    for user in (admin_user, superuser):
        client.force_login(user)
        assert client.get(reverse("admin:audit_auditevent_add")).status_code == 403
        assert client.get(reverse("admin:cases_slaevent_add")).status_code == 403
    event = AuditEvent.objects.filter(organisation=other_org["org"]).earliest("at")
    response = client.post(
        reverse("admin:audit_auditevent_change", args=[event.pk]), {"message": "x"}
    )
    assert response.status_code == 403
    response = client.post(
        reverse("admin:audit_auditevent_delete", args=[event.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    event.refresh_from_db()
    assert event.message != "x"
    assert SlaEvent.objects.filter(case=other_org["case"]).exists()


def test_agents_have_no_admin(client, agent):
    agent.is_staff = True
    agent.save()
    client.force_login(agent)
    assert client.get(reverse("admin:customers_customer_changelist")).status_code == 403


def test_org_admin_cannot_make_a_superuser(client, admin_user, agent):
    client.force_login(admin_user)
    page = client.get(reverse("admin:accounts_user_change", args=[agent.pk]))
    assert page.status_code == 200
    assert "is_superuser" not in page.context["adminform"].form.fields
