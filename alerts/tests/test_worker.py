"""A real Celery worker asks the fake alert services when it starts, and the real sender
tells each resident once: a restart announces nothing again."""

from __future__ import annotations

import time

import pytest

from alerts.models import Alert, Region
from conftest import subscribe

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_worker_polls_when_it_starts_and_a_restart_announces_nothing_twice(
    alert_sources, telegram, make_building, worker_until
):
    in_ua, ukrainealarm = alert_sources
    make_building(id=10, name="London", sections=1)
    subscribe(101, (10, 1), language="en")
    sources = {
        "ALERTS_IN_UA_API_URL": in_ua.url,
        "ALERTS_IN_UA_API_KEY": in_ua.key,
        "ALERTS_API_URL": ukrainealarm.url,
        "ALERTS_API_KEY": ukrainealarm.key,
    }

    def state() -> str:
        return Region.objects.filter(uid="31").values_list("state", flat=True).first() or ""

    worker_until(lambda: state() == "clear", **sources)  # the first state: silent
    in_ua.set("31", "A")
    worker_until(lambda: telegram.texts(101), **sources)
    [notice] = telegram.texts(101)
    assert notice.startswith("🚨 Air-raid alert at London since")
    before = Region.objects.get(uid="31").evaluated_at
    assert before is not None
    # It asked and decided again:
    worker_until(lambda: (Region.objects.get(uid="31").evaluated_at or before) > before, **sources)
    time.sleep(1)
    assert telegram.texts(101) == [notice] and Alert.objects.count() == 1  # the same answer after a restart
