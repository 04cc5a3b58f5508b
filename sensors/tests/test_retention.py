"""Raw sensor data is pruned after the retention period; power history is kept."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from sensors.models import PowerEvent, Sensor, SensorTransition
from sensors.power import detect_offline
from sensors.retention import Pruned, prune_telemetry

pytestmark = pytest.mark.django_db


def test_old_transitions_and_telemetry_of_long_silent_sensors_are_pruned(settings, make_building, make_sensor):
    settings.TELEMETRY_RETENTION_DAYS = 30
    make_building(id=10, sections=1)
    now = timezone.now()
    gone = make_sensor("gone", last_heartbeat=now - timedelta(days=40), telemetry={"rssi": -70}, last_ip="10.0.0.9")
    alive = make_sensor("alive", last_heartbeat=now, telemetry={"rssi": -60}, last_ip="10.0.0.8")
    detect_offline()
    for days in (45, 35, 31, 29, 1):
        SensorTransition.objects.create(sensor=gone, online=days % 2 == 0, at=now - timedelta(days=days))
    events = PowerEvent.objects.count()

    pruned = prune_telemetry(now, batch_size=2)  # several batches

    assert (pruned.transitions, pruned.telemetry_cleared) == (3, 1)
    assert sorted(SensorTransition.objects.values_list("at", flat=True)) == [
        now - timedelta(days=29),
        now - timedelta(days=1),
    ]
    gone.refresh_from_db()
    assert (gone.telemetry, gone.last_ip, gone.last_heartbeat) == ({}, None, now - timedelta(days=40))
    assert Sensor.objects.get(pk=alive.pk).telemetry == {"rssi": -60}
    assert PowerEvent.objects.count() == events
    assert prune_telemetry(now) == Pruned(0, 0)  # nothing left to prune
