"""Messages to customers: the channel follows the case and the customer's contacts, one outbox
row per dedupe key, an automatic entry in the communication log and the timeline, delivery
after commit by SMS, email or WeChat — each message once, also with two workers."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.db import connection, connections
from django_tasks import task_backends

from manyi.audit.models import AuditEvent, EventKind
from manyi.cases.models import Communication
from manyi.cases.tests.ui_helpers import open_case
from manyi.core.tests.factories import CustomerFactory
from manyi.notifications import customer as customer_messages
from manyi.notifications.customer import (
    DEFAULT_TEMPLATES,
    deliver_customer_messages,
    fill,
    reset_message_template,
    save_message_template,
    send_to_customer,
)
from manyi.notifications.models import CustomerMessage, DeliveryState, MessageTemplate
from manyi.notifications.sms import MemorySmsBackend
from manyi.notifications.tasks import deliver_customer_messages as delivery_task
from manyi.notifications.wechat import MemoryWeChatBackend

pytestmark = pytest.mark.django_db

PAYOUT = {
    "guarantee_text": "投诉48小时内首次答复",
    "payout": "¥200.00",
    "action": "保养代金券",
}


class UnreachableMailServer(LocmemBackend):
    def open(self) -> bool:
        raise ConnectionRefusedError("smtp: connection refused")


def _case(agent, category, **customer_fields):
    cust = CustomerFactory(store=agent.store, name="王芳", **customer_fields)
    return open_case(agent, cust, category)


def run_enqueued_tasks():
    """Run what the dummy task backend collected (the test stand-in for the worker)."""
    backend = task_backends["default"]
    ran = 0
    for result in list(backend.results):
        if result.task.func is delivery_task.func:
            result.task.call(*result.args, **result.kwargs)
            ran += 1
    backend.results.clear()
    return ran


@pytest.fixture(autouse=True)
def _no_leftover_tasks():
    task_backends["default"].results.clear()


def test_sms_goes_to_the_phone_after_commit_and_is_logged(
    agent, customer, category, django_capture_on_commit_callbacks
):
    case = open_case(agent, customer, category)
    with django_capture_on_commit_callbacks(execute=True):
        message = send_to_customer(
            case=case, kind="guarantee_payout", context=PAYOUT, dedupe_key="g:1", actor=None
        )
        assert MemorySmsBackend.outbox == []  # nothing leaves before the commit
    assert message is not None
    assert (message.channel, message.to, message.state) == ("sms", customer.phone, "pending")
    assert "张伟" in message.body and case.number in message.body and "¥200.00" in message.body

    assert run_enqueued_tasks() == 1
    assert MemorySmsBackend.outbox == [{"to": customer.phone, "text": message.body}]
    message.refresh_from_db()
    assert message.state == DeliveryState.SENT and message.sent_at is not None

    entry = Communication.objects.get(case=case)
    assert (entry.direction, entry.medium, entry.automatic) == ("outbound", "sms", True)
    assert entry.content == message.body
    event = AuditEvent.objects.get(case=case, kind=EventKind.MESSAGE_SENT)
    assert event.changes == {"direction": [None, "outbound"], "medium": [None, "sms"]}


def test_one_delivery_task_per_transaction(agent, category, django_capture_on_commit_callbacks):
    first = _case(agent, category, phone="13811110001")
    second = _case(agent, category, phone="13811110002")
    with django_capture_on_commit_callbacks(execute=True):
        send_to_customer(case=first, kind="case_resolved", context={}, dedupe_key="r:1")
        send_to_customer(case=second, kind="case_resolved", context={}, dedupe_key="r:2")
    assert len(task_backends["default"].results) == 1
    run_enqueued_tasks()
    assert len(MemorySmsBackend.outbox) == 2


def test_a_repeated_dedupe_key_returns_the_same_row_and_sends_once(
    agent, customer, category, django_capture_on_commit_callbacks
):
    case = open_case(agent, customer, category)
    with django_capture_on_commit_callbacks(execute=True):
        one = send_to_customer(case=case, kind="case_resolved", context={}, dedupe_key="k")
    with django_capture_on_commit_callbacks(execute=True):
        two = send_to_customer(case=case, kind="case_resolved", context={}, dedupe_key="k")
    assert one is not None and two is not None and one.pk == two.pk
    assert CustomerMessage.objects.count() == 1
    assert Communication.objects.filter(case=case).count() == 1
    assert AuditEvent.objects.filter(case=case, kind=EventKind.MESSAGE_SENT).count() == 1
    run_enqueued_tasks()
    assert len(MemorySmsBackend.outbox) == 1


def test_a_wechat_case_is_answered_by_wechat(agent, category, django_capture_on_commit_callbacks):
    cust = CustomerFactory(store=agent.store, name="王芳", wechat_id="o-openid-42")
    case = open_case(agent, cust, category, summary="微信投诉")
    case.channel = "wechat"
    case.save(update_fields=["channel"])
    with django_capture_on_commit_callbacks(execute=True):
        message = send_to_customer(case=case, kind="case_resolved", context={}, dedupe_key="w")
    assert message is not None and (message.channel, message.to) == ("wechat", "o-openid-42")
    run_enqueued_tasks()
    assert MemoryWeChatBackend.outbox == [{"openid": "o-openid-42", "text": message.body}]
    assert MemorySmsBackend.outbox == []
    assert Communication.objects.get(case=case).medium == "wechat"


def test_an_email_case_and_a_customer_without_phone_get_email(
    agent, category, mailoutbox, django_capture_on_commit_callbacks
):
    by_email = CustomerFactory(store=agent.store, email="a@example.com")
    email_case = open_case(agent, by_email, category)
    email_case.channel = "email"
    email_case.save(update_fields=["channel"])
    no_phone = CustomerFactory(store=agent.store, phone="", email="b@example.com")
    phone_case = open_case(agent, no_phone, category)
    with django_capture_on_commit_callbacks(execute=True):
        a = send_to_customer(case=email_case, kind="case_resolved", context={}, dedupe_key="e")
        b = send_to_customer(case=phone_case, kind="case_resolved", context={}, dedupe_key="e")
    assert a is not None and b is not None
    assert (a.channel, a.to, b.channel, b.to) == (
        "email",
        "a@example.com",
        "email",
        "b@example.com",
    )
    run_enqueued_tasks()
    assert sorted(m.to[0] for m in mailoutbox) == ["a@example.com", "b@example.com"]
    assert {m.subject for m in mailoutbox} == {
        f"您的投诉已处理（{email_case.number}）",
        f"您的投诉已处理（{phone_case.number}）",
    }
    assert MemorySmsBackend.outbox == []


def test_without_any_contact_nothing_is_queued_and_the_timeline_says_so(agent, category):
    cust = CustomerFactory(store=agent.store, phone="", email="", wechat_id="")
    case = open_case(agent, cust, category)
    assert send_to_customer(case=case, kind="case_resolved", context={}, dedupe_key="x") is None
    assert send_to_customer(case=case, kind="case_resolved", context={}, dedupe_key="x") is None
    assert not CustomerMessage.objects.exists()
    assert not Communication.objects.filter(case=case).exists()
    notes = AuditEvent.objects.filter(case=case, kind=EventKind.COMMENTED)
    assert notes.count() == 1 and case.number in notes.get().message


def test_guarantee_notices_go_out_without_contact_consent(agent, category):
    cust = CustomerFactory(store=agent.store, contact_consent=False)
    case = open_case(agent, cust, category)
    assert send_to_customer(case=case, kind="guarantee_payout", context=PAYOUT, dedupe_key="g")


def test_automatic_messages_do_not_meet_the_response_clocks(agent, customer, category):
    case = open_case(agent, customer, category)
    version = case.version
    send_to_customer(case=case, kind="case_received", context={"due_at": "明天"}, dedupe_key="r")
    case.refresh_from_db()
    assert case.first_responded_at is None and case.status == "new"
    assert case.version == version
    assert case.slas.get(metric="first_response").state == "active"


def test_english_texts_and_unknown_placeholders_stay_visible(agent, customer, category):
    case = open_case(agent, customer, category)
    message = send_to_customer(
        case=case,
        kind="guarantee_payout",
        context={"payout": "¥50.00"},
        dedupe_key="en",
        language="en",
    )
    assert message is not None
    assert message.body.startswith("Dear 张伟")
    assert "{guarantee_text}" in message.body and "¥50.00" in message.body
    assert fill("{a} {b} {", {"a": "1"}) == "1 {b} {"


def test_an_admin_override_changes_the_text(agent, customer, category, org):
    save_message_template(
        organisation_id=org.pk,
        key="case_resolved",
        subject_zh="已解决",
        body_zh="{customer_name}，单号{case_number}已办结。",
    )
    case = open_case(agent, customer, category)
    message = send_to_customer(case=case, kind="case_resolved", context={}, dedupe_key="o")
    assert message is not None and message.body == f"张伟，单号{case.number}已办结。"
    english = send_to_customer(
        case=case, kind="case_resolved", context={}, dedupe_key="o-en", language="en"
    )
    assert english is not None and english.body == message.body  # no English text: Chinese

    assert reset_message_template(organisation_id=org.pk, key="case_resolved")
    again = send_to_customer(case=case, kind="case_resolved", context={}, dedupe_key="o2")
    assert again is not None and again.body == fill(
        DEFAULT_TEMPLATES["case_resolved"][1], {"customer_name": "张伟", "case_number": case.number}
    )


def test_an_override_with_an_unknown_placeholder_is_refused(org):
    from manyi.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as e:
        save_message_template(
            organisation_id=org.pk, key="case_resolved", subject_zh="", body_zh="{name}你好"
        )
    assert "body_zh" in e.value.as_fields()
    assert not MessageTemplate.objects.exists()


def test_delivery_claims_each_message_once(agent, category, mailoutbox):
    cases = [_case(agent, category, phone=f"1381111{i:04d}") for i in range(3)]
    for i, case in enumerate(cases):
        send_to_customer(case=case, kind="case_resolved", context={}, dedupe_key=f"d{i}")
    assert deliver_customer_messages() == 3
    assert deliver_customer_messages() == 0
    assert len(MemorySmsBackend.outbox) == 3
    assert set(CustomerMessage.objects.values_list("state", "attempts")) == {("sent", 1)}


def test_unreachable_mail_server_keeps_emails_pending_but_sends_sms(agent, category, settings):
    settings.EMAIL_BACKEND = f"{__name__}.UnreachableMailServer"
    by_mail = CustomerFactory(store=agent.store, phone="", email="c@example.com")
    send_to_customer(
        case=open_case(agent, by_mail, category), kind="case_resolved", context={}, dedupe_key="m"
    )
    send_to_customer(
        case=_case(agent, category, phone="13811112222"),
        kind="case_resolved",
        context={},
        dedupe_key="s",
    )
    assert deliver_customer_messages() == 1
    assert dict(CustomerMessage.objects.values_list("channel", "state")) == {
        "email": "pending",
        "sms": "sent",
    }


def test_a_failing_wechat_send_is_marked_failed(agent, category, settings, monkeypatch):
    cust = CustomerFactory(store=agent.store, phone="", wechat_id="o-bad")
    send_to_customer(
        case=open_case(agent, cust, category), kind="case_resolved", context={}, dedupe_key="f"
    )

    def refuse(self, *, openid, text):
        raise RuntimeError("wechat: 43004 not subscribed")

    monkeypatch.setattr(MemoryWeChatBackend, "send", refuse)
    assert deliver_customer_messages() == 0
    row = CustomerMessage.objects.get()
    assert row.state == "failed" and "43004" in row.error


def test_the_file_backend_writes_json_lines(settings, tmp_path):
    from manyi.notifications.wechat import FileWeChatBackend

    settings.MANYI_WECHAT_FILE_PATH = str(tmp_path / "wechat.jsonl")
    FileWeChatBackend().send(openid="o1", text="你好")
    assert '"openid": "o1"' in (tmp_path / "wechat.jsonl").read_text(encoding="utf-8")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks")
@pytest.mark.django_db(transaction=True)
def test_two_workers_delivering_at_once_send_each_message_once(agent, category):
    for i in range(30):
        case = _case(agent, category, phone=f"1382222{i:04d}")
        send_to_customer(case=case, kind="case_resolved", context={}, dedupe_key=f"t{i}")
    mail.outbox = []
    barrier = threading.Barrier(2)
    sent = [0, 0]
    errors: list[BaseException] = []

    def worker(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            while n := customer_messages.deliver_customer_messages(limit=4):
                sent[i] += n
        except BaseException as e:  # reported by the test thread
            errors.append(e)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert sum(sent) == 30
    texts = Counter((s["to"], s["text"]) for s in MemorySmsBackend.outbox)
    assert len(texts) == 30 and set(texts.values()) == {1}


def test_the_worker_minute_enqueues_the_outbox_sweep():
    from manyi.notifications.customer import schedule_outbox_sweep

    assert schedule_outbox_sweep() is not None
    assert [r.task.func for r in task_backends["default"].results] == [delivery_task.func]
