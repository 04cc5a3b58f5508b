"""The power-state engine: transitions recorded once, at the right time, with the right cause."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from buildings.models import Section
from sensors.models import PowerCause, PowerEvent, PowerState, SectionPower, Sensor, SensorAlias, SensorTransition
from sensors.power import detect_offline
from sensors.services import freeze, unfreeze
from sensors.tests.history import events, recorded

pytestmark = pytest.mark.django_db

TIMEOUT = 150


@pytest.fixture(autouse=True)
def london(make_building):
    make_building(id=10, sections=3)
    make_building(id=11, name="Paris", sections=2)


def test_first_heartbeat_initialises_the_section_silently(beat, time_travel):
    detect_offline()
    beat()
    assert events() == [(PowerState.UP, PowerCause.INITIAL)]
    assert Sensor.objects.get().online


def test_silence_past_the_timeout_is_power_off_at_the_last_heartbeat(beat, elapse):
    detect_offline()
    beat()
    last = Sensor.objects.get().last_heartbeat
    elapse(TIMEOUT - 1)
    assert Sensor.objects.get().online
    elapse(2)
    assert not Sensor.objects.get().online
    assert events() == [(PowerState.UP, PowerCause.INITIAL), (PowerState.DOWN, PowerCause.TIMEOUT)]
    event = PowerEvent.objects.latest("sequence")
    assert (event.at, event.previous_state) == (last, PowerState.UP)
    assert list(SensorTransition.objects.values_list("online", flat=True).order_by("at")) == [True, False]


def test_heartbeat_after_silence_is_power_on_with_the_outage_length(beat, elapse):
    detect_offline()
    beat()
    elapse(TIMEOUT + 1)
    down_since = SectionPower.objects.get().since
    elapse(1800)
    beat()
    event = PowerEvent.objects.latest("sequence")
    assert (event.state, event.cause, event.previous_state, event.previous_since) == (
        PowerState.UP,
        PowerCause.HEARTBEAT,
        PowerState.DOWN,
        down_since,
    )
    assert event.at == Sensor.objects.get().last_heartbeat


def test_online_run_starts_at_the_first_heartbeat_after_silence(beat, elapse):
    detect_offline()
    beat()
    started = Sensor.objects.get().online_since
    assert started is not None
    elapse(100)
    beat()
    assert Sensor.objects.get().online_since == started
    elapse(TIMEOUT + 1)
    beat()
    sensor = Sensor.objects.get()
    assert sensor.last_heartbeat is not None and sensor.online_since == sensor.last_heartbeat > started


def test_regular_heartbeats_record_nothing_new(beat, time_travel, django_assert_num_queries, rate_limits_in_memory):
    detect_offline()
    beat()
    time_travel(seconds=10)
    with django_assert_num_queries(2):  # the sensor's mapping, then the one UPDATE
        beat()
    time_travel(seconds=10)
    with django_assert_num_queries(1):  # the one UPDATE, checking the mapping this process remembers
        beat()
    assert len(events()) == 1


def test_section_stays_up_while_another_sensor_reports(beat, elapse):
    detect_offline()
    beat("a")
    beat("b")
    for _ in range(20):
        elapse(10)
        beat("b")
    assert recorded() == PowerState.UP
    assert events() == [(PowerState.UP, PowerCause.INITIAL)]
    assert not Sensor.objects.get(uuid="a").online


def test_a_quiet_detector_tick_takes_three_queries_whatever_the_fleet(beat):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    detect_offline()
    for n in range(30):
        beat(f"s{n}", section=1 + n % 3)
    with CaptureQueriesContext(connection) as tick:
        assert detect_offline().went_offline == 0
    statements = [
        q["sql"]
        for q in tick.captured_queries
        if not q["sql"].startswith(("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE SAVEPOINT"))
    ]
    assert len(statements) == 3, statements  # clock read, clock write, the deadline index; in one transaction


def test_server_downtime_gives_silent_sensors_a_fresh_timeout(beat, time_travel, elapse):
    detect_offline()
    beat()
    time_travel(hours=2)  # the server (and its detector) was down for two hours
    report = detect_offline()
    assert report.server_was_down and report.granted_fresh_timeout == 1 and report.went_offline == 0
    assert recorded() == PowerState.UP
    elapse(TIMEOUT - 5)
    assert recorded() == PowerState.UP
    elapse(10)  # silent for a whole timeout after the restart
    assert recorded() == PowerState.DOWN


def test_the_very_first_detector_run_is_treated_as_a_restart(make_sensor):
    make_sensor("old", last_heartbeat=timezone.now() - timedelta(hours=1), online=True)
    report = detect_offline()
    assert report.server_was_down and report.went_offline == 0


def test_aliased_sections_follow_their_sensor(beat, elapse):
    detect_offline()
    beat("shared")
    SensorAlias.objects.create(sensor=Sensor.objects.get(), section=Section.objects.get(building_id=11, number=2))
    elapse(TIMEOUT + 1)
    assert recorded(10, 1) == recorded(11, 2) == PowerState.DOWN


def test_environment_alias_targets_follow_their_sources(beat, elapse, settings):
    settings.SENSOR_SECTION_ALIASES = {(11, 1): ((10, 1),)}
    detect_offline()
    beat()
    assert recorded(11, 1) == PowerState.UP
    elapse(TIMEOUT + 1)
    assert recorded(11, 1) == PowerState.DOWN


def test_a_moved_sensor_leaves_its_old_section(beat):
    detect_offline()
    beat(section=1)
    beat(section=2)
    assert recorded(10, 1) == PowerState.UNKNOWN
    assert recorded(10, 2) == PowerState.UP


def test_freezing_holds_a_section_and_is_recorded_as_an_operator_action(beat, elapse):
    detect_offline()
    beat()
    freeze(Sensor.objects.all(), None)
    elapse(TIMEOUT + 1)
    assert recorded() == PowerState.UP
    unfreeze(Sensor.objects.all())
    assert events()[-1] == (PowerState.DOWN, PowerCause.OPERATOR)


def test_a_freeze_that_runs_out_lets_a_silent_sensor_go_down(beat, elapse):
    detect_offline()
    beat()
    freeze(Sensor.objects.all(), timedelta(minutes=15))
    elapse(TIMEOUT + 1)
    assert recorded() == PowerState.UP  # held at its frozen value
    elapse(15 * 60)
    assert events()[-1] == (PowerState.DOWN, PowerCause.OPERATOR)


def test_a_freeze_that_runs_out_lets_a_heard_sensor_come_back(beat, elapse):
    detect_offline()
    beat()
    elapse(TIMEOUT + 1)
    freeze(Sensor.objects.all(), timedelta(minutes=15))  # held "off"
    for _ in range(14):
        beat()  # power is back
        elapse(60)
    assert recorded() == PowerState.DOWN
    for _ in range(2):
        beat()
        elapse(60)
    assert events()[-1] == (PowerState.UP, PowerCause.OPERATOR)


@pytest.mark.django_db(transaction=True)
def test_two_detectors_at_once_record_each_transition_once(beat, time_travel, at_once):
    detect_offline()
    for n in range(12):
        beat(f"s{n}", section=1 + n % 3)
    time_travel(seconds=TIMEOUT - 5)
    detect_offline()
    time_travel(seconds=10)
    at_once(detect_offline, 4)
    for number in (1, 2, 3):
        assert events(10, number) == [(PowerState.UP, PowerCause.INITIAL), (PowerState.DOWN, PowerCause.TIMEOUT)]
    assert SensorTransition.objects.filter(online=False).count() == 12
