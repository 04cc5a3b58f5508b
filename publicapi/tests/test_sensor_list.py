"""The rendered public list is kept while it is true: every write that can change it, and
every deadline that passes, shows in the very next read; an unchanged list costs one query."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.management import call_command

from conftest import READ_KEY
from powerbot import counters
from sensors import services
from sensors.models import Sensor, SensorListVersion

pytestmark = pytest.mark.django_db

LIST = "/api/v1/public/sensors/status"


@pytest.fixture
def read(client) -> Callable[[], dict[int, bool]]:
    def get() -> dict[int, bool]:
        response = client.get(LIST, HTTP_X_API_KEY=READ_KEY)
        assert response.status_code == 200
        return {sensor["id"]: sensor["is_up"] for sensor in response.json()["sensors"]}

    return get


@pytest.fixture
def fleet(make_building, beat) -> list[Sensor]:
    SensorListVersion.renew()  # a test before may have emptied the database, version and all
    make_building(id=10, sections=2)
    for uuid in ("a", "b"):
        beat(uuid)
    return list(Sensor.objects.order_by("id"))


def test_an_unchanged_list_is_answered_with_one_query(fleet, read, django_assert_num_queries, rate_limits_in_memory):
    first = read()
    counters.flush(force=True)  # what earlier tests counted is not written inside the measured request
    with django_assert_num_queries(1):  # the list's version; the rendered list is still true
        assert read() == first == {fleet[0].pk: True, fleet[1].pk: True}


def test_a_quiet_heartbeat_keeps_the_version_and_the_answer(fleet, read, beat, time_travel):
    before = read(), SensorListVersion.current()
    time_travel(seconds=10)
    beat("a")
    assert (read(), SensorListVersion.current()) == before


def save_disabled(sensor: Sensor) -> None:  # as the admin's form does
    sensor.enabled = False
    sensor.save()


def disable_in_bulk(sensor: Sensor) -> None:  # as an admin action does
    Sensor.objects.filter(pk=sensor.pk).update(enabled=False)


def freeze_down(sensor: Sensor) -> None:
    services.freeze(Sensor.objects.filter(pk=sensor.pk), None)
    Sensor.objects.filter(pk=sensor.pk).update(frozen_is_up=False)


def delete(sensor: Sensor) -> None:
    sensor.delete()


def delete_in_bulk(sensor: Sensor) -> None:
    Sensor.objects.filter(pk=sensor.pk).delete()


@pytest.mark.parametrize("write", [save_disabled, disable_in_bulk, freeze_down, delete, delete_in_bulk])
def test_a_write_that_takes_a_sensor_off_the_list_or_down_shows_in_the_next_read(fleet, read, write):
    sensor, other = (s.pk for s in fleet)  # a deleted sensor forgets its pk
    assert read()[sensor] is True
    write(fleet[0])
    assert read().get(sensor, False) is False
    assert read()[other] is True


def test_a_new_sensor_and_an_imported_one_show_in_the_next_read(fleet, read, beat, tmp_path):
    read()
    beat("new")
    assert Sensor.objects.get(uuid="new").pk in read()

    mappings = tmp_path / "m.yaml"
    mappings.write_text("sensors:\n  - {uuid: imported, building: 10, section: 2}\n")
    call_command("import_mappings", str(mappings), verbosity=0)
    assert Sensor.objects.get(uuid="imported").pk in read()


def test_a_deadline_passing_shows_in_the_next_read_with_nothing_written(fleet, read, beat, time_travel):
    assert read() == {fleet[0].pk: True, fleet[1].pk: True}
    time_travel(seconds=settings.SENSOR_TIMEOUT_SEC - 5)
    beat("b")  # b's deadline moves on; a's stays
    assert read() == {fleet[0].pk: True, fleet[1].pk: True}
    time_travel(seconds=6)  # past a's deadline; no detector has run
    assert read() == {fleet[0].pk: False, fleet[1].pk: True}


def test_a_sensor_heard_after_its_deadline_is_up_in_the_next_read(fleet, read, beat, time_travel):
    time_travel(seconds=settings.SENSOR_TIMEOUT_SEC + 1)
    assert read()[fleet[0].pk] is False
    beat("a")
    assert read()[fleet[0].pk] is True


def test_a_heartbeat_close_to_its_deadline_renews_the_version(fleet, beat, time_travel):
    """The heartbeat's clock and its commit are a moment apart: within half a timeout of the
    deadline, a reader may already have seen the sensor down."""
    before = SensorListVersion.current()
    time_travel(seconds=settings.SENSOR_TIMEOUT_SEC * 0.6)
    beat("a")
    assert SensorListVersion.current() != before


def test_a_freeze_running_out_shows_in_the_next_read(fleet, read, time_travel):
    freeze = settings.SENSOR_TIMEOUT_SEC // 2  # ends before the sensor's deadline
    services.freeze(Sensor.objects.filter(pk=fleet[0].pk), timedelta(seconds=freeze))
    Sensor.objects.filter(pk=fleet[0].pk).update(frozen_is_up=False)
    assert read()[fleet[0].pk] is False
    time_travel(seconds=freeze + 1)
    assert read()[fleet[0].pk] is True


def test_a_list_is_rendered_afresh_after_its_longest_life_whatever_the_version(fleet, read, time_travel):
    from django.db import connection

    read()
    with connection.cursor() as cursor:  # an operator's SQL: no version renewed
        cursor.execute(f'UPDATE "{Sensor._meta.db_table}" SET enabled = %s WHERE id = %s', [False, fleet[0].pk])
    assert fleet[0].pk in read()
    time_travel(seconds=31)
    assert fleet[0].pk not in read()
