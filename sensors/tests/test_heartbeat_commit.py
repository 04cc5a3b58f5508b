"""On PostgreSQL a quiet heartbeat commits without waiting for the disk; a heartbeat that
brings power back, and everything else, still waits (its power event must survive a crash)."""

from __future__ import annotations

import time

import psycopg
import pytest
from django.conf import settings
from django.db import connection

from conftest import _connection_params, scalar

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's commit setting")


def wal_syncs() -> int:
    """WAL flushes to disk so far, this test's connection's own included."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_force_next_flush()")  # report this connection's at its next idle
    with psycopg.connect(**_connection_params(), autocommit=True) as other:
        time.sleep(0.1)
        return scalar(other.execute("SELECT wal_sync FROM pg_stat_wal").fetchone())


@pytest.fixture
def sensors(transactional_db, make_building, beat) -> list[str]:
    make_building(id=10, sections=2)
    uuids = [f"c-{n}" for n in range(20)]
    for uuid in uuids:
        beat(uuid)
    return uuids


def test_quiet_heartbeats_do_not_wait_for_the_disk(sensors, beat):
    before = wal_syncs()
    for _ in range(3):
        for uuid in sensors:
            beat(uuid)
    assert wal_syncs() - before < len(sensors)  # 60 commits; waiting for each would be 60 flushes

    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")  # the heartbeat's setting did not outlive it
        assert cursor.fetchone()[0] == "on"


def test_a_heartbeat_that_brings_power_back_waits_for_the_disk(sensors, beat, elapse):
    from sensors.models import PowerEvent

    elapse(settings.SENSOR_TIMEOUT_SEC + 10)  # the detector takes the section down
    before, events = wal_syncs(), PowerEvent.objects.filter(state="up").count()
    for uuid in sensors:
        beat(uuid)  # each is back after its deadline
    assert wal_syncs() - before >= len(sensors)
    assert PowerEvent.objects.filter(state="up").count() > events
