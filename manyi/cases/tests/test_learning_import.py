"""Importing old cases: the outcome and root-cause columns are optional (old registers often
lack them), are read in English or Chinese, and are refused on an open case."""

from __future__ import annotations

import csv
import datetime as dt

import pytest

from manyi.cases.models import Case
from manyi.core.imports import import_cases

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 3, 12, 0, tzinfo=dt.UTC)


def write_csv(path, rows):
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    return path


def run(tmp_path, rows, customer, actor):
    path = write_csv(tmp_path / "cases.csv", rows)
    return import_cases(path=path, organisation=customer.organisation, actor=actor, now=NOW)


def test_chinese_learning_columns_and_words_are_imported(tmp_path, customer, admin_user):
    rows = [
        ["客户手机", "渠道", "类别", "摘要", "状态", "结果", "根本原因", "原因说明", "纠正措施"],
        ["13812345678", "电话", "wait_delivery", "交车晚了", "已关闭", "部分解决", "流程",
         "排班没有考虑工位", "按工位数限制预约"],
        ["13812345678", "电话", "wait_delivery", "又晚了", "已解决", "客户撤诉", "", "", ""],
    ]  # fmt: skip
    result = run(tmp_path, rows, customer, admin_user)
    assert result.ok, result.errors
    closed = Case.objects.get(summary="交车晚了")
    assert (closed.status, closed.outcome, closed.root_cause) == ("closed", "partly", "process")
    assert closed.root_cause_note == "排班没有考虑工位"
    assert closed.corrective_action == "按工位数限制预约"
    resolved = Case.objects.get(summary="又晚了")
    assert (resolved.status, resolved.outcome, resolved.root_cause) == (
        "resolved",
        "withdrawn",
        "",
    )


def test_english_learning_columns_are_imported(tmp_path, customer, admin_user):
    rows = [
        ["customer_phone", "channel", "category", "summary", "status", "outcome", "root_cause",
         "root_cause_note", "corrective_action"],
        ["13812345678", "phone", "billing_error", "多收费", "closed", "in_favour", "people",
         "收银员录错工时", "系统自动比对工时"],
    ]  # fmt: skip
    result = run(tmp_path, rows, customer, admin_user)
    assert result.ok, result.errors
    case = Case.objects.get(summary="多收费")
    assert (case.outcome, case.root_cause, case.corrective_action) == (
        "in_favour",
        "people",
        "系统自动比对工时",
    )


def test_old_closed_cases_without_learning_columns_are_imported_as_they_are(
    tmp_path, customer, admin_user
):
    rows = [
        ["customer_phone", "channel", "category", "summary", "status"],
        ["13812345678", "phone", "wait_delivery", "老投诉", "closed"],
    ]
    result = run(tmp_path, rows, customer, admin_user)
    assert result.ok, result.errors
    case = Case.objects.get(summary="老投诉")
    assert case.status == "closed"
    assert (case.outcome, case.root_cause, case.root_cause_note) == ("", "", "")


def test_learning_on_an_open_case_or_an_unknown_word_is_a_row_error(tmp_path, customer, admin_user):
    rows = [
        ["customer_phone", "channel", "category", "summary", "status", "outcome", "root_cause"],
        ["13812345678", "phone", "wait_delivery", "还在处理", "in_progress", "in_favour", ""],
        ["13812345678", "phone", "wait_delivery", "原因不明", "closed", "", "天气"],
    ]
    result = run(tmp_path, rows, customer, admin_user)
    assert not result.ok
    assert {(e.row, e.column) for e in result.errors} == {(2, "outcome"), (3, "root_cause")}
    assert not Case.objects.exists()


def test_imported_resolved_cases_get_no_follow_up_call(tmp_path, customer, admin_user):
    from manyi.followups.models import FollowUp

    rows = [
        ["客户手机", "渠道", "类别", "摘要", "状态", "结果"],
        ["13812345678", "电话", "wait_delivery", "旧投诉", "已解决", "部分解决"],
    ]
    result = run(tmp_path, rows, customer, admin_user)
    assert result.ok, result.errors
    assert Case.objects.get(summary="旧投诉").status == "resolved"
    assert not FollowUp.objects.exists()
