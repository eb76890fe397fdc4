"""The data of bench/bench_api.py: a history of cases loaded with the SQL loaders of
bench/common.py, timelines copied from a case worked through the real services, and the case
models' indexes created when no migration has created them yet. Import after setup_django()."""

from __future__ import annotations

import json
from typing import Any

from common import (
    BenchOrg,
    analyse,
    fast_load,
    load_case_history,
    load_customers,
    load_timelines,
    make_org,
    migrate,
    reset_database,
    timed,
)
from django.db import connection, transaction
from django.utils import timezone

from manyi.accounts.models import User
from manyi.audit.models import AuditEvent
from manyi.cases import services
from manyi.cases.models import Category
from manyi.customers.models import Customer

ORG_NAME = "接口基准集团"
TABLES = ("cases_case", "cases_casesla", "audit_auditevent")


def timeline_templates(org: BenchOrg) -> list[tuple[str, str, str]]:
    """(kind, message, changes) of the timeline of one case taken and worked through the
    services, rolled back afterwards: the bulk timelines copy what the services really write."""
    customer = Customer.objects.get(pk=org.customer_ids[0])
    agent = User.objects.get(pk=org.agents[customer.store_id][0])
    colleague = User.objects.get(pk=org.agents[customer.store_id][1])
    category = Category.objects.get(pk=org.category_id)
    with transaction.atomic():
        case = services.create_case(
            actor=agent,
            customer=customer,
            channel="phone",
            category=category,
            summary="交车延误两天，客户要求说明原因并赔偿",
        )
        services.change_status(actor=agent, case=case, status="acknowledged")
        services.respond_to_case(
            actor=agent, case=case, message="已致电客户说明原因，明天上午十点前交车。"
        )
        services.comment_on_case(actor=agent, case=case, text="配件已到店，安排优先装配。")
        services.assign_case(actor=agent, case=case, owner=colleague, note="请跟进交车。")
        services.change_status(actor=colleague, case=case, status="in_progress")
        services.change_status(
            actor=colleague, case=case, status="resolved", note="已交车。", outcome="in_favour"
        )
        rows = [
            (e.kind, e.message, json.dumps(e.changes, ensure_ascii=False))
            for e in AuditEvent.objects.filter(case=case).order_by("at", "id")
        ]
        transaction.set_rollback(True)
    return rows


def load(n_cases: int) -> None:
    print(f"Loading 1 organisation, customers and {n_cases:,} cases:")
    now = timezone.now()
    with timed("reset the database"):
        reset_database()
    with timed("organisation, 20 stores, 241 staff"):
        org = make_org(name=ORG_NAME)
    n_customers = max(1000, min(200_000, n_cases // 2)) // 200 * 200
    with timed(f"{n_customers:,} customers"), fast_load(("customers_customer",)):
        load_customers(org, n_customers)
    templates = timeline_templates(org)
    with timed("all, with the secondary indexes rebuilt"), fast_load(TABLES):
        with timed(f"{n_cases:,} cases over 3 years, 2 SLA clocks each"):
            shape = load_case_history(org, cases=n_cases, now=now)
        with timed("timelines"):
            events = load_timelines(org, templates, every=10)
    with timed("VACUUM ANALYZE"):
        analyse()
    print(
        f"  {shape.hi - shape.lo + 1:,} cases ({shape.open_cases:,} open, {shape.breached:,} "
        f"breached, {shape.due_soon:,} due within the hour), {events:,} timeline entries"
    )


def model_indexes() -> list[tuple[Any, Any]]:
    from django.apps import apps

    return [
        (model, index)
        for model in apps.get_app_config("cases").get_models()
        for index in model._meta.indexes
    ]


def existing_indexes() -> set[str]:
    with connection.cursor() as cur:
        cur.execute("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()")
        return {r[0] for r in cur.fetchall()}


def migrate_with_model_indexes() -> None:
    """Migrate, then create the indexes declared on the case models that no migration has
    created yet (the benchmark measures the models as they are; their migration may come
    later). Those are dropped again before pending migrations run, so that a migration that
    now creates one of them does not fail."""
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if pending:
        present = existing_indexes()
        with connection.schema_editor() as editor:
            for model, index in model_indexes():
                if index.name in present:
                    editor.remove_index(model, index)
    migrate()
    present = existing_indexes()
    missing = [(m, i) for m, i in model_indexes() if i.name not in present]
    if missing:
        print("Creating indexes declared on the models but not yet migrated:")
        for model, index in missing:
            label = f"{index.name} on {model._meta.db_table}"
            with timed(label), connection.schema_editor(atomic=False) as editor:
                editor.add_index(model, index)
