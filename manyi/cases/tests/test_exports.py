"""Exports of the case list: same scope and filters as the page, phones masked per permission."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from manyi.cases.tests.ui_helpers import client_for, make_breached, open_case

pytestmark = pytest.mark.django_db


def csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))


def xlsx_rows(response) -> list[list[str]]:
    sheet = load_workbook(io.BytesIO(response.content)).active
    return [[c if c is not None else "" for c in row] for row in sheet.iter_rows(values_only=True)]


def test_csv_export_masks_phone_for_an_agent_and_keeps_it_for_a_supervisor(
    agent, supervisor, customer, category
):
    case = open_case(agent, customer, category, summary="交车延误")
    response = client_for(agent).get("/cases/export.csv")
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    header, *rows = csv_rows(response)
    assert len(header) == 15 and len(rows) == 1
    row = dict(zip(header, rows[0], strict=True))
    values = list(row.values())
    assert case.number in values and "张伟" in values and "交车延误" in values
    assert "138****5678" in values and "13812345678" not in values
    _header, *rows = csv_rows(client_for(supervisor).get("/cases/export.csv"))
    assert "13812345678" in rows[0]


def test_exports_follow_scope_and_filters(
    agent, agent_b, customer, customer_b, category, other_org
):
    open_case(agent, customer, category, summary="我的")
    make_breached(open_case(agent, customer, category, summary="我的超时"))
    open_case(agent_b, customer_b, category, summary="别的门店的")
    client = client_for(agent)
    summaries = {r[-1] for r in csv_rows(client.get("/cases/export.csv"))[1:]}
    assert summaries == {"我的", "我的超时"}  # not store B's, not the other organisation's
    summaries = {r[-1] for r in csv_rows(client.get("/cases/export.csv?breached=yes"))[1:]}
    assert summaries == {"我的超时"}
    summaries = {
        r[-1] for r in csv_rows(client_for(other_org["user"]).get("/cases/export.csv"))[1:]
    }
    assert summaries == {"别的组织的投诉"}


def test_xlsx_export_has_the_same_rows_with_masked_phone(agent, customer, category):
    case = open_case(agent, customer, category, summary='=HYPERLINK("x")')
    response = client_for(agent).get("/cases/export.xlsx")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    header, *rows = xlsx_rows(response)
    assert len(rows) == 1
    row = dict(zip(header, rows[0], strict=True))
    assert case.number in row.values()
    assert "138****5678" in row.values()
    # A summary that looks like a formula is written as text, never as a formula.
    assert '\'=HYPERLINK("x")' in row.values()


def test_unknown_export_format_answers_404(agent):
    assert client_for(agent).get("/cases/export.pdf").status_code == 404
