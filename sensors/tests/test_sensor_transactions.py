"""Transactions that write sensors take the public list's version first, so two of them
never wait on each other in a cycle (PostgreSQL's row locks; SQLite runs them one by one)."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, connections, transaction

from sensors import services
from sensors.models import Sensor

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks")


def someone_waits_for_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")  # inside a transaction it would not change
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


def test_an_operator_pinning_and_another_editing_the_same_sensor_both_commit(
    transactional_db, make_building, make_sensor
):
    make_building(id=10)
    make_sensor("dA")
    make_sensor("dB")
    pinned = threading.Event()
    errors: list[BaseException] = []

    def pin_then_disable() -> None:
        try:
            with transaction.atomic():
                services.pin(Sensor.objects.filter(uuid="dA"))  # a field the list does not show
                pinned.set()
                deadline = time.monotonic() + 10
                while not someone_waits_for_a_lock() and time.monotonic() < deadline:
                    time.sleep(0.02)
                Sensor.objects.filter(uuid="dB").update(enabled=False)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    def edit() -> None:
        try:
            pinned.wait(10)
            with transaction.atomic():  # as the admin's change form
                sensor = Sensor.objects.get(uuid="dA")
                sensor.comment = "by the lift"
                sensor.save()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=pin_then_disable), threading.Thread(target=edit)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert errors == []  # no "deadlock detected"
    assert Sensor.objects.get(uuid="dA").comment == "by the lift"  # the form saved the row it read: last one wins
    assert not Sensor.objects.get(uuid="dB").enabled
