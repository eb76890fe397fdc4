"""Settings pages: admins only, scoped to the organisation; stores, staff, categories and
SLA policies through their forms and services."""

from __future__ import annotations

import pytest
from django.urls import reverse

from manyi.accounts.choices import Role
from manyi.accounts.models import Store, User
from manyi.cases.models import Category, SlaPolicy
from manyi.cases.services import create_case
from manyi.core.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

SETTINGS_URLS: list[tuple[str, list[int]]] = [
    ("accounts:index", []),
    ("accounts:stores", []),
    ("accounts:store_new", []),
    ("accounts:staff", []),
    ("accounts:staff_new", []),
    ("accounts:categories", []),
    ("accounts:policies", []),
    ("accounts:policy_new", []),
    ("accounts:calendars", []),
    ("accounts:calendar_new", []),
]


@pytest.fixture
def admin_client(client, admin_user):
    client.cookies["django_language"] = "en"  # the UI language switch stores it here
    client.force_login(admin_user)
    return client


@pytest.mark.parametrize(("name", "args"), SETTINGS_URLS)
def test_settings_are_forbidden_for_everyone_but_admins(
    client, agent, supervisor, manager, name, args
):
    url = reverse(name, args=args)
    for user in (agent, supervisor, manager):
        client.force_login(user)
        assert client.get(url).status_code == 403
        assert client.post(url, {"name": "x"}).status_code == 403
    client.logout()
    assert client.get(url).status_code == 302


@pytest.mark.parametrize(("name", "args"), SETTINGS_URLS)
def test_admin_opens_every_settings_page(admin_client, store_a, name, args):
    assert admin_client.get(reverse(name, args=args)).status_code == 200


def test_agent_does_not_see_the_settings_link(client, agent, admin_user):
    client.force_login(agent)
    assert 'href="/settings/"' not in client.get(reverse("customers:list")).content.decode()
    client.force_login(admin_user)
    assert 'href="/settings/"' in client.get(reverse("customers:list")).content.decode()


def test_create_and_edit_a_store(admin_client, org, store_a):
    response = admin_client.post(
        reverse("accounts:store_new"),
        {"name": "闵行店", "code": "MH", "calendar": store_a.calendar_id},
    )
    assert response.status_code == 302
    store = Store.objects.get(organisation=org, code="MH")
    assert store.calendar_id == store_a.calendar_id
    response = admin_client.post(
        reverse("accounts:store_edit", args=[store.pk]),
        {"name": "闵行旗舰店", "code": "MH", "calendar": ""},
    )
    assert response.status_code == 302
    store.refresh_from_db()
    assert (store.name, store.calendar_id) == ("闵行旗舰店", None)


def test_store_code_must_be_unique(admin_client, org, store_a, store_b):
    response = admin_client.post(
        reverse("accounts:store_edit", args=[store_b.pk]), {"name": store_b.name, "code": "PD"}
    )
    assert response.context["form"].errors["code"] == ["Another store has this code."]
    store_b.refresh_from_db()
    assert store_b.code == "XH"


def test_other_organisations_store_and_staff_are_404(admin_client, other_org):
    assert (
        admin_client.get(reverse("accounts:store_edit", args=[other_org["store"].pk])).status_code
        == 404
    )
    assert (
        admin_client.get(reverse("accounts:staff_edit", args=[other_org["user"].pk])).status_code
        == 404
    )
    page = admin_client.get(reverse("accounts:staff")).content.decode()
    assert "other_admin" not in page


def _staff(store, supervisor=None, **overrides):
    data = {
        "username": "newagent",
        "password": "long-enough-1",
        "display_name": "小刘",
        "email": "liu@example.com",
        "mobile": "13900000009",
        "role": Role.AGENT,
        "store": store.pk,
        "supervisor": supervisor.pk if supervisor else "",
        "team": "",
        "view_personal_data": "",
    }
    data.update(overrides)
    return data


def test_create_staff_with_role_store_and_supervisor(admin_client, org, store_a, supervisor):
    response = admin_client.post(reverse("accounts:staff_new"), _staff(store_a, supervisor))
    assert response.status_code == 302
    person = User.objects.get(username="newagent")
    assert (person.organisation, person.store, person.supervisor) == (org, store_a, supervisor)
    assert person.role == Role.AGENT
    assert person.check_password("long-enough-1")
    assert person.view_personal_data is None


def test_create_staff_errors_are_on_their_fields(admin_client, store_a, agent):
    response = admin_client.post(
        reverse("accounts:staff_new"),
        {**_staff(store_a, username="agent", password="short"), "store": ""},
    )
    errors = response.context["form"].errors
    assert errors["store"] == ["Agents and supervisors belong to a store."]
    assert not User.objects.filter(display_name="小刘").exists()
    response = admin_client.post(reverse("accounts:staff_new"), _staff(store_a, username="agent"))
    assert response.context["form"].errors["username"] == ["This user name is taken."]


def test_personal_data_override_unmasks_phones_for_that_agent(
    admin_client, client, agent, customer
):
    data = _staff(agent.store, agent.supervisor, view_personal_data="yes", is_active="on")
    del data["username"], data["password"]
    response = admin_client.post(reverse("accounts:staff_edit", args=[agent.pk]), data)
    assert response.status_code == 302
    agent.refresh_from_db()
    assert agent.view_personal_data is True
    client.force_login(agent)
    assert "13812345678" in client.get(reverse("customers:list")).content.decode()


def test_edit_staff_role_store_and_deactivate(admin_client, agent, store_b, manager):
    data = _staff(store_b, manager, role=Role.SUPERVISOR, is_active="")
    del data["username"], data["password"]
    assert (
        admin_client.post(reverse("accounts:staff_edit", args=[agent.pk]), data).status_code == 302
    )
    agent.refresh_from_db()
    assert (agent.role, agent.store, agent.supervisor, agent.is_active) == (
        Role.SUPERVISOR,
        store_b,
        manager,
        False,
    )


def test_admin_cannot_lock_themselves_out(admin_client, admin_user, store_a):
    data = _staff(store_a, role=Role.AGENT, is_active="")
    del data["username"], data["password"]
    response = admin_client.post(reverse("accounts:staff_edit", args=[admin_user.pk]), data)
    errors = response.context["form"].errors
    assert errors["is_active"] == ["You cannot deactivate yourself."]
    assert errors["role"] == ["You cannot take the admin role away from yourself."]
    admin_user.refresh_from_db()
    assert admin_user.is_active and admin_user.role == Role.ORG_ADMIN


def test_supervisor_cannot_be_someone_from_another_organisation(admin_client, agent, other_org):
    data = {**_staff(agent.store, is_active="on"), "supervisor": other_org["user"].pk}
    del data["username"], data["password"]
    response = admin_client.post(reverse("accounts:staff_edit", args=[agent.pk]), data)
    assert "supervisor" in response.context["form"].errors


def test_add_rename_and_switch_off_categories(admin_client, org):
    url = reverse("accounts:categories")
    assert (
        admin_client.post(url, {"name_zh": "延保服务", "name_en": "Extended warranty"}).status_code
        == 302
    )
    top = Category.objects.get(organisation=org, name_zh="延保服务")
    assert top.parent is None and top.code == "extended_warranty"
    admin_client.post(url, {"parent": top.pk, "name_zh": "理赔慢", "name_en": "Slow claims"})
    child = Category.objects.get(organisation=org, name_zh="理赔慢")
    assert child.parent == top
    response = admin_client.post(url, {"parent": child.pk, "name_zh": "第三层"})
    assert "parent" in response.context["form"].errors
    assert not Category.objects.filter(name_zh="第三层").exists()
    admin_client.post(
        reverse("accounts:category_edit", args=[child.pk]),
        {"name_zh": "理赔太慢", "name_en": "Claims too slow"},
    )
    child.refresh_from_db()
    assert (child.name_zh, child.name_en) == ("理赔太慢", "Claims too slow")
    admin_client.post(reverse("accounts:category_toggle", args=[top.pk]))
    top.refresh_from_db()
    child.refresh_from_db()
    assert not top.active and not child.active
    page = admin_client.get(url).content.decode()
    assert page.index("延保服务") < page.index("理赔太慢")


def _policy(**overrides):
    data = {
        "name": "微信高严重度",
        "rank": 5,
        "calendar": "",
        "match_severity": ["high"],
        "match_channel": ["wechat"],
        "first_response_minutes": 30,
        "first_response_clock": "business",
        "next_update_minutes": "",
        "next_update_clock": "business",
        "resolution_minutes": 600,
        "resolution_clock": "calendar",
        "pause_on": ["waiting_customer"],
        "warn_at_percent": 80,
        "active": "on",
    }
    data.update(overrides)
    return data


def test_created_policy_applies_to_a_new_matching_case(
    admin_client, org, agent, customer, category
):
    response = admin_client.post(reverse("accounts:policy_new"), _policy())
    assert response.status_code == 302
    policy = SlaPolicy.objects.get(organisation=org, name="微信高严重度")
    assert policy.match == {"severity": ["high"], "channel": ["wechat"]}
    assert sorted((t.metric, t.minutes, t.clock) for t in policy.targets.all()) == [
        ("first_response", 30, "business"),
        ("resolution", 600, "calendar"),
    ]
    matching = create_case(
        actor=agent,
        customer=customer,
        channel="wechat",
        category=category,
        summary="s",
        severity="high",
    )
    other = create_case(
        actor=agent, customer=customer, channel="phone", category=category, summary="s"
    )
    assert matching.sla_policy == policy
    assert other.sla_policy != policy


def test_edited_policy_applies_to_new_cases(admin_client, org, agent, customer, category, store_a):
    admin_client.post(reverse("accounts:policy_new"), _policy())
    policy = SlaPolicy.objects.get(organisation=org, name="微信高严重度")
    response = admin_client.post(
        reverse("accounts:policy_edit", args=[policy.pk]),
        _policy(
            match_severity=[], match_channel=[], match_store=["PD"], match_category=["waiting_time"]
        ),
    )
    assert response.status_code == 302
    policy.refresh_from_db()
    assert policy.match == {"category": ["waiting_time"], "store": ["PD"]}
    case = create_case(
        actor=agent, customer=customer, channel="phone", category=category, summary="s"
    )
    assert case.sla_policy == policy  # wait_delivery is a child of waiting_time
    listing = admin_client.get(reverse("accounts:policies")).content.decode()
    assert "微信高严重度" in listing and "Waiting time" in listing


def test_policy_form_errors_are_on_their_fields(admin_client, org):
    response = admin_client.post(
        reverse("accounts:policy_new"),
        _policy(first_response_minutes="", resolution_minutes="", warn_at_percent=0),
    )
    form = response.context["form"]
    assert "warn_at_percent" in form.errors
    response = admin_client.post(
        reverse("accounts:policy_new"), _policy(first_response_minutes="", resolution_minutes="")
    )
    assert "Give at least one target." in response.context["form"].non_field_errors()
    assert not SlaPolicy.objects.filter(name="微信高严重度").exists()


def test_default_policy_cannot_be_deleted_or_restricted(admin_client, org):
    default = SlaPolicy.objects.get(organisation=org, is_default=True)
    page = admin_client.get(reverse("accounts:policy_edit", args=[default.pk]))
    assert "match_severity" not in page.context["form"].fields
    assert "Delete this policy" not in page.content.decode()
    response = admin_client.post(reverse("accounts:policy_delete", args=[default.pk]), follow=True)
    assert "The default policy cannot be deleted." in response.content.decode()
    assert SlaPolicy.objects.filter(pk=default.pk).exists()
    response = admin_client.post(
        reverse("accounts:policy_edit", args=[default.pk]),
        _policy(name=default.name, rank=default.rank),
    )
    assert response.status_code == 302
    default.refresh_from_db()
    assert default.is_default and default.active and default.match == {}


def test_unused_policy_can_be_deleted_but_a_used_one_cannot(
    admin_client, org, agent, customer, category
):
    admin_client.post(reverse("accounts:policy_new"), _policy())
    policy = SlaPolicy.objects.get(organisation=org, name="微信高严重度")
    create_case(
        actor=agent,
        customer=customer,
        channel="wechat",
        category=category,
        summary="s",
        severity="high",
    )
    response = admin_client.post(reverse("accounts:policy_delete", args=[policy.pk]), follow=True)
    assert "switch it off instead" in response.content.decode()
    assert SlaPolicy.objects.filter(pk=policy.pk).exists()
    admin_client.post(reverse("accounts:policy_new"), _policy(name="没人用"))
    unused = SlaPolicy.objects.get(organisation=org, name="没人用")
    assert admin_client.post(reverse("accounts:policy_delete", args=[unused.pk])).status_code == 302
    assert not SlaPolicy.objects.filter(pk=unused.pk).exists()


def test_policy_list_is_ordered_by_rank(admin_client, org):
    page = admin_client.get(reverse("accounts:policies"))
    ranks = [p.rank for p, *_ in page.context["rows"] if p.active and not p.is_default]
    assert ranks == sorted(ranks)


def test_settings_pages_of_another_organisation_are_invisible(admin_client, other_org):
    policy = SlaPolicy.objects.filter(organisation=other_org["org"]).earliest("pk")
    category = Category.objects.filter(organisation=other_org["org"]).earliest("pk")
    assert admin_client.get(reverse("accounts:policy_edit", args=[policy.pk])).status_code == 404
    assert (
        admin_client.post(reverse("accounts:category_toggle", args=[category.pk])).status_code
        == 404
    )
    category.refresh_from_db()
    assert category.active


def test_customer_is_created_for_store_dropdown_only_in_scope(admin_client, store_a):
    CustomerFactory(store=store_a)
    assert admin_client.get(reverse("customers:new")).status_code == 200
