"""Fixtures shared by every app: one organisation with two stores and staff in every role,
and a second organisation that nobody of the first may ever see."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from manyi.accounts.choices import Role
from manyi.cases.models import Category
from manyi.core.tests.factories import (
    CustomerFactory,
    OrganisationFactory,
    StoreFactory,
    UserFactory,
)

SH = ZoneInfo("Asia/Shanghai")


def at(*args: int) -> dt.datetime:
    """A Shanghai-time instant: at(2026, 3, 2, 9, 0)."""
    return dt.datetime(*args, tzinfo=SH)  # type: ignore[misc]


@pytest.fixture(autouse=True)
def _memory_backends(settings: Any, tmp_path: Any) -> None:
    # Tests create many users; the production hasher would spend most of the run hashing.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.MANYI_SMS_BACKEND = "manyi.notifications.sms.MemorySmsBackend"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    settings.STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.MEDIA_ROOT = str(tmp_path / "media")
    from manyi.notifications.sms import MemorySmsBackend

    MemorySmsBackend.outbox.clear()


@pytest.fixture
def org(db: Any) -> Any:
    return OrganisationFactory()


@pytest.fixture
def store_a(org: Any) -> Any:
    return StoreFactory(organisation=org, name="浦东店", code="PD")


@pytest.fixture
def store_b(org: Any) -> Any:
    return StoreFactory(organisation=org, name="徐汇店", code="XH")


@pytest.fixture
def manager(store_a: Any) -> Any:
    return UserFactory(
        store=store_a, role=Role.STORE_MANAGER, username="manager", mobile="13900000003"
    )


@pytest.fixture
def supervisor(store_a: Any) -> Any:
    return UserFactory(
        store=store_a, role=Role.SUPERVISOR, username="supervisor", mobile="13900000002"
    )


@pytest.fixture
def agent(store_a: Any, supervisor: Any) -> Any:
    return UserFactory(
        store=store_a,
        role=Role.AGENT,
        username="agent",
        supervisor=supervisor,
        mobile="13900000001",
    )


@pytest.fixture
def agent_b(store_b: Any) -> Any:
    return UserFactory(store=store_b, role=Role.AGENT, username="agent_b")


@pytest.fixture
def admin_user(store_a: Any) -> Any:
    return UserFactory(store=store_a, role=Role.ORG_ADMIN, username="orgadmin", is_staff=True)


@pytest.fixture
def customer(store_a: Any) -> Any:
    return CustomerFactory(store=store_a, name="张伟", phone="13812345678")


@pytest.fixture
def customer_b(store_b: Any) -> Any:
    return CustomerFactory(store=store_b, name="李娜", phone="13987654321")


@pytest.fixture
def category(org: Any) -> Category:
    return Category.objects.get(organisation=org, code="wait_delivery")


@pytest.fixture
def other_org(db: Any) -> dict[str, Any]:
    """A second organisation with its own store, staff, customer and case."""
    from manyi.cases.services import create_case

    org2 = OrganisationFactory(name="另一个集团")
    store = StoreFactory(organisation=org2, code="O2")
    user = UserFactory(store=store, role=Role.ORG_ADMIN, username="other_admin")
    cust = CustomerFactory(store=store, phone="13700000000")
    case = create_case(
        actor=user,
        customer=cust,
        channel="phone",
        category=Category.objects.get(organisation=org2, code="billing_error"),
        summary="别的组织的投诉",
    )
    return {"org": org2, "store": store, "user": user, "customer": cust, "case": case}


@pytest.fixture(autouse=True)
def _memory_wechat(settings: Any) -> None:
    settings.MANYI_WECHAT_BACKEND = "manyi.notifications.wechat.MemoryWeChatBackend"
    from manyi.notifications.wechat import MemoryWeChatBackend

    MemoryWeChatBackend.outbox.clear()
