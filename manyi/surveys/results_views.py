"""The results page of a survey (per store, staff member, period and version, compared with
the previous period) and the export of each of its tables as CSV or XLSX. Reads only: the
figures come from manyi.surveys.results."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from manyi.accounts.models import Store, User
from manyi.core.scoping import staff_for, stores_for
from manyi.surveys import results_exports as exports
from manyi.surveys.models import Survey, SurveyVersion
from manyi.surveys.results import (
    DEFAULT_BOOTSTRAP,
    ResultFilters,
    labels,
    survey_results,
    surveys_for,
)
from manyi.surveys.results.charts import chart_data
from manyi.surveys.results.figures import SurveyResults
from manyi.surveys.results.frame import date_error, versions_of

COMPARE_PREVIOUS = "previous"
COMPARE_NONE = "none"


class StaffChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]  # django-stubs: generic
    def label_from_instance(self, obj: Any) -> str:
        return str(obj)


class ResultsFilterForm(forms.Form):
    """The filters of the results page, its exports and (the same names) the API."""

    store = forms.ModelChoiceField(
        label=gettext_lazy("Store"),
        queryset=Store.objects.none(),
        required=False,
        empty_label=gettext_lazy("All stores"),
    )
    staff = StaffChoiceField(
        label=gettext_lazy("Served by"),
        queryset=User.objects.none(),
        required=False,
        empty_label=gettext_lazy("All staff"),
    )
    start = forms.DateField(
        label=gettext_lazy("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    end = forms.DateField(
        label=gettext_lazy("To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    compare = forms.ChoiceField(
        label=gettext_lazy("Compare with"),
        required=False,
        choices=[
            (COMPARE_PREVIOUS, gettext_lazy("The previous period")),
            (COMPARE_NONE, gettext_lazy("Nothing")),
        ],
    )
    version = forms.TypedChoiceField(
        label=gettext_lazy("Version"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args: Any, user: User, survey: Survey, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        store = self.fields["store"]
        staff = self.fields["staff"]
        version = self.fields["version"]
        assert isinstance(store, forms.ModelChoiceField)
        assert isinstance(staff, forms.ModelChoiceField)
        assert isinstance(version, forms.TypedChoiceField)
        store.queryset = stores_for(user).order_by("code")
        staff.queryset = staff_for(user).order_by("display_name", "username")
        numbers = SurveyVersion.objects.filter(survey_id=survey.pk).order_by("-number")
        version.choices = [("", _("All versions"))] + [
            (n, _("Version %(n)s") % {"n": n}) for n in numbers.values_list("number", flat=True)
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in ("start", "end"):
            if error := date_error(data.get(name)):
                self.add_error(name, error)
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", _("The end comes before the start."))
        return data

    def filters(self) -> ResultFilters:
        """The filters of a valid form; an invalid one shows everything (with its errors)."""
        if not self.is_valid():
            return ResultFilters()
        d = self.cleaned_data
        return ResultFilters(
            store_id=d["store"].pk if d.get("store") else None,
            staff_id=d["staff"].pk if d.get("staff") else None,
            start=d.get("start"),
            end=d.get("end"),
            version=d.get("version"),
            compare=d.get("compare") != COMPARE_NONE,
        )


def _rows(res: SurveyResults) -> dict[str, Any]:
    """Table rows in display order, with their labels."""
    drivers = []
    if res.drivers is not None:
        for row in sorted(res.drivers.rows, key=lambda x: (x.rank is None, x.rank or 0)):
            drivers.append({**asdict(row), "quadrant_label": labels.quadrant(row.quadrant)})
    kano = [
        {
            "row": row,
            "counts": [row.counts.get(c, 0) for c in "AOMIRQ"],
            "category_label": labels.kano_category(row.category),
        }
        for row in res.kano
    ]
    fairness = []
    if res.fairness is not None:
        f = res.fairness
        fairness = [
            m
            for m in (*f.dimensions, f.handling, f.return_intent, f.recommend_intent)
            if m is not None
        ]
    return {"drivers_rows": drivers, "kano_rows": kano, "fairness_rows": fairness}


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _survey(request: HttpRequest, pk: int) -> tuple[User, Survey, ResultsFilterForm]:
    user = _user(request)
    survey = get_object_or_404(surveys_for(user), pk=pk)
    form = ResultsFilterForm(request.GET or None, user=user, survey=survey)
    return user, survey, form


@login_required
@require_GET
def results(request: HttpRequest, pk: int) -> HttpResponse:
    user, survey, form = _survey(request, pk)
    res = survey_results(survey, user, form.filters(), bootstrap=DEFAULT_BOOTSTRAP)
    context = {
        "survey": survey,
        "name": survey.name(request.LANGUAGE_CODE),
        "form": form,
        "r": res,
        "charts": chart_data(res),
        **_rows(res),
        "has_charts": bool(
            (res.nps is not None and res.by_month)
            or (res.drivers is not None and res.drivers.r2 is not None)
            or res.kano
            or res.servqual is not None
        ),
    }
    return render(request, "surveys/results.html", context)


@login_required
@require_GET
def export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """?table=<name> (see results_exports.TABLES, or "responses") and the page's filters."""
    if fmt not in ("csv", "xlsx"):
        raise Http404
    user, survey, form = _survey(request, pk)
    name = request.GET.get("table", "summary")
    filters = form.filters()
    stamp = timezone.localdate().strftime("%Y%m%d")
    filename = f"survey-{survey.pk}-{name}-{stamp}"
    if name == exports.RESPONSES:
        definition = versions_of(survey, filters.version).definition
        table = exports.responses(survey, user, filters, definition)
        return exports.write(fmt, filename, name, table)
    if name not in exports.TABLES:
        raise Http404
    bootstrap = DEFAULT_BOOTSTRAP if name == "drivers" else 0
    res = survey_results(survey, user, filters, bootstrap=bootstrap)
    return exports.write(fmt, filename, name, exports.TABLES[name](res))
