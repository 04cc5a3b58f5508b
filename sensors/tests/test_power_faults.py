"""A detector tick or a heartbeat cut short by the database going away (a restart, a
failover) leaves nothing half done: the next tick, or the next heartbeat, records the truth."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import OperationalError, close_old_connections, connection

from conftest import _connection_params
from sensors.models import PowerCause, PowerState, Sensor
from sensors.power import detect_offline
from sensors.tests.history import events, recorded

pytestmark = pytest.mark.django_db(transaction=True)

TIMEOUT = 150


@contextmanager
def connection_lost_before(table: str) -> Iterator[list[str]]:
    """Lose this process's database connection just before the first statement on `table`.

    On PostgreSQL the server ends the session for real, as a restart does; SQLite has no
    server, so the driver's error is raised in the statement's place."""
    lost: list[str] = []

    def lose(execute, sql, params, many, context):
        if table in sql and not lost:
            lost.append(sql)
            if connection.vendor != "postgresql":
                raise OperationalError("the connection is lost")
            import psycopg

            pid = connection.connection.info.backend_pid
            with psycopg.connect(**_connection_params(), autocommit=True) as other:
                other.execute("SELECT pg_terminate_backend(%s)", [pid])
                for _ in range(100):  # ended, not merely signalled
                    if not other.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone():
                        break
                    time.sleep(0.05)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(lose):
        yield lost


def test_a_tick_cut_short_between_the_sensor_and_its_section_is_done_whole_by_the_next(
    make_building, make_sensor, beat, elapse, time_travel
):
    make_building(sections=1)
    make_sensor("a", section=1)
    beat("a")
    elapse(TIMEOUT - 5)
    time_travel(seconds=10)  # past the deadline: this tick takes "a" offline and records the section down
    with connection_lost_before("sensors_sectionpower") as lost, pytest.raises(OperationalError):
        detect_offline()
    assert lost  # the connection went while the tick was between the sensor and its section
    close_old_connections()  # what the worker does before its next task
    assert Sensor.objects.get(uuid="a").online  # nothing half done: not offline with its section still up
    assert detect_offline().went_offline == 1  # the next tick finds it again
    assert recorded() == PowerState.DOWN
    assert events() == [(PowerState.UP, PowerCause.INITIAL), (PowerState.DOWN, PowerCause.TIMEOUT)]


def test_a_heartbeat_cut_short_between_the_sensor_and_its_section_is_done_whole_by_the_next(
    make_building, make_sensor, beat, elapse, client
):
    make_building(sections=1)
    make_sensor("a", section=1)
    beat("a")
    elapse(TIMEOUT + 10)
    assert recorded() == PowerState.DOWN
    with connection_lost_before("sensors_sectionpower") as lost, pytest.raises(OperationalError):
        beat("a")  # power is back: this heartbeat takes "a" online and records the section up
    assert lost
    close_old_connections()  # what the end of the request does
    assert not Sensor.objects.get(uuid="a").online  # not online with its section still down
    beat("a")  # the board's next heartbeat, 10 s later
    assert Sensor.objects.get(uuid="a").online and recorded() == PowerState.UP
    assert events()[-1] == (PowerState.UP, PowerCause.HEARTBEAT)
