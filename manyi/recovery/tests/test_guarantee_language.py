"""The guarantee payout notice is written in the customer's preferred language: the English
message text, the guarantee's English promise (the Chinese one when it has none) and the
English name of the payout, whatever the site language."""

from __future__ import annotations

from decimal import Decimal

import pytest

from conftest import at
from manyi.cases import services as case_services
from manyi.core.tests.factories import CustomerFactory
from manyi.notifications.models import CustomerMessage
from manyi.recovery.guarantees import ensure_default_guarantees, record_staff_event
from manyi.recovery.models import Guarantee

pytestmark = pytest.mark.django_db

RECEIVED = at(2026, 3, 4, 9, 0)
RECORDED = at(2026, 3, 5, 10, 0)


@pytest.fixture
def billing(org):
    ensure_default_guarantees(org)
    g = Guarantee.objects.get(organisation=org, code="billing_error_double")
    g.starts_at = at(2026, 1, 1, 0, 0)
    g.save()
    return g


def _payout_message(agent, category, guarantee, **customer_fields):
    customer = CustomerFactory(store=agent.store, phone="13900001111", **customer_fields)
    case = case_services.create_case(
        actor=agent,
        customer=customer,
        channel="phone",
        category=category,
        summary="保养收费多收",
        received_at=RECEIVED,
        now=RECEIVED,
    )
    breach = record_staff_event(
        actor=agent,
        case=case,
        guarantee=guarantee,
        amount_involved=Decimal("100"),  # ¥200: within the agent's limit, approved at once
        note="工时费重复收取",
        now=RECORDED,
    )
    return CustomerMessage.objects.get(kind="guarantee_payout", dedupe_key=f"guarantee:{breach.pk}")


def test_an_english_customer_is_told_of_the_payout_in_english(agent, category, billing):
    message = _payout_message(agent, category, billing, name="Tom Lee", language="en")
    assert message.subject.startswith("Our service guarantee to you")
    assert message.body.startswith("Dear Tom Lee, we are sorry: we did not keep our service")
    assert billing.text_en in message.body and billing.text_zh not in message.body
    assert "¥200.00" in message.body and ": Refund." in message.body


def test_a_chinese_customer_is_told_in_chinese_whatever_the_site_language(
    agent, category, billing, settings
):
    settings.LANGUAGE_CODE = "en"
    message = _payout_message(agent, category, billing, name="王芳")
    assert message.body.startswith("王芳您好：很抱歉")
    assert billing.text_zh in message.body and "¥200.00" in message.body
    assert "：退款。" in message.body


def test_an_english_customer_gets_the_chinese_promise_when_it_has_no_english_one(
    agent, category, billing
):
    billing.text_en = ""
    billing.save()
    message = _payout_message(agent, category, billing, name="Tom Lee", language="en")
    assert message.body.startswith("Dear Tom Lee")
    assert billing.text_zh in message.body
