"""The demo's early warning: on the small demo data set, the spike and the sweep raise at
least one alert (what the lead's demo loader calls at the end of the load)."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from manyi.analytics.alerts import sweep_alerts
from manyi.analytics.demo import raise_demo_alerts
from manyi.analytics.models import Alert
from manyi.core.demo import load_demo

pytestmark = pytest.mark.django_db


def test_the_demo_spike_raises_a_real_alert(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    result = load_demo(size="small")
    org = result.organisation
    # (Once the demo loader calls raise_demo_alerts itself, this second call finds the spike
    # already there and adds no cases.)
    raise_demo_alerts(org, timezone.now())
    assert Alert.objects.filter(organisation=org).exists()
    # A second sweep adds nothing.
    assert sweep_alerts(organisation=org)["raised"] == []
