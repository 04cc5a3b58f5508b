"""Status inference: sensor online by timeout, freeze, section up through own and aliased sensors."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from buildings.models import Section
from sensors.models import PowerState, Sensor, SensorAlias
from sensors.status import public_sensor_states, section_statuses, with_online

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def buildings(make_building):
    make_building(id=10, sections=3)
    make_building(id=11, name="Paris", sections=2)


def ago(seconds: float):
    return timezone.now() - timedelta(seconds=seconds)


def status_of(building: int, number: int):
    return section_statuses([Section.objects.get(building_id=building, number=number)])[0]


def online(sensor: Sensor, now=None) -> bool:
    return with_online(Sensor.objects.filter(pk=sensor.pk), now).values("is_up").get()["is_up"]  # type: ignore[misc]  # is_up: with_online's annotation


def test_sensor_is_online_until_the_timeout_passes(make_sensor):
    now = timezone.now()
    assert online(make_sensor("a", last_heartbeat=now - timedelta(seconds=149.9)), now)
    assert not online(make_sensor("b", last_heartbeat=now - timedelta(seconds=150)), now)
    assert not online(make_sensor("c", last_heartbeat=None), now)


def test_timeout_comes_from_the_setting(make_sensor, settings):
    settings.SENSOR_TIMEOUT_SEC = 30
    assert not online(make_sensor("a", last_heartbeat=ago(31)))
    assert online(make_sensor("b", last_heartbeat=ago(29)))


@pytest.mark.parametrize(
    ("last", "frozen_is_up", "until", "expected"),
    [
        (3600, True, 60, True),  # silent, frozen up for another minute
        (3600, True, None, True),  # silent, frozen up until unfrozen
        (0, False, None, False),  # reporting, frozen down
        (3600, True, -1, False),  # the freeze has ended: back to the heartbeat
        (0, False, -1, True),
    ],
)
def test_frozen_sensor_counts_with_its_frozen_value_until_it_thaws(make_sensor, last, frozen_is_up, until, expected):
    now = timezone.now()
    sensor = make_sensor(
        "a",
        last_heartbeat=now - timedelta(seconds=last),
        frozen_is_up=frozen_is_up,
        frozen_until=None if until is None else now + timedelta(seconds=until),
    )
    assert online(sensor, now) is expected


def test_disabled_sensor_is_never_online(make_sensor):
    assert not online(make_sensor("a", enabled=False, last_heartbeat=ago(1)))
    assert not online(make_sensor("b", enabled=False, frozen_is_up=True))


def test_section_without_sensors_is_unknown():
    status = status_of(10, 1)
    assert (status.state, status.since, status.sensors_online, status.sensors_total) == (PowerState.UNKNOWN, None, 0, 0)


def test_section_is_up_while_any_sensor_is_online(make_sensor):
    started = ago(600)
    make_sensor("a", section=1, last_heartbeat=ago(5), online_since=started)
    make_sensor("b", section=1, last_heartbeat=ago(500), online_since=ago(4000))
    status = status_of(10, 1)
    assert status.state == PowerState.UP
    assert status.since == started
    assert (status.sensors_online, status.sensors_total) == (1, 2)


def test_section_is_down_since_the_last_heartbeat_when_all_are_silent(make_sensor):
    last = ago(200)
    make_sensor("a", section=1, last_heartbeat=last)
    make_sensor("b", section=1, last_heartbeat=ago(900))
    status = status_of(10, 1)
    assert (status.state, status.since, status.sensors_online) == (PowerState.DOWN, last, 0)


def test_disabled_sensors_do_not_count(make_sensor):
    make_sensor("a", section=1, last_heartbeat=ago(1), enabled=False)
    assert status_of(10, 1).state == PowerState.UNKNOWN


def test_admin_alias_counts_a_sensor_for_another_section(make_sensor):
    sensor = make_sensor("shared", building=10, section=1, last_heartbeat=ago(1))
    SensorAlias.objects.create(sensor=sensor, section=Section.objects.get(building_id=11, number=2))
    assert status_of(11, 2).state == PowerState.UP
    assert status_of(11, 2).sensors_total == 1
    assert status_of(11, 1).state == PowerState.UNKNOWN


def test_environment_alias_counts_the_sensors_of_the_listed_sections(make_sensor, settings):
    settings.SENSOR_SECTION_ALIASES = {(11, 1): ((10, 3),)}
    make_sensor("x", building=10, section=3, last_heartbeat=ago(1))
    make_sensor("y", building=10, section=3, last_heartbeat=ago(900))
    status = status_of(11, 1)
    assert (status.state, status.sensors_online, status.sensors_total) == (PowerState.UP, 1, 2)


def test_aliases_do_not_recurse(make_sensor, settings):
    # 10/1's sensor counts for 10/2 by alias; 11/1 follows 10/2 but must not inherit it.
    sensor = make_sensor("a", building=10, section=1, last_heartbeat=ago(1))
    SensorAlias.objects.create(sensor=sensor, section=Section.objects.get(building_id=10, number=2))
    settings.SENSOR_SECTION_ALIASES = {(11, 1): ((10, 2),)}
    assert status_of(10, 2).state == PowerState.UP
    assert status_of(11, 1).state == PowerState.UNKNOWN


def test_a_sensor_counted_twice_for_a_section_is_counted_once(make_sensor, settings):
    sensor = make_sensor("a", building=10, section=1, last_heartbeat=ago(1))
    SensorAlias.objects.create(sensor=sensor, section=Section.objects.get(building_id=11, number=1))
    settings.SENSOR_SECTION_ALIASES = {(11, 1): ((10, 1),)}
    assert status_of(11, 1).sensors_total == 1


def test_many_sections_take_a_constant_number_of_queries(make_sensor, django_assert_num_queries):
    for number in (1, 2, 3):
        make_sensor(f"s{number}", section=number, last_heartbeat=ago(1))
    sections = list(Section.objects.all())
    with django_assert_num_queries(2):  # aliases, then sensors
        statuses = section_statuses(sections)
    assert [s.state for s in statuses] == [PowerState.UP] * 3 + [PowerState.UNKNOWN] * 2


def test_public_states_list_enabled_sensors_with_silent_ones_down(make_sensor):
    a = make_sensor("a", last_heartbeat=ago(1))
    b = make_sensor("b", last_heartbeat=ago(1000))
    make_sensor("c", last_heartbeat=ago(1), enabled=False)
    assert public_sensor_states(timezone.now()) == [(a.pk, True), (b.pk, False)]
