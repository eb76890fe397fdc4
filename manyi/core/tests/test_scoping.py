import pytest

from manyi.cases.services import create_case
from manyi.core.scoping import cases_for, customers_for, mask_id_number, mask_phone, stores_for

pytestmark = pytest.mark.django_db


def test_masks():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_id_number("110101199003071234") == "1101************34"
    assert mask_phone("") == ""


def test_agent_sees_only_her_store_manager_sees_the_organisation(
    agent, agent_b, manager, customer, customer_b, category, other_org
):
    a = create_case(actor=agent, customer=customer, channel="phone", category=category, summary="A")
    b = create_case(
        actor=agent_b, customer=customer_b, channel="phone", category=category, summary="B"
    )
    assert set(cases_for(agent)) == {a}
    assert set(cases_for(agent_b)) == {b}
    assert set(cases_for(manager)) == {a, b}
    assert other_org["case"] not in cases_for(manager)
    assert set(customers_for(agent)) == {customer}
    assert set(stores_for(agent)) == {agent.store}
    assert other_org["store"] not in stores_for(manager)


def test_personal_data_permission_by_role_and_override(agent, supervisor):
    assert not agent.can_view_personal_data
    assert supervisor.can_view_personal_data
    agent.view_personal_data = True
    assert agent.can_view_personal_data


def test_chinese_is_the_default_whatever_the_browser_says(client, agent):
    client.force_login(agent)
    r = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert r.headers["Content-Language"] == "zh-hans"
    client.cookies["django_language"] = "en"
    r = client.get("/", HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert r.headers["Content-Language"] == "en"
