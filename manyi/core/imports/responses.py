"""Importing survey answers from a spreadsheet: a previous survey vendor's export, paper
questionnaires typed in, or public data such as the airline passenger survey.

Each column is matched to a question of the survey's published version: by the question's
`import_column`, else its key, else its Chinese or English text (headers compared after
`normalise_header`: case, spaces and parenthesised notes do not count). A few optional columns
say who answered and when (RESPONSE_COLUMNS); any other column is listed as ignored.

Every row is checked first with the same rules as an answer given online (`clean_answers`:
ranges, options, required and conditional questions); then all good rows are written in one
transaction with bulk inserts. With any bad row nothing is written, unless `skip_bad_rows`.

Imported answers are history: they never open a close-the-loop case (the customer's bad
experience is long past and nobody would call them now), but `dissatisfied`, `nps` and
`csat` are filled in exactly as for a live answer, so the analytics count them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from manyi.accounts.models import Store, User
from manyi.audit.models import EventKind
from manyi.audit.services import record_event
from manyi.cases.models import Case
from manyi.core.db import lock_self
from manyi.core.errors import DomainError
from manyi.core.imports import parse
from manyi.core.imports.base import ImportResult, Progress, Row, chunks, no_progress, rows_of
from manyi.core.imports.columns import Column, normalise_header
from manyi.core.imports.readers import ImportFileError, Table, read_table
from manyi.customers.models import Customer
from manyi.customers.validation import normalise_phone
from manyi.metrics.kano import ANSWERS as KANO_ANSWERS
from manyi.surveys.answers import loop_reasons, scores_of
from manyi.surveys.choices import ResponseMode
from manyi.surveys.definition import Definition, Question, QuestionType, clean_answers
from manyi.surveys.models import Response, Survey, SurveyVersion
from manyi.surveys.services import definition_of

CHUNK = 2000
MODES = (ResponseMode.IMPORT, ResponseMode.PHONE)

RESPONSE_COLUMNS = [
    Column(
        "store",
        ("门店", "门店代码", "门店名称"),
        gettext_lazy(
            "store code or name; empty: the --store option, the only store, or the importing "
            "user's store"
        ),
    ),
    Column(
        "customer_phone",
        ("客户手机", "客户电话", "手机", "电话", "手机号", "联系电话"),
        gettext_lazy("phone of an existing customer; empty: an anonymous answer"),
    ),
    Column(
        "staff",
        ("服务顾问", "接待人", "接待员工", "员工", "负责人"),
        gettext_lazy("user name of the staff member who served the customer"),
    ),
    Column(
        "submitted_at",
        ("提交时间", "回答时间", "调查时间", "回访时间", "日期"),
        gettext_lazy(
            'when it was answered: YYYY-MM-DD, "YYYY-MM-DD HH:MM" local time or ISO 8601; '
            "empty: the --submitted-at option, else now"
        ),
    ),
    Column(
        "case_number",
        ("投诉编号", "投诉单号", "案件编号"),
        gettext_lazy("number of the case the answer is about"),
    ),
]

# The five Kano answers: the code, the English label, or the Chinese wording.
KANO_WORDS: dict[str, str] = {
    **{a: a for a in KANO_ANSWERS},
    "must be": "must_be", "live with": "live_with", "i like it": "like",
    "it must be that way": "must_be", "i am neutral": "neutral",
    "i can live with it": "live_with", "i dislike it": "dislike",
    "喜欢": "like", "我喜欢": "like", "我很喜欢": "like", "很喜欢": "like",
    "理应如此": "must_be", "理所当然": "must_be", "必须如此": "must_be", "应该如此": "must_be",
    "无所谓": "neutral", "中立": "neutral", "能忍受": "live_with", "可以忍受": "live_with",
    "勉强接受": "live_with", "不喜欢": "dislike", "我不喜欢": "dislike",
}  # fmt: skip
NA_WORDS = {"na", "n/a", "不适用"}
MULTI_SEPARATORS = re.compile(r"\s*[;；、]\s*")
PAIR_SEPARATOR = re.compile(r"\s*[/／|]\s*")
POINTS_PAIR = re.compile(r"^(?P<option>.+?)\s*[=:：]\s*(?P<points>-?\d+)$")
QUESTION = "q:"  # prefix of a question's entry in the column index


@dataclass(frozen=True)
class Columns:
    """Which column holds which field (`store`, … or `q:<key>`), and the ignored ones."""

    index: dict[str, int]
    ignored: list[str]


def map_columns(headers: list[str], definition: Definition) -> Columns:
    """Match the headers to the response columns and the questions. Raises ImportFileError
    when two columns mean the same thing or a required question has no column."""
    lookup: dict[str, str] = {}
    for col in RESPONSE_COLUMNS:
        for alias in (col.name, *col.aliases):
            lookup.setdefault(normalise_header(alias), col.name)
    # The explicit import column first, then the key, then the texts.
    for attribute in ("import_column", "key", "text_zh", "text_en"):
        for q in definition.questions:
            name = getattr(q, attribute)
            if name:
                lookup.setdefault(normalise_header(name), QUESTION + q.key)
    index: dict[str, int] = {}
    ignored: list[str] = []
    for i, header in enumerate(headers):
        if not header:
            continue
        field = lookup.get(normalise_header(header))
        if field is None:
            ignored.append(header)
        elif field in index:
            raise ImportFileError(
                _("The columns “%(a)s” and “%(b)s” both mean %(field)s; keep one.")
                % {"a": headers[index[field]], "b": header, "field": field.removeprefix(QUESTION)}
            )
        else:
            index[field] = i
    missing = [
        q
        for q in definition.questions
        if q.required and q.show_if is None and QUESTION + q.key not in index
    ]
    if missing:
        raise ImportFileError(
            _("The file has no column for these required questions: %(questions)s.")
            % {"questions": "; ".join(f"{q.key} ({q.text('en') or q.text_zh})" for q in missing)}
        )
    if not any(name.startswith(QUESTION) for name in index):
        raise ImportFileError(_("No column of the file matches a question of the survey."))
    return Columns(index, ignored)


# --- cells to answers ----------------------------------------------------------------------


def _integer(value: str) -> int:
    number = parse.integer(value)
    assert number is not None  # the caller passes a non-empty cell
    return number


def _option_value(q: Question, value: str) -> str | None:
    wanted = value.strip().lower()
    for o in q.options:
        if wanted in (o.value.lower(), o.zh.lower(), o.en.lower()):
            return o.value
    return None


def _options_hint(q: Question) -> str:
    return _("Not one of: %(values)s.") % {"values": ", ".join(o.value for o in q.options)}


def cell_answer(q: Question, value: str) -> Any:
    """The answer a non-empty cell gives to `q`, in the form `clean_answers` takes (which
    then checks ranges and options); None when the cell means “not answered”. Raises
    parse.BadCell with the reason for the error report."""
    if q.na_code and value == q.na_code:
        return "na" if q.type == QuestionType.SCALE and q.allow_na else None
    if q.type in (QuestionType.NPS, QuestionType.SCALE):
        if q.type == QuestionType.SCALE and q.allow_na and value.lower() in NA_WORDS:
            return "na"
        return _integer(value)
    if q.type == QuestionType.SINGLE:
        option = _option_value(q, value)
        if option is None:
            raise parse.BadCell(_options_hint(q))
        return option
    if q.type == QuestionType.MULTI:
        chosen = []
        for part in MULTI_SEPARATORS.split(value):
            if not part:
                continue
            option = _option_value(q, part)
            if option is None:
                raise parse.BadCell(
                    _("“%(part)s”: not one of %(values)s (separate several with ; or 、).")
                    % {"part": part, "values": ", ".join(o.value for o in q.options)}
                )
            chosen.append(option)
        return chosen
    if q.type == QuestionType.TEXT:
        return value
    if q.type == QuestionType.KANO:
        return _kano(value)
    if q.type == QuestionType.SERVQUAL:
        parts = PAIR_SEPARATOR.split(value)
        if len(parts) != 2:
            raise parse.BadCell(_("Write the expectation and the perception as E/P, e.g. 6/5."))
        return {"expectation": _integer(parts[0]), "perception": _integer(parts[1])}
    if q.type == QuestionType.POINTS:
        return _points(q, value)
    raise parse.BadCell(_("This kind of question cannot be imported."))  # pragma: no cover


def _kano(value: str) -> dict[str, str]:
    parts = PAIR_SEPARATOR.split(value)
    answers = [KANO_WORDS.get(p.strip().lower()) for p in parts]
    if len(parts) != 2 or None in answers:
        raise parse.BadCell(
            _(
                "Write the two answers as functional/dysfunctional, each one of %(codes)s "
                "(or 喜欢/理应如此/无所谓/能忍受/不喜欢), e.g. like/dislike."
            )
            % {"codes": ", ".join(KANO_ANSWERS)}
        )
    return {"functional": str(answers[0]), "dysfunctional": str(answers[1])}


def _points(q: Question, value: str) -> dict[str, int]:
    points: dict[str, int] = {}
    for part in MULTI_SEPARATORS.split(value):
        if not part:
            continue
        m = POINTS_PAIR.match(part)
        option = _option_value(q, m["option"]) if m else None
        if m is None or option is None:
            raise parse.BadCell(
                _("Write the points as option=points separated by ;, e.g. %(example)s.")
                % {"example": ";".join(f"{o.value}=20" for o in q.options[:2])}
            )
        points[option] = int(m["points"])
    return points


# --- checking rows ---------------------------------------------------------------------------


class _Context:
    def __init__(
        self,
        *,
        survey: Survey,
        version: SurveyVersion,
        table: Table,
        columns: Columns,
        actor: User | None,
        default_store: Store | None,
        submitted_at: dt.datetime | None,
        now: dt.datetime,
    ) -> None:
        self.survey = survey
        self.version = version
        self.definition = definition_of(version)
        self.questions = [q for q in self.definition.questions if QUESTION + q.key in columns.index]
        self.now = now
        self.submitted_at = submitted_at
        org = survey.organisation_id
        stores = list(Store.objects.filter(organisation_id=org))
        self.stores: dict[str, Store] = {s.name.lower(): s for s in stores}
        self.stores.update({s.code.lower(): s for s in stores})
        self.store_by_pk = {s.pk: s for s in stores}
        if default_store is None and len(stores) == 1:
            default_store = stores[0]
        if default_store is None and actor is not None and actor.store_id is not None:
            default_store = next((s for s in stores if s.pk == actor.store_id), None)
        self.default_store = default_store
        self.staff = {u.username.lower(): u for u in User.objects.filter(organisation_id=org)}
        self.customers: dict[str, Customer] = {}
        self.cases: dict[str, Case] = {}
        index = columns.index
        if "customer_phone" in index:
            phones = set()
            for cell in _column(table, index["customer_phone"]):
                try:
                    phones.add(normalise_phone(cell))
                except DomainError:
                    continue
            for chunk in chunks(sorted(phones - {""}), 500):
                for c in Customer.objects.filter(organisation_id=org, phone__in=chunk):
                    self.customers[c.phone] = c
        if "case_number" in index:
            numbers = sorted(set(_column(table, index["case_number"])) - {""})
            for chunk in chunks(numbers, 500):
                for case in Case.objects.filter(
                    organisation_id=org, number__in=chunk
                ).select_related("customer", "owner"):
                    self.cases[case.number] = case


def _column(table: Table, i: int) -> Iterable[str]:
    for _number, cells in table.rows:
        yield parse.text(cells[i]) if i < len(cells) else ""


def _check(row: Row, ctx: _Context) -> dict[str, Any] | None:
    raw: dict[str, Any] = {}
    for q in ctx.questions:
        value = row.text(QUESTION + q.key)
        if not value:
            continue
        try:
            raw[q.key] = cell_answer(q, value)
        except parse.BadCell as e:
            row.error(QUESTION + q.key, str(e))
    clean, errors = clean_answers(ctx.definition, raw, complete=True)
    for key, message in errors.items():
        if not row.failed(QUESTION + key):
            row.error(QUESTION + key, message)

    case = None
    number = row.text("case_number")
    if number:
        case = ctx.cases.get(number)
        if case is None:
            row.error("case_number", _("No case has this number."))
    customer = None
    try:
        phone = normalise_phone(row.text("customer_phone"))
    except DomainError as e:
        row.error("customer_phone", e.message)
    else:
        if phone:
            customer = ctx.customers.get(phone)
            if customer is None:
                row.error(
                    "customer_phone",
                    _("No customer has this phone number; import the customers first."),
                )
        elif case is not None:
            customer = case.customer
    if case is not None and customer is not None and case.customer_id != customer.pk:
        row.error("case_number", _("This case is another customer's."))
    code = row.text("store")
    store = ctx.stores.get(code.lower()) if code else None
    if code and store is None:
        row.error("store", _("Unknown store code or name."))
    elif store is None:
        store = (
            (ctx.store_by_pk.get(case.store_id) if case is not None else None)
            or (ctx.store_by_pk.get(customer.store_id) if customer is not None else None)
            or ctx.default_store
        )
        if store is None:
            row.error("store", _("Give the store (or use --store)."))
    username = row.text("staff")
    staff = ctx.staff.get(username.lower()) if username else None
    if username and staff is None:
        row.error("staff", _("No staff member has this user name."))
    if staff is None and case is not None:
        staff = case.owner
    submitted: dt.datetime | None = row.parsed("submitted_at", parse.datetime)
    if submitted is not None and submitted > ctx.now + dt.timedelta(minutes=5):
        row.error("submitted_at", _("The answer cannot be given in the future."))
    if row.errors:
        return None
    assert store is not None
    submitted = submitted or ctx.submitted_at or ctx.now
    nps, csat = scores_of(ctx.definition, clean)
    return {
        "store": store,
        "customer": customer,
        "staff": staff,
        "case": case,
        "language": customer.language if customer is not None else "zh-hans",
        "answers": clean,
        "nps": nps,
        "csat": csat,
        "dissatisfied": bool(loop_reasons(ctx.survey, ctx.definition, clean)),
        "started_at": submitted,
        "submitted_at": submitted,
    }


def import_responses(
    *,
    path: Path,
    survey: Survey,
    actor: User | None = None,
    default_store: Store | None = None,
    submitted_at: dt.datetime | None = None,
    mode: str = ResponseMode.IMPORT,
    skip_bad_rows: bool = False,
    progress: Progress = no_progress,
    now: dt.datetime | None = None,
) -> ImportResult:
    """Check every row of the file against the survey's published version, then (no bad row,
    or `skip_bad_rows`) write the good ones as responses of that version, marked `mode`
    (imported, or phone interviews held before Manyi), submitted at the row's time, else
    `submitted_at`, else now. No close-the-loop case is opened."""
    now = now or timezone.now()
    if mode not in MODES:
        raise ImportFileError(_("Answers can be imported as import or phone, not %s.") % mode)
    if survey.current_version_id is None or survey.archived:
        raise ImportFileError(_("Publish the survey before importing answers into it."))
    version = survey.current_version
    assert version is not None
    if submitted_at is not None and submitted_at > now + dt.timedelta(minutes=5):
        raise ImportFileError(_("The answers cannot be given in the future."))
    table = read_table(path)
    columns = map_columns(table.headers, definition_of(version))
    result = ImportResult("responses", path, rows=len(table.rows), ignored_columns=columns.ignored)
    ctx = _Context(
        survey=survey,
        version=version,
        table=table,
        columns=columns,
        actor=actor,
        default_store=default_store,
        submitted_at=submitted_at,
        now=now,
    )
    good: list[dict[str, Any]] = []
    total = len(table.rows)
    for done, row in enumerate(rows_of(table, columns.index), start=1):
        checked = _check(row, ctx)
        if checked is None:
            result.errors.extend(row.errors)
        else:
            good.append(checked)
        if done % 1000 == 0 or done == total:
            progress("check", done, total)
    if result.errors and not skip_bad_rows:
        return result
    result.imported = _write(
        good,
        survey=survey,
        version=version,
        actor=actor,
        mode=mode,
        path=path,
        now=now,
        progress=progress,
    )
    return result


def _write(
    good: list[dict[str, Any]],
    *,
    survey: Survey,
    version: SurveyVersion,
    actor: User | None,
    mode: str,
    path: Path,
    now: dt.datetime,
    progress: Progress,
) -> int:
    done = 0
    with transaction.atomic():
        # A version published meanwhile would leave these answers on an outdated version.
        locked = Survey.objects.select_for_update(**lock_self()).get(pk=survey.pk)
        if locked.current_version_id != version.pk:
            raise ImportFileError(
                _("Nothing was imported: the survey was published again meanwhile. Try again.")
            )
        for chunk in chunks(good, CHUNK):
            Response.objects.bulk_create(
                [
                    Response(
                        organisation_id=survey.organisation_id,
                        survey_id=survey.pk,
                        survey_version_id=version.pk,
                        mode=mode,
                        entered_by=actor,
                        updated_at=now,
                        **item,
                    )
                    for item in chunk
                ]
            )
            done += len(chunk)
            progress("write", done, len(good))
        record_event(
            organisation_id=survey.organisation_id,
            kind=EventKind.IMPORTED,
            actor=actor,
            message=_("%(n)d answers to survey “%(name)s” imported from %(file)s")
            % {"n": done, "name": survey.name_zh, "file": path.name},
            changes={"survey": [survey.pk, survey.pk], "responses": [0, done]},
            at=now,
        )
    return done
