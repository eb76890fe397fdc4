"""The communication log in a real browser: picking a reply template fills the text (htmx),
logging it swaps the case body in place and the first-response clock is met."""

from __future__ import annotations

import re
from typing import Any

import pytest

from manyi.accounts.choices import Role
from manyi.cases.comm_services import ensure_default_reply_templates
from manyi.cases.models import Category, Communication
from manyi.cases.tests.ui_helpers import open_case
from manyi.core.tests.browser import (
    browser_fixture,  # noqa: F401  (the `browser` fixture)
    login,
    shot,
)
from manyi.core.tests.factories import (
    CustomerFactory,
    OrganisationFactory,
    StoreFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_agent_fills_a_reply_template_and_logs_it(
    browser: Any, live_server: Any, language: str
) -> None:
    org = OrganisationFactory(name="申城汽车集团")
    ensure_default_reply_templates(organisation=org)
    store = StoreFactory(organisation=org, name="浦东店", code="PD")
    agent = UserFactory(store=store, role=Role.AGENT, username="agent", display_name="李客服")
    customer = CustomerFactory(store=store, name="张伟", phone="13812345678")
    category = Category.objects.filter(organisation=org, parent__isnull=False).first()
    case = open_case(agent, customer, category, summary="交车延误两天")

    base = live_server.url
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    context.add_cookies([{"name": "django_language", "value": language, "url": base}])
    page = context.new_page()
    login(page, base, "agent")
    page.goto(f"{base}/cases/{case.pk}/")

    page.select_option("#id_comm_template", label="处理进展 · Progress update")
    content = page.locator("#id_comm_content")
    greeting = "张伟您好" if language == "zh-hans" else "Dear 张伟"
    page.wait_for_function(
        "t => document.querySelector('#id_comm_content').value.includes(t)", arg=greeting
    )
    assert case.number in content.input_value()
    assert page.locator("#id_comm_medium").input_value() == "sms"  # the template's medium
    content.fill(content.input_value() + " ✔")
    shot(page, f"communications-{language}")
    page.click("#communications-panel button[type=submit]")
    page.wait_for_selector("#communications-panel .comm-log li")
    assert re.search(r"/cases/\d+/$", page.url)
    entry = Communication.objects.get(case=case)
    assert entry.medium == "sms" and entry.content.endswith("✔") and entry.template is not None
    case.refresh_from_db()
    assert case.first_responded_at is not None
    assert page.locator('#clocks [data-metric="first_response"]').count() == 1
    shot(page, f"communications-logged-{language}")
