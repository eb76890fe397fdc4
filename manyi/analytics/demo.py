"""The demo's early warning: a complaint spike (manyi.core.demo.alerts) and the sweep, so the
demo shows at least one real alert. Called by the demo loader at the end of the load."""

from __future__ import annotations

import datetime as dt
from typing import Any

from manyi.accounts.models import Organisation
from manyi.analytics.alerts import sweep_alerts
from manyi.core.demo.alerts import add_complaint_spike


def raise_demo_alerts(org: Organisation, now: dt.datetime) -> dict[str, Any]:
    """Add the spike, then sweep the organisation as the worker would at `now`."""
    cases = add_complaint_spike(org, now)
    result = sweep_alerts(organisation=org, now=now)
    result["spike_cases"] = len(cases)
    return result
