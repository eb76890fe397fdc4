"""The results page and its exports: figures with their n, greyed low-n figures, changes
marked significant only when they are, Chinese and English, scoping (another organisation's
survey is a 404, a store-bound agent sees their store), CSV with a BOM and XLSX, the raw
answers with masked phone numbers, and a constant number of queries."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re

import pytest
from openpyxl import load_workbook

from conftest import at
from manyi.cases.tests.ui_helpers import client_for
from manyi.surveys import services
from manyi.surveys.results_exports import TABLES
from manyi.surveys.tests.test_results import WHEN, respond

pytestmark = pytest.mark.django_db


@pytest.fixture
def nps(admin_user):
    return services.install_template(actor=admin_user, template_key="nps")


@pytest.fixture
def dealer(admin_user):
    return services.install_template(actor=admin_user, template_key="dealer_csi")


def url(survey, suffix=""):
    return f"/surveys/{survey.pk}/results/{suffix}"


def figure(html: str, name: str) -> str:
    match = re.search(rf'data-figure="{name}"[^>]*>(.*?)</div>', html, re.S)
    assert match, f"no data-figure={name}"
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


def card(html: str, element_id: str) -> str:
    """The KPI card with this id (up to the next card)."""
    start = html.index(f'id="{element_id}"')
    end = html.find('<div class="kpi', start)
    return html[start : end if end > 0 else None]


def test_the_page_shows_the_responses_and_nps_with_their_n(admin_user, store_a, nps):
    for score in [10, 10, 9, 9, 9, 8, 7, 6, 3, 0]:
        respond(nps, store_a, {"nps": score, "reason": "服务好"})
    response = client_for(admin_user, "en").get(url(nps))
    assert response.status_code == 200
    html = response.content.decode()
    assert figure(html, "responses") == "10"
    assert figure(html, "nps") == "20.0"
    assert "n = 10" in html
    assert "5 promoters, 2 passives, 3 detractors" in html


def test_a_figure_below_the_minimum_is_greyed_with_a_warning(admin_user, store_a, nps):
    for score in [9, 9, 3]:
        respond(nps, store_a, {"nps": score})
    html = client_for(admin_user, "en").get(url(nps)).content.decode()
    assert re.search(r'class="kpi low-n" id="kpi-nps"', html)
    assert "Based on fewer than 30 answers" in html
    nps.min_n = 3
    nps.save(update_fields=["min_n"])
    html = client_for(admin_user, "en").get(url(nps)).content.decode()
    assert 'class="kpi" id="kpi-nps"' in html


def test_a_change_is_marked_significant_only_when_it_is(admin_user, store_a, nps):
    for i in range(40):
        respond(nps, store_a, {"nps": 2 if i % 2 else 9}, when=WHEN - dt.timedelta(days=31))
        respond(nps, store_a, {"nps": 10 if i % 4 else 3})
    client = client_for(admin_user, "en")
    html = client.get(url(nps), {"start": "2026-03-01", "end": "2026-03-31"}).content.decode()
    nps_card = card(html, "kpi-nps")
    assert 'data-significant="true"' in nps_card and "significant" in nps_card
    assert "+50.0" in nps_card and "p = 0.017" in nps_card
    # Without a comparison no change is shown at all.
    page = client.get(url(nps), {"start": "2026-03-01", "end": "2026-03-31", "compare": "none"})
    assert "data-significant" not in page.content.decode()


def test_not_significant_changes_say_so(admin_user, store_a, nps):
    for i in range(20):
        respond(nps, store_a, {"nps": 9 if i % 2 else 5}, when=WHEN - dt.timedelta(days=31))
        respond(nps, store_a, {"nps": 9 if i % 3 else 5})
    html = (
        client_for(admin_user, "en")
        .get(url(nps), {"start": "2026-03-01", "end": "2026-03-31"})
        .content.decode()
    )
    assert 'data-significant="false"' in html and "not significant" in html
    assert 'data-significant="true"' not in html


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("zh-hans", ['lang="zh-CN"', "售后服务满意度（CSI）", "请为“服务顾问的友好程度”打分"]),
        ("en", ['lang="en"', "After-sales satisfaction (CSI)", "Key drivers", "Per store"]),
    ],
)
def test_the_page_renders_in_chinese_and_english(admin_user, store_a, dealer, language, words):
    keys = [q["key"] for q in dealer.current_version.definition["questions"]]
    for i in range(12):
        respond(dealer, store_a, {k: 1 + (i * 3 + j) % 10 for j, k in enumerate(keys[:8])})
    html = client_for(admin_user, language).get(url(dealer)).content.decode()
    for word in words:
        assert word in html
    assert 'data-figure="csi"' in html and 'data-chart="drivers"' in html
    data = json.loads(re.search(r'id="results-charts"[^>]*>(.*?)</script>', html, re.S).group(1))
    assert len(data["drivers"]["items"]) == 7
    assert "vendor/echarts.min.js" in html and "manyi/charts.js" in html


def test_a_survey_without_charts_loads_no_chart_script(admin_user, store_a):
    survey = services.install_template(actor=admin_user, template_key="csat_ces")
    respond(survey, store_a, {"csat": 4, "ces": 6})
    html = client_for(admin_user, "en").get(url(survey)).content.decode()
    assert 'data-figure="csat"' in html and 'data-figure="ces"' in html
    assert 'data-figure="nps"' not in html and "echarts" not in html


def test_another_organisations_survey_is_not_found(admin_user, other_org):
    theirs = services.install_template(actor=other_org["user"], template_key="nps")
    client = client_for(admin_user)
    assert client.get(url(theirs)).status_code == 404
    assert client.get(url(theirs, "export.csv"), {"table": "summary"}).status_code == 404
    assert client.get(url(theirs, "export.xlsx"), {"table": "responses"}).status_code == 404


def test_the_page_needs_a_login(nps):
    from django.test import Client

    response = Client().get(url(nps))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_a_store_bound_agent_sees_only_their_store(agent, store_a, store_b, nps):
    respond(nps, store_a, {"nps": 10})
    for _ in range(3):
        respond(nps, store_b, {"nps": 0})
    html = client_for(agent, "en").get(url(nps)).content.decode()
    assert figure(html, "responses") == "1"
    assert figure(html, "nps") == "100.0"
    assert store_b.name not in html
    rows = list(
        csv.reader(
            io.StringIO(
                _csv(client_for(agent).get(url(nps, "export.csv"), {"table": "breakdown_store"}))
            )
        )
    )
    assert [r[0] for r in rows[1:]] == [store_a.name]


def _csv(response) -> str:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    body: str = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    return body[1:]


@pytest.mark.parametrize("table", [*TABLES])
def test_every_table_exports_as_csv_with_a_bom_and_as_xlsx(admin_user, store_a, nps, table):
    for score in [10, 9, 7, 3]:
        respond(nps, store_a, {"nps": score, "reason": "不错"})
    client = client_for(admin_user, "en")
    rows = list(csv.reader(io.StringIO(_csv(client.get(url(nps, "export.csv"), {"table": table})))))
    assert rows and rows[0]  # a header
    response = client.get(url(nps, "export.xlsx"), {"table": table})
    assert response.status_code == 200
    assert "spreadsheetml" in response["Content-Type"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert [c.value for c in next(sheet.iter_rows())] == rows[0]


def test_the_summary_export_carries_each_figures_n_and_significance(admin_user, store_a, nps):
    for score in [10, 9, 7, 3]:
        respond(nps, store_a, {"nps": score})
    client = client_for(admin_user, "en")
    body = _csv(client.get(url(nps, "export.csv"), {"table": "summary", "start": "2026-03-01"}))
    rows = {r[0]: r for r in csv.reader(io.StringIO(body))}
    header = rows["Figure"]
    assert header[:6] == [
        "Figure",
        "Value",
        "Lower 95% limit",
        "Upper 95% limit",
        "n",
        "Fewer answers than the minimum",
    ]
    nps_row = dict(zip(header, rows["NPS"], strict=True))
    assert nps_row["Value"] == "25.0" and nps_row["n"] == "4"
    assert nps_row["Fewer answers than the minimum"] == "yes"
    assert nps_row["Significant (p < 0.05)"] == "no"


def test_chinese_headers_survive_in_the_csv(admin_user, store_a, nps):
    respond(nps, store_a, {"nps": 9})
    body = _csv(client_for(admin_user).get(url(nps, "export.csv"), {"table": "breakdown_store"}))
    assert store_a.name in body  # 浦东店


def test_the_raw_answers_export_masks_phones_for_roles_without_personal_data(
    admin_user, agent, supervisor, store_a, customer, nps
):
    respond(nps, store_a, {"nps": 9, "reason": "快"}, customer=customer, staff=agent)
    header, row = list(
        csv.reader(
            io.StringIO(
                _csv(client_for(agent, "en").get(url(nps, "export.csv"), {"table": "responses"}))
            )
        )
    )
    record = dict(zip(header, row, strict=True))
    assert record["nps"] == "9" and record["reason"] == "快"
    assert record["Customer"] == customer.name and record["Served by"] == str(agent)
    assert record["Phone"] == "138****5678"
    assert customer.phone not in "".join(row)
    _h, row = list(
        csv.reader(
            io.StringIO(
                _csv(
                    client_for(supervisor, "en").get(url(nps, "export.csv"), {"table": "responses"})
                )
            )
        )
    )
    assert customer.phone in row
    response = client_for(agent, "en").get(url(nps, "export.xlsx"), {"table": "responses"})
    values = [
        c.value for c in list(load_workbook(io.BytesIO(response.content)).active.iter_rows())[1]
    ]
    assert "138****5678" in values and customer.phone not in values


def test_an_unknown_table_or_format_is_not_found(admin_user, nps):
    client = client_for(admin_user)
    assert client.get(url(nps, "export.csv"), {"table": "secrets"}).status_code == 404
    assert client.get(url(nps, "export.pdf"), {"table": "summary"}).status_code == 404


def test_a_bad_filter_shows_its_error_and_everything(admin_user, store_a, nps):
    respond(nps, store_a, {"nps": 9})
    response = client_for(admin_user, "en").get(
        url(nps), {"start": "2026-03-10", "end": "2026-03-01"}
    )
    html = response.content.decode()
    assert response.status_code == 200 and "The end comes before the start." in html
    assert figure(html, "responses") == "1"


def test_the_page_uses_a_constant_number_of_queries(
    admin_user, store_a, store_b, agent, agent_b, nps, django_assert_max_num_queries
):
    client = client_for(admin_user, "en")
    for i in range(3):
        respond(nps, store_a, {"nps": i}, staff=agent)
    client.get(url(nps))  # warm the session
    with django_assert_max_num_queries(14) as few:
        assert client.get(url(nps)).status_code == 200
    for i in range(60):
        respond(
            nps,
            store_b if i % 2 else store_a,
            {"nps": i % 11},
            staff=agent_b if i % 2 else agent,
            when=at(2026, 1 + i % 3, 5, 10, 0),
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url(nps)).status_code == 200


def test_an_unpublished_survey_shows_empty_results(admin_user):
    draft = services.create_survey(actor=admin_user, template_key="servqual")
    html = client_for(admin_user, "en").get(url(draft)).content.decode()
    assert figure(html, "responses") == "0"
    assert 'id="servqual"' in html  # its sections, from the draft's questions, with n = 0
