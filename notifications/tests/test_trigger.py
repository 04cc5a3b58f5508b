"""The announcement trigger: a broker that is down loses no power change."""

from __future__ import annotations

from datetime import timedelta

import pytest

from buildings.models import Section
from notifications import outbox
from notifications.models import Message, Subscriber, Subscription
from sensors.tests.history import recorded


@pytest.mark.django_db(transaction=True)
def test_a_broker_down_fails_no_heartbeat_and_the_sweep_announces(
    make_building, make_sensor, beat, elapse, broker_down, caplog
):
    make_building(sections=2)
    make_sensor("a", section=1)
    beat("a", section=1)
    Subscription.objects.create(
        subscriber=Subscriber.objects.create(chat_id=7), section=Section.objects.get(building_id=10, number=1)
    )
    elapse(200)
    assert recorded(10, 1) == "down"

    response = beat("a", section=1)  # power back, and the announcement cannot be queued

    assert response.status_code == 200
    assert recorded(10, 1) == "up"
    assert "in on_commit()" in caplog.text  # logged, not raised
    # Neither the outage nor the return was queued; the sweep finds both.
    assert outbox.announce_missed(since=timedelta(hours=1)) == 2
    assert Message.objects.filter(subscriber__chat_id=7, event__state="up").count() == 1
