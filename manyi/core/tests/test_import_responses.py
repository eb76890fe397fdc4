"""`manyi import responses`: survey answers from a spreadsheet, matched to the questions of the
survey's published version. Same rules as the other imports: every row checked first, every
bad row reported (row, column, value, reason) and nothing imported; imported answers never
open a close-the-loop case."""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Sequence
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils.translation import override

from conftest import at
from manyi.audit.models import AuditEvent, EventKind
from manyi.cases.models import Case
from manyi.cases.services import create_case
from manyi.core.imports import ImportFileError
from manyi.core.imports.responses import cell_answer, import_responses
from manyi.surveys.definition import parse_question
from manyi.surveys.models import Response, Survey
from manyi.surveys.services import create_survey, install_template, publish_survey, save_draft

pytestmark = pytest.mark.django_db

AIRLINE = (
    Path(__file__).resolve().parents[3].parent
    / "shared/data/airline_passenger_satisfaction/Airline_Passenger_Satisfaction.csv"
)


def write_csv(path: Path, rows: Sequence[Sequence[object]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    return path


def run_import(*args: object) -> str:
    out = io.StringIO()
    call_command("manyi_import", *[str(a) for a in args], stdout=out, stderr=io.StringIO())
    return out.getvalue()


def report_of(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig") as f:
        return list(csv.reader(f))[1:]


@pytest.fixture
def nps(admin_user) -> Survey:
    return install_template(actor=admin_user, template_key="nps", now=at(2026, 1, 5, 9, 0))


@pytest.fixture
def mixed(admin_user) -> Survey:
    """One question of each kind an import can fill."""
    survey = create_survey(actor=admin_user, name_zh="混合问卷")
    options = [
        {"value": "price", "zh": "价格", "en": "Price"},
        {"value": "speed", "zh": "速度", "en": "Speed"},
        {"value": "staff", "zh": "员工", "en": "Staff"},
    ]
    save_draft(
        actor=admin_user,
        survey=survey,
        definition={
            "questions": [
                {"key": "csat", "type": "scale", "text_zh": "总体满意度", "role": "csat"},
                {
                    "key": "parking",
                    "type": "scale",
                    "text_zh": "停车",
                    "text_en": "Parking",
                    "allow_na": True,
                    "na_code": "0",
                    "required": False,
                },
                {
                    "key": "visit",
                    "type": "single",
                    "text_zh": "来店目的",
                    "options": [
                        {"value": "repair", "zh": "维修", "en": "Repair"},
                        {"value": "service", "zh": "保养", "en": "Maintenance"},
                    ],
                    "na_code": "99",
                    "required": False,
                },
                {
                    "key": "topics",
                    "type": "multi",
                    "text_zh": "关注点",
                    "options": options,
                    "required": False,
                },
                {
                    "key": "wifi",
                    "type": "kano",
                    "text_zh": "提供无线网络",
                    "text2_zh": "不提供无线网络",
                    "required": False,
                },
                {
                    "key": "sq_t1",
                    "type": "servqual",
                    "text_zh": "设备现代化",
                    "dimension": "tangibles",
                    "required": False,
                },
                {"key": "comment", "type": "text", "text_zh": "意见", "required": False},
            ]
        },
    )
    publish_survey(actor=admin_user, survey=survey)
    survey.refresh_from_db()
    return survey


def test_a_good_file_imports_every_answer_with_scores_and_no_loop_case(
    tmp_path, nps, admin_user, store_a, store_b, agent, customer, category
):
    case = create_case(
        actor=agent, customer=customer, channel="phone", category=category, summary="等太久"
    )
    cases_before = Case.objects.count()
    path = write_csv(
        tmp_path / "nps.csv",
        [
            ["门店", "客户手机", "服务顾问", "提交时间", "投诉编号", "nps", "reason", "来源"],
            ["PD", "138 1234 5678", "agent", "2026-02-03 10:30", case.number, "2", "没修好", "x"],
            ["徐汇店", "", "", "2026-02-04", "", "10", "很好", ""],
            ["", "", "", "", "", "7", "", ""],
        ],
    )
    out = run_import("responses", path, "--survey", nps.pk, "--store", "XH")

    responses = Response.objects.order_by("id")
    assert responses.count() == 3
    bad, good, bare = responses
    assert (bad.store, bad.customer, bad.staff, bad.case) == (store_a, customer, agent, case)
    assert bad.answers == {"nps": 2, "reason": "没修好"}
    assert (bad.mode, bad.nps, bad.csat, bad.dissatisfied) == ("import", 2, None, True)
    assert bad.submitted_at == bad.started_at == at(2026, 2, 3, 10, 30)
    assert bad.survey_version == nps.current_version
    assert bad.entered_by == admin_user
    assert bad.loop_case is None and bad.invitation is None
    assert Case.objects.count() == cases_before  # no close-the-loop case for history
    assert (good.store, good.customer, good.nps, good.dissatisfied) == (store_b, None, 10, False)
    assert good.submitted_at == at(2026, 2, 4, 0, 0)
    assert bare.store == store_b  # --store for a row without one
    assert bare.answers == {"nps": 7}
    assert "来源" in out  # the unknown column is listed as ignored
    event = AuditEvent.objects.get(kind=EventKind.IMPORTED)
    assert "3" in event.message and "nps.csv" in event.message


def test_every_kind_of_question_is_read_from_its_cell(tmp_path, mixed, store_a):
    path = write_csv(
        tmp_path / "mixed.csv",
        [
            ["总体满意度", "Parking", "visit", "关注点", "wifi", "sq_t1", "comment"],
            ["5", "0", "维修", "价格、staff", "like/dislike", "6/4", "挺好"],
            ["4", "3", "Maintenance", "speed; Price", "喜欢/无所谓", "7 / 7", ""],
            ["1", "na", "99", "", "", "", ""],
        ],
    )
    result = import_responses(path=path, survey=mixed)
    assert result.ok, result.errors
    first, second, third = Response.objects.order_by("id")
    assert first.answers == {
        "csat": 5,
        "parking": "na",
        "visit": "repair",
        "topics": ["price", "staff"],
        "wifi": {"functional": "like", "dysfunctional": "dislike"},
        "sq_t1": {"expectation": 6, "perception": 4},
        "comment": "挺好",
    }
    assert second.answers["topics"] == ["price", "speed"]  # in the options' order
    assert second.answers["wifi"] == {"functional": "like", "dysfunctional": "neutral"}
    assert second.answers["visit"] == "service"
    assert third.answers == {"csat": 1, "parking": "na"}  # the N/A code 99: not answered
    assert (first.csat, first.dissatisfied, third.csat, third.dissatisfied) == (5, False, 1, True)


def test_bad_rows_import_nothing_and_each_is_reported_with_row_column_value_and_reason(
    tmp_path, mixed, store_a, customer
):
    header = [
        "总体满意度",
        "Parking",
        "visit",
        "关注点",
        "wifi",
        "sq_t1",
        "门店",
        "客户手机",
        "提交时间",
    ]
    path = write_csv(
        tmp_path / "bad.csv",
        [
            header,
            ["5", "", "", "", "", "", "", "", ""],
            ["6", "", "", "", "", "", "", "", ""],
            ["", "", "", "", "", "", "PD", "", ""],
            ["4", "x", "飞机", "价格;火箭", "like", "6", "", "", ""],
            ["4", "", "", "", "like/maybe", "9/1", "NOPE", "13900000000", "2099-01-01"],
            ["4", "", "", "", "", "", "", "12345", "yesterday"],
        ],
    )  # fmt: skip
    with override("en"), pytest.raises(CommandError, match="Nothing was imported"):
        run_import("responses", path, "--survey", mixed.pk, "--store", "PD")
    assert not Response.objects.exists()
    assert not AuditEvent.objects.filter(kind=EventKind.IMPORTED).exists()
    report = report_of(tmp_path / "bad.errors.csv")
    found = {(int(r[0]), r[1]) for r in report}
    assert found == {
        (3, "总体满意度"),  # 6 on a 1–5 scale
        (4, "总体满意度"),  # required, missing
        (5, "Parking"),
        (5, "visit"),
        (5, "关注点"),
        (5, "wifi"),
        (5, "sq_t1"),
        (6, "wifi"),
        (6, "sq_t1"),
        (6, "门店"),
        (6, "客户手机"),
        (6, "提交时间"),
        (7, "客户手机"),
        (7, "提交时间"),
    }
    values = {(int(r[0]), r[1]): (r[2], r[3]) for r in report}
    assert values[(3, "总体满意度")] == ("6", "Choose a number from 1 to 5.")
    assert values[(4, "总体满意度")][1] == "Please answer this question."
    assert values[(5, "visit")][0] == "飞机"
    assert values[(6, "sq_t1")][0] == "9/1"
    assert all(r[3] for r in report)


def test_skip_bad_rows_imports_the_good_ones(tmp_path, nps, store_a):
    path = write_csv(tmp_path / "some.csv", [["nps"], ["9"], ["11"], ["3"]])
    result = import_responses(path=path, survey=nps, skip_bad_rows=True, default_store=store_a)
    assert (result.imported, result.bad_rows) == (2, 1)
    assert sorted(n or 0 for n in Response.objects.values_list("nps", flat=True)) == [3, 9]


def test_the_submitted_at_option_dates_rows_without_a_time_and_phone_mode_is_kept(
    tmp_path, nps, store_a
):
    path = write_csv(tmp_path / "phone.csv", [["nps"], ["9"]])
    run_import(
        "responses", path, "--survey", nps.pk, "--submitted-at", "2026-01-20 15:00",
        "--mode", "phone", "--store", "PD",
    )  # fmt: skip
    response = Response.objects.get()
    assert (response.mode, response.submitted_at) == ("phone", at(2026, 1, 20, 15, 0))


def test_a_file_without_a_required_question_or_with_a_question_twice_is_refused(
    tmp_path, nps, store_a
):
    with pytest.raises(ImportFileError, match="nps"):
        import_responses(path=write_csv(tmp_path / "a.csv", [["reason"], ["好"]]), survey=nps)
    twice = write_csv(tmp_path / "b.csv", [["nps", "NPS"], ["9", "9"]])
    with pytest.raises(ImportFileError, match="NPS"):
        import_responses(path=twice, survey=nps)
    assert not Response.objects.exists()


def test_an_unpublished_or_foreign_survey_cannot_be_imported_into(
    tmp_path, admin_user, other_org, store_a
):
    draft = create_survey(actor=admin_user, template_key="nps")
    path = write_csv(tmp_path / "a.csv", [["nps"], ["9"]])
    with override("en"), pytest.raises(CommandError, match="Publish"):
        run_import("responses", path, "--survey", draft.pk, "--org", admin_user.organisation.name)
    theirs = install_template(actor=other_org["user"], template_key="nps")
    with override("en"), pytest.raises(CommandError, match="No survey"):
        run_import("responses", path, "--survey", theirs.pk, "--org", admin_user.organisation.name)
    assert not Response.objects.exists()


def test_cells_read_na_codes_labels_and_pairs():
    scale = parse_question(
        {"key": "x", "type": "scale", "text_zh": "x", "allow_na": True, "na_code": "0"}
    )
    assert cell_answer(scale, "0") == "na"
    assert cell_answer(scale, "不适用") == "na"
    assert cell_answer(scale, "4.0") == 4
    nps = parse_question({"key": "n", "type": "nps", "text_zh": "n", "na_code": "-1"})
    assert cell_answer(nps, "-1") is None
    kano = parse_question({"key": "k", "type": "kano", "text_zh": "k", "text2_zh": "k2"})
    assert cell_answer(kano, "理应如此 / 能忍受") == {
        "functional": "must_be",
        "dysfunctional": "live_with",
    }
    points = parse_question(
        {
            "key": "p",
            "type": "points",
            "text_zh": "p",
            "total": 10,
            "options": [{"value": "a", "zh": "甲"}, {"value": "b", "zh": "乙"}],
        }
    )
    assert cell_answer(points, "a=4; 乙:6") == {"a": 4, "b": 6}


@pytest.mark.skipif(not AIRLINE.is_file(), reason=f"the airline data is not at {AIRLINE}")
def test_a_slice_of_the_real_airline_file_imports_into_the_airline_template(
    tmp_path, admin_user, store_a
):
    with AIRLINE.open(encoding="utf-8", newline="") as f:
        rows = list(itertools.islice(csv.reader(f), 401))
    path = write_csv(tmp_path / "airline.csv", rows)
    header = rows[0]
    zeros = sum(
        1
        for row in rows[1:]
        for i, name in enumerate(header)
        if 8 <= i <= 21 and row[i] == "0"  # the 14 service items; 0 = not applicable
    )
    assert zeros > 0

    out = run_import("responses", path, "--create-template", "airline", "--store", "PD")

    survey = Survey.objects.get(template_key="airline")
    assert f"{survey.pk}" in out
    responses = Response.objects.filter(survey=survey)
    assert responses.count() == 400
    for column in ("Gender", "Age", "Flight Distance", "Arrival Delay in Minutes"):
        assert column in out  # listed as ignored
    na = sum(1 for answers in responses.values_list("answers", flat=True) for v in
             answers.values() if v == "na")  # fmt: skip
    assert na == zeros
    first = responses.order_by("id").first()
    assert first is not None
    assert first.answers["satisfaction"] == rows[1][-1]
    assert first.answers["travel_class"] == rows[1][header.index("Class")]
    assert first.answers["air_wifi"] == int(rows[1][header.index("Inflight wifi service")])


def test_a_template_made_for_an_import_with_bad_rows_is_not_kept(tmp_path, admin_user, store_a):
    path = write_csv(tmp_path / "air.csv", [["satisfaction", "Seat comfort"], ["maybe", "9"]])
    with pytest.raises(CommandError, match="--skip-bad-rows"):
        run_import("responses", path, "--create-template", "airline", "--store", "PD")
    assert not Survey.objects.exists()
    assert len(report_of(tmp_path / "air.errors.csv")) == 2
