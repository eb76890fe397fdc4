"""Which responses the results rest on, and loading them into one pandas data frame.

Scoping: the survey must belong to the user's organisation; store-bound roles see the
responses (and invitations) of their own store only (manyi.core.scoping). Periods are dates
in the site's time zone (Asia/Shanghai), both ends included.

One query reads the submitted responses of the period shown and of the comparison period
(`values_list` of the answers JSON and four columns); the frame is built from that list in
one call, one column per question key plus the meta columns `_store`, `_staff`, `_version`,
`_dissatisfied`, `_month` (YYYYMM, local) and the masks of the two periods."""

from __future__ import annotations

import datetime as dt
import gc
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
import pandas as pd
from django.conf import settings
from django.db import connection
from django.db.models import BigIntegerField, Count, Func, Q, QuerySet, TextField
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from manyi.accounts.models import User
from manyi.surveys.choices import InvitationState
from manyi.surveys.definition import (
    KANO_PARTS,
    SERVQUAL_PARTS,
    Definition,
    Question,
    QuestionType,
    parse_definition,
)
from manyi.surveys.models import Invitation, Response, Survey, SurveyVersion


def surveys_for(user: User) -> QuerySet[Survey]:
    """The surveys of the user's organisation (another organisation's id is then a 404)."""
    if user.organisation_id is None:
        return Survey.objects.none()
    return Survey.objects.filter(organisation_id=user.organisation_id)


def _scoped(qs: QuerySet[Any], user: User) -> QuerySet[Any]:
    if user.organisation_id is None:
        return qs.none()
    qs = qs.filter(organisation_id=user.organisation_id)
    if not user.is_org_wide:
        if user.store_id is None:
            return qs.none()
        qs = qs.filter(store_id=user.store_id)
    return qs


def responses_for(user: User) -> QuerySet[Response]:
    """Responses of the stores the user works in (all of the organisation's for org-wide
    roles); partial ones included — filter on submitted_at for the submitted."""
    return _scoped(Response.objects.all(), user)


def invitations_for(user: User) -> QuerySet[Invitation]:
    return _scoped(Invitation.objects.all(), user)


class _Seconds(BigIntegerField):  # type: ignore[type-arg]  # django-stubs: generic field
    """A whole number the database already returns as an int: no converter per row (an
    IntegerField output adds int() on every value, 0.7 s for a million rows)."""

    def get_internal_type(self) -> str:
        return "Seconds"


class Epoch(Func):
    """Seconds since 1970-01-01 UTC of a datetime column, truncated to whole seconds (cheaper
    to read than datetimes: no per-row conversion to Python objects)."""

    output_field = _Seconds()

    def as_postgresql(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="FLOOR(EXTRACT(EPOCH FROM %(expressions)s))::bigint",
            **extra_context,
        )

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        # %%%% survives the template's and the query's %-formatting as one %.
        return self.as_sql(
            compiler,
            connection,
            template="CAST(strftime('%%%%s', %(expressions)s) AS INTEGER)",
            **extra_context,
        )


@dataclass(frozen=True)
class ResultFilters:
    """What the results are computed on. `start`/`end`: dates, both included (either may be
    missing: open-ended). `version`: a version number (None: all versions). `compare`: also
    compute the comparison period — `compare_start`/`compare_end` when given, else the
    period of the same length just before `start`."""

    store_id: int | None = None
    staff_id: int | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    version: int | None = None
    compare: bool = True
    compare_start: dt.date | None = None
    compare_end: dt.date | None = None


#: The years a period may name: dates near year 1 or 9999 overflow the date arithmetic.
FIRST_YEAR, LAST_YEAR = 2000, 2100


def date_error(day: dt.date | None) -> str:
    """Why a period's date is refused ("" if it is not)."""
    if day is None or FIRST_YEAR <= day.year <= LAST_YEAR:
        return ""
    return _("Give a date between %(first)s and %(last)s.") % {
        "first": FIRST_YEAR,
        "last": LAST_YEAR,
    }


def local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def period_bounds(filters: ResultFilters) -> tuple[dt.date | None, dt.date | None]:
    """The period shown: `end` defaults to today when only `start` is given."""
    end = filters.end
    if filters.start is not None and end is None:
        end = timezone.localdate()
    return filters.start, end


def comparison_period(filters: ResultFilters) -> tuple[dt.date, dt.date] | None:
    """The period compared with: as given, else the previous period of the same length
    (none for an open-ended period or with `compare` off)."""
    if not filters.compare:
        return None
    if filters.compare_start is not None and filters.compare_end is not None:
        if filters.compare_end < filters.compare_start:
            return None
        return filters.compare_start, filters.compare_end
    start, end = period_bounds(filters)
    if start is None or end is None or end < start:
        return None
    days = (end - start).days + 1
    try:
        return start - dt.timedelta(days=days), start - dt.timedelta(days=1)
    except OverflowError:  # a period reaching back to year 1: nothing to compare with
        return None


def _instant(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=local_zone())


def _range_q(field: str, start: dt.date | None, end: dt.date | None) -> Q:
    q = Q()
    if start is not None:
        q &= Q(**{f"{field}__gte": _instant(start)})
    if end is not None:
        q &= Q(**{f"{field}__lt": _instant(end + dt.timedelta(days=1))})
    return q


@dataclass(frozen=True)
class Versions:
    """The survey's published versions (number → id), and the definition the page follows:
    the filtered version's, else the current one's (else the draft's)."""

    numbers: dict[int, int]
    definition: Definition
    version_id: int | None


def versions_of(survey: Survey, version: int | None) -> Versions:
    """One query: every version of the survey with its definition (a handful of rows)."""
    rows = list(
        SurveyVersion.objects.filter(survey_id=survey.pk).values_list("id", "number", "definition")
    )
    numbers = {number: pk for pk, number, _d in rows}
    definitions = {pk: d for pk, _n, d in rows}
    version_id = numbers.get(version) if version is not None else None
    if version is not None and version_id is None:
        version_id = -1  # an unknown version: no response matches
    chosen = version_id if version_id in definitions else survey.current_version_id
    raw = definitions.get(chosen) if chosen is not None else None
    try:
        definition = parse_definition(raw if raw is not None else survey.draft)
    except ValueError:
        definition = Definition(questions=())
    return Versions(numbers, definition, version_id)


def _filtered(qs: QuerySet[Any], filters: ResultFilters, version_id: int | None) -> QuerySet[Any]:
    if filters.store_id is not None:
        qs = qs.filter(store_id=filters.store_id)
    if filters.staff_id is not None:
        qs = qs.filter(staff_id=filters.staff_id)
    if version_id is not None:
        qs = qs.filter(survey_version_id=version_id)
    return qs


def answer_columns(definition: Definition) -> list[tuple[str, tuple[str, ...]]]:
    """The frame's answer columns: (name, path in the answers JSON). A Kano or SERVQUAL
    pair and a points question give one column per part, named "<key>.<part>"."""
    columns: list[tuple[str, tuple[str, ...]]] = []
    for q in definition.questions:
        if q.type == QuestionType.KANO:
            parts: tuple[str, ...] = KANO_PARTS
        elif q.type == QuestionType.SERVQUAL:
            parts = SERVQUAL_PARTS
        elif q.type == QuestionType.POINTS:
            parts = tuple(o.value for o in q.options)
        else:
            columns.append((q.key, (q.key,)))
            continue
        columns += [(f"{q.key}.{part}", (q.key, part)) for part in parts]
    return columns


def part_columns(q: Question, parts: tuple[str, ...] | list[str]) -> list[str]:
    return [f"{q.key}.{part}" for part in parts]


@dataclass
class Loaded:
    """The responses of both periods: `frame` (answers and meta columns, one row per
    response) and boolean masks of the period shown and of the comparison period."""

    frame: pd.DataFrame
    current: npt.NDArray[np.bool_]
    previous: npt.NDArray[np.bool_] | None


META_FIELDS = ("store_id", "staff_id", "survey_version_id", "dissatisfied")


def load_responses(
    survey: Survey,
    user: User,
    filters: ResultFilters,
    definition: Definition,
    version_id: int | None,
) -> Loaded:
    """One query; the frame holds the answers of the definition's questions."""
    start, end = period_bounds(filters)
    compare = comparison_period(filters)
    current_q = _range_q("submitted_at", start, end)
    qs = _filtered(
        responses_for(user).filter(survey_id=survey.pk, submitted_at__isnull=False),
        filters,
        version_id,
    )
    if compare is not None:
        qs = qs.filter(current_q | _range_q("submitted_at", *compare))
    else:
        qs = qs.filter(current_q)
    qs = qs.order_by().annotate(epoch=Epoch("submitted_at"))
    columns = answer_columns(definition)
    with _collector_paused():
        if connection.vendor == "postgresql":
            frame, meta = _extract_in_sql(qs, columns)
        else:
            frame, meta = _parse_json(qs, definition, columns)
    epochs, stores, staff, versions, dissatisfied = meta
    seconds = np.asarray(epochs, dtype=np.int64)
    submitted = pd.DatetimeIndex(pd.to_datetime(seconds, unit="s", utc=True)).tz_convert(
        local_zone()
    )
    frame["_store"] = np.asarray(stores, dtype=np.int64)
    frame["_staff"] = pd.array(list(staff), dtype="Int64")
    frame["_version"] = np.asarray(versions, dtype=np.int64)
    frame["_dissatisfied"] = np.asarray(dissatisfied, dtype=bool)
    frame["_month"] = (submitted.year * 100 + submitted.month).to_numpy(dtype=np.int64)
    return Loaded(
        frame=frame,
        current=_mask(seconds, start, end),
        previous=_mask(seconds, *compare) if compare is not None else None,
    )


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Reading the rows makes hundreds of thousands of small objects without cycles; the
    cyclic garbage collector's passes over them made up to a third of the load time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


Meta = tuple[Any, ...]  # five columns: epoch, store, staff, version, dissatisfied


def _extract_in_sql(
    qs: QuerySet[Response], columns: list[tuple[str, tuple[str, ...]]]
) -> tuple[pd.DataFrame, Meta]:
    """PostgreSQL: the server extracts each answer as text (`answers ->> 'key'`; a multiple
    choice as its JSON text), so no JSON document is parsed in Python."""
    annotations: dict[str, Any] = {}
    for i, (_name, path) in enumerate(columns):
        inner: Any = "answers"
        for part in path[:-1]:
            inner = KeyTransform(part, inner)
        annotations[f"answer_{i}"] = KeyTextTransform(path[-1], inner)
    rows = list(qs.annotate(**annotations).values_list("epoch", *META_FIELDS, *annotations))
    names = [name for name, _path in columns]
    if not rows:
        return pd.DataFrame(columns=names, dtype=object), ((),) * 5
    # One 2-D object array (every value is text, a number or None) instead of a transpose in
    # Python; object columns, as text columns are slower to map to numbers.
    table = np.array(rows, dtype=object)
    frame = pd.DataFrame(table[:, 5:], columns=names, dtype=object)
    return frame, tuple(table[:, i] for i in range(5))


def _parse_json(
    qs: QuerySet[Response], definition: Definition, columns: list[tuple[str, tuple[str, ...]]]
) -> tuple[pd.DataFrame, Meta]:
    """Other databases: the answers as JSON text, parsed in one call for all responses
    (one array), then the pairs and points split into their part columns."""
    rows = list(
        qs.annotate(answers_text=Cast("answers", TextField())).values_list(
            "epoch", *META_FIELDS, "answers_text"
        )
    )
    keys = [q.key for q in definition.questions]
    names = [name for name, _path in columns]
    if not rows:
        return pd.DataFrame(columns=names, dtype=object), ((),) * 5
    values = list(zip(*rows, strict=True))
    answers = json.loads("[" + ",".join(values[5]) + "]")
    frame = pd.DataFrame(answers, columns=keys, dtype=object)
    split = []
    for q in definition.questions:
        parts = [path[1] for _name, path in columns if path[0] == q.key and len(path) > 1]
        if parts:
            part_frame = _split(frame[q.key], parts)
            part_frame.columns = pd.Index(part_columns(q, parts))
            split.append(part_frame)
    if split:
        frame = pd.concat([frame, *split], axis=1)
    return frame[names], tuple(values[:5])


def _split(column: pd.Series, parts: list[str]) -> pd.DataFrame:
    """A column of dict answers as one column per part (NaN where missing)."""
    present = column.notna().to_numpy()
    if not present.any():
        return pd.DataFrame(index=column.index, columns=parts, dtype=object)
    values = column[present]
    try:
        split = pd.DataFrame(values.tolist(), index=values.index, columns=parts)
    except (TypeError, ValueError, AttributeError):
        # A stray answer that is not a dict (e.g. from an earlier version of the question).
        kept = values[[isinstance(v, dict) for v in values.tolist()]]
        split = pd.DataFrame(kept.tolist(), index=kept.index, columns=parts)
    return split.reindex(column.index)


def _mask(
    seconds: npt.NDArray[np.int64], start: dt.date | None, end: dt.date | None
) -> npt.NDArray[np.bool_]:
    """Responses submitted from `start` (local midnight) to the end of `end`."""
    mask = np.ones(len(seconds), dtype=bool)
    if start is not None:
        mask &= seconds >= int(_instant(start).timestamp())
    if end is not None:
        mask &= seconds < int(_instant(end + dt.timedelta(days=1)).timestamp())
    return mask


def _count(condition: Q) -> Count:
    return Count("id", filter=condition) if condition else Count("id")


@dataclass(frozen=True)
class InvitationCounts:
    sent: int
    completed: int
    previous_sent: int | None
    previous_completed: int | None


def invitation_counts(
    survey: Survey, user: User, filters: ResultFilters, version_id: int | None
) -> InvitationCounts:
    """Invitations sent (not skipped) in each period and how many were completed: one
    aggregate query with conditional counts."""
    start, end = period_bounds(filters)
    compare = comparison_period(filters)
    qs = _filtered(
        invitations_for(user).filter(survey_id=survey.pk).exclude(state=InvitationState.SKIPPED),
        filters,
        version_id,
    )
    done = Q(state=InvitationState.COMPLETED)
    current_q = _range_q("created_at", start, end)
    aggregates: dict[str, Any] = {
        "sent": _count(current_q),
        "completed": _count(current_q & done),
    }
    if compare is not None:
        previous_q = _range_q("created_at", *compare)
        aggregates["previous_sent"] = _count(previous_q)
        aggregates["previous_completed"] = _count(previous_q & done)
    counts = qs.order_by().aggregate(**aggregates)
    return InvitationCounts(
        sent=counts["sent"] or 0,
        completed=counts["completed"] or 0,
        previous_sent=counts.get("previous_sent"),
        previous_completed=counts.get("previous_completed"),
    )


class ResponseRow(NamedTuple):
    pk: int
    submitted_at: dt.datetime | None
    store_name: str
    staff_name: str
    mode: str
    version: int
    customer_name: str
    phone: str
    answers: Any


def response_rows(survey: Survey, user: User, filters: ResultFilters) -> Iterator[ResponseRow]:
    """The submitted responses of the period shown (for the raw export), oldest first, read
    in chunks: one query per 2,000 rows, with the store, staff member, version and customer
    joined. Submission times are local."""
    start, end = period_bounds(filters)
    versions = versions_of(survey, filters.version)
    qs = _filtered(
        responses_for(user).filter(survey_id=survey.pk, submitted_at__isnull=False),
        filters,
        versions.version_id,
    ).filter(_range_q("submitted_at", start, end))
    zone = local_zone()
    for r in (
        qs.order_by("submitted_at", "id")
        .values_list(
            "id",
            "submitted_at",
            "store__name",
            "staff__display_name",
            "staff__first_name",
            "staff__last_name",
            "staff__username",
            "mode",
            "survey_version__number",
            "customer__name",
            "customer__phone",
            "answers",
        )
        .iterator(chunk_size=2000)
    ):
        pk, at, store, display, first, last, username, mode, version, name, phone, answers = r
        staff = display or f"{first or ''} {last or ''}".strip() or username or ""
        yield ResponseRow(
            pk,
            at.astimezone(zone) if at is not None else None,
            store,
            staff,
            mode,
            version,
            name or "",
            phone or "",
            answers,
        )
