"""The data of the results page's charts (rendered by manyi/static/manyi/charts.js with
ECharts), embedded in the page with json_script. Texts are translated here so the script
has none of its own."""

from __future__ import annotations

import re
from typing import Any

from django.utils.translation import gettext as _

from manyi.surveys.results import labels
from manyi.surveys.results.figures import SurveyResults

QUOTED = re.compile(r"[“\"「](.+?)[”\"」]")


def short_label(text: str) -> str:
    """A chart label from a question's text: the quoted part of “请为“座椅舒适度”打分”, or
    what follows "Please rate: ", else the text itself."""
    match = QUOTED.search(text)
    if match:
        return match.group(1)
    if ": " in text:
        return text.rsplit(": ", 1)[1]
    return text


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def chart_data(results: SurveyResults) -> dict[str, Any]:
    data: dict[str, Any] = {
        "texts": {
            "n": _("n"),
            "lowN": _("fewer than %(n)s answers") % {"n": results.min_n},
            "nps": _("NPS"),
            # xgettext:no-python-format
            "ci": _("95% confidence interval"),
            "month": _("Month"),
            "share": _("Share of explained variance (%)"),
            "importance": _("Importance (share of R², %)"),
            "performance": _("Performance (mean answer)"),
            "better": _("Better (satisfaction when present)"),
            "worse": _("|Worse| (dissatisfaction when absent)"),
            "gap": _("Gap (perception − expectation)"),
            "unweighted": _("Gap"),
            "quadrants": {
                "A": str(labels.KANO_CATEGORIES["A"]),
                "O": str(labels.KANO_CATEGORIES["O"]),
                "M": str(labels.KANO_CATEGORIES["M"]),
                "I": str(labels.KANO_CATEGORIES["I"]),
            },
            "ipa": {code: str(name) for code, name in labels.QUADRANTS.items()},
        },
        "minN": results.min_n,
    }
    if results.nps is not None and results.by_month:
        data["npsMonths"] = [
            {
                "month": row.key,
                "nps": _round(row.nps, 1),
                "low": _round(row.nps_low, 1),
                "high": _round(row.nps_high, 1),
                "n": row.nps_n,
                "lowN": row.nps_n < results.min_n,
            }
            for row in results.by_month
        ]
    d = results.drivers
    if d is not None and d.r2 is not None:
        data["drivers"] = {
            "items": [
                {
                    "label": short_label(row.label),
                    "percent": _round(row.percent),
                    "low": _round(row.percent_low),
                    "high": _round(row.percent_high),
                    "performance": _round(row.performance, 3),
                    "quadrant": row.quadrant,
                }
                for row in sorted(d.rows, key=lambda r: r.percent or 0.0)
            ],
            "importanceSplit": _round(d.importance_split),
            "performanceSplit": _round(d.performance_split, 3),
            "n": d.n,
            "lowN": d.low_n,
        }
    if results.kano:
        data["kano"] = [
            {
                "number": i,
                "label": short_label(row.label),
                "better": _round(row.better, 3),
                "worse": _round(abs(row.worse), 3) if row.worse is not None else None,
                "category": row.category,
                "n": row.n,
                "lowN": row.low_n,
            }
            for i, row in enumerate(results.kano, start=1)
            if row.better is not None and row.worse is not None
        ]
    sq = results.servqual
    if sq is not None:
        data["servqual"] = [
            {"label": row.label, "gap": _round(row.gap, 3), "n": row.n, "lowN": row.low_n}
            for row in sq.dimensions
        ]
    return data
