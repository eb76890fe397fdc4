"""The results page's charts in a real browser (Debian's chromium through Playwright): the key
drivers, the importance–performance quadrants, NPS by month, the Kano Better–Worse chart and
the SERVQUAL gaps are drawn (ECharts marks each container it drew into), without a script
error. Screenshots go to `screenshots/` at the repository root (gitignored)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest

from conftest import at
from manyi.accounts.choices import Role
from manyi.core.tests.browser import (
    browser_fixture,  # noqa: F401  (the `browser` fixture)
    login,
    shot,
)
from manyi.core.tests.factories import OrganisationFactory, StoreFactory, UserFactory
from manyi.surveys import services
from manyi.surveys.definition import parse_definition
from manyi.surveys.tests.test_results import respond

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _answers(survey: Any, rng: Any) -> dict[str, Any]:
    """Random answers from one latent satisfaction, so that the items correlate."""
    u = rng.random()
    answers: dict[str, Any] = {}
    for q in parse_definition(survey.current_version.definition).questions:
        if q.type in ("nps", "scale"):
            lo, hi = q.points[0], q.points[-1]
            answers[q.key] = int(
                np.clip(round(lo + (hi - lo) * (0.6 * u + 0.4 * rng.random())), lo, hi)
            )
        elif q.type == "kano":
            answers[q.key] = {
                "functional": str(rng.choice(["like", "like", "must_be", "neutral"])),
                "dysfunctional": str(rng.choice(["dislike", "dislike", "neutral", "live_with"])),
            }
        elif q.type == "servqual":
            e = int(rng.integers(5, 8))
            answers[q.key] = {"expectation": e, "perception": int(max(1, e - rng.integers(0, 3)))}
    return answers


@pytest.fixture
def world(transactional_db: Any) -> dict[str, Any]:
    org = OrganisationFactory(name="申城汽车集团")
    store = StoreFactory(organisation=org, name="浦东店", code="PD")
    admin = UserFactory(store=store, role=Role.ORG_ADMIN, username="admin", display_name="赵管理")
    rng = np.random.default_rng(11)
    surveys = {}
    for key in ("dealer_csi", "nps", "kano", "servqual"):
        survey = services.install_template(actor=admin, template_key=key)
        for i in range(90):
            when = at(2026, 1, 5, 10, 0) + dt.timedelta(days=i)
            respond(survey, store, _answers(survey, rng), when=when)
        surveys[key] = survey
    return {"surveys": surveys}


def _rendered(page: Any) -> Any:
    return page.eval_on_selector_all("[data-rendered]", "els => els.map(e => e.dataset.chart)")


@pytest.mark.parametrize(
    ("template", "charts"),
    [
        ("dealer_csi", ["drivers", "quadrant"]),
        ("nps", ["nps-months"]),
        ("kano", ["kano"]),
        ("servqual", ["servqual"]),
    ],
)
def test_the_charts_are_drawn(live_server, browser, world, template, charts):
    survey = world["surveys"][template]
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    login(page, live_server.url, "admin")
    page.goto(f"{live_server.url}/surveys/{survey.pk}/results/")
    page.wait_for_selector(f'[data-chart="{charts[0]}"][data-rendered]')
    assert sorted(_rendered(page)) == sorted(charts)
    assert page.locator(f'[data-chart="{charts[0]}"] canvas').count() == 1
    assert errors == []
    assert page.text_content('[data-figure="responses"]').strip() == "90"
    shot(page, f"survey_results_{template}")


XSS = "<img src=x onerror=window.__xss=1>"


def test_a_question_text_is_shown_as_text_in_a_chart_tooltip(live_server, browser, world):
    """An admin's question text goes into the tooltip's HTML escaped, never as markup."""
    survey = world["surveys"]["dealer_csi"]
    version = survey.current_version
    definition = version.definition
    for q in definition["questions"]:
        q["text_zh"] = q["text_en"] = f"{XSS} {q['key']}"
    version.definition = definition
    version.save(update_fields=["definition"])
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    login(page, live_server.url, "admin")
    page.goto(f"{live_server.url}/surveys/{survey.pk}/results/")
    page.wait_for_selector('[data-chart="quadrant"][data-rendered]')
    # Hover the first point of the importance–performance chart.
    x, y, name = page.eval_on_selector(
        '[data-chart="quadrant"]',
        """node => {
            const chart = echarts.getInstanceByDom(node);
            const point = chart.getOption().series[0].data[0];
            const [px, py] = chart.convertToPixel({seriesIndex: 0}, point.value);
            const box = node.getBoundingClientRect();
            return [box.left + px, box.top + py, point.name];
        }""",
    )
    page.mouse.move(x, y)
    key = name.split()[-1]
    tooltip = page.locator('[data-chart="quadrant"] div', has_text=key).last
    tooltip.wait_for(timeout=5000)
    assert page.evaluate("window.__xss") is None
    assert XSS in tooltip.text_content()
    shot(page, "survey_results_escaped_tooltip")
