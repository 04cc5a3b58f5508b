"""Races between the detector and heartbeats, forced in both orders on the real database:
whoever records last computed from the sensors as they are then."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test import Client

from conftest import WRITE_KEY
from sensors import power
from sensors.models import Sensor
from sensors.tests.history import recorded

pytestmark = pytest.mark.django_db(transaction=True)


def heartbeat() -> None:
    response = Client().post(
        "/api/v1/heartbeat",
        {"api_key": WRITE_KEY, "building_id": 10, "section_id": 1, "sensor_uuid": "a"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content


@pytest.fixture
def paused_after_computing(monkeypatch):
    """Make the thread named `first` stop after computing a section's state, before writing it,
    until the returned event is set."""
    paused, go_on = threading.Event(), threading.Event()
    computing = power.section_statuses  # type: ignore[attr-defined]  # the name power.py calls, not one it exports

    def pause(first: str) -> threading.Event:
        def compute_then_wait(*args, **kwargs):
            statuses = computing(*args, **kwargs)
            if threading.current_thread().name == first and not paused.is_set():
                paused.set()
                go_on.wait(10)
            return statuses

        monkeypatch.setattr(power, "section_statuses", compute_then_wait)
        return paused

    yield pause, go_on
    go_on.set()


def run(name: str, work) -> tuple[threading.Thread, list[BaseException]]:
    failures: list[BaseException] = []

    def body() -> None:
        try:
            work()
        except BaseException as exc:  # reported by the test
            failures.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=body, name=name)
    thread.start()
    return thread, failures


def test_a_heartbeat_while_the_detector_decides_leaves_the_section_up(
    make_building, make_sensor, beat, elapse, time_travel, paused_after_computing
):
    make_building(sections=1)
    make_sensor("a", section=1)
    beat("a")
    elapse(145)
    time_travel(seconds=10)  # past the timeout: the next tick takes the sensor offline and computes "down"
    pause, go_on = paused_after_computing
    paused = pause("detector")
    detector, detector_failed = run("detector", power.detect_offline)
    assert paused.wait(10)
    beating, beat_failed = run("heartbeat", heartbeat)  # takes the sensor online meanwhile
    beating.join(1)  # done (the old race) or waiting for the detector's decision
    go_on.set()
    detector.join(20)
    beating.join(20)
    assert not detector_failed and not beat_failed
    assert Sensor.objects.get(uuid="a").online
    assert recorded() == "up"


def test_the_detector_while_a_heartbeat_decides_leaves_the_section_up(
    make_building, make_sensor, beat, elapse, paused_after_computing
):
    make_building(sections=1)
    make_sensor("a", section=1)
    beat("a")
    elapse(200)
    power.detect_offline()
    assert recorded() == "down"
    pause, go_on = paused_after_computing
    paused = pause("heartbeat")
    beating, beat_failed = run("heartbeat", heartbeat)  # power back: computes "up"
    assert paused.wait(10)
    detector, detector_failed = run("detector", power.detect_offline)
    detector.join(1)
    go_on.set()
    beating.join(20)
    detector.join(20)
    assert not detector_failed and not beat_failed
    assert Sensor.objects.get(uuid="a").online and recorded() == "up"


def test_a_late_heartbeat_read_before_the_detector_and_written_after_it_takes_the_sensor_online(
    make_building, make_sensor, beat, elapse, time_travel, monkeypatch
):
    from sensors import heartbeat

    make_building(sections=1)
    make_sensor("a", section=1)
    beat("a")
    elapse(145)
    time_travel(seconds=10)  # past its deadline, not yet taken offline
    reading = heartbeat.find_sensor

    def read_then_detector_runs(uuid):
        known = reading(uuid)  # read while still online...
        power.detect_offline()  # ...and the detector takes it offline before the write
        return known

    monkeypatch.setattr(heartbeat, "find_sensor", read_then_detector_runs)
    heartbeat_response = Client().post(
        "/api/v1/heartbeat",
        {"api_key": WRITE_KEY, "building_id": 10, "section_id": 1, "sensor_uuid": "a"},
        content_type="application/json",
    )
    assert heartbeat_response.status_code == 200
    assert Sensor.objects.get(uuid="a").online and recorded() == "up"


def post_heartbeat(uuid: str, section: int) -> int:
    response = Client().post(
        "/api/v1/heartbeat",
        {"api_key": WRITE_KEY, "building_id": 10, "section_id": section, "sensor_uuid": uuid},
        content_type="application/json",
    )
    return response.status_code


def test_a_heartbeat_that_waited_for_the_detector_judges_the_other_sensors_when_it_records(
    make_building, beat, elapse, time_travel, paused_after_computing
):
    from datetime import timedelta

    from django.utils import timezone

    make_building(sections=2)
    beat("a", section=1)
    time_travel(seconds=5)
    beat("b", section=1)
    elapse(140)
    time_travel(seconds=9)  # a is past its deadline; b's is a second away
    detector_now = timezone.now() + timedelta(seconds=2)  # the detector reads the clock a moment later: b too
    pause, go_on = paused_after_computing
    paused = pause("detector")
    detector, detector_failed = run("detector", lambda: power.detect_offline(detector_now))
    assert paused.wait(10)
    answers: list[int] = []
    # a's board moves to section 2; its heartbeat read the clock before b's deadline, then waits for the detector
    beating, beat_failed = run("heartbeat", lambda: answers.append(post_heartbeat("a", 2)))
    beating.join(1)
    time_travel(seconds=2)  # the clock goes on while it waits
    go_on.set()
    detector.join(20)
    beating.join(20)
    assert not detector_failed and not beat_failed and answers == [200]
    assert not Sensor.objects.get(uuid="b").online
    assert recorded(10, 1) == "down"  # nobody left up in section 1, as the detector said, and stays so


def test_a_tick_that_takes_one_section_down_and_thaws_another_keeps_one_lock_order(
    make_building, beat, elapse, time_travel, paused_after_computing
):
    from datetime import timedelta

    from buildings.models import Section
    from sensors import services
    from sensors.models import SensorAlias

    make_building(sections=2)
    beat("z", section=1)
    SensorAlias.objects.create(
        sensor=Sensor.objects.get(uuid="z"), section=Section.objects.get(building_id=10, number=2)
    )
    elapse(160)  # z is offline; it counts for both sections
    beat("x", section=2)
    beat("y", section=1)
    services.freeze(Sensor.objects.filter(uuid="y"), timedelta(seconds=145))
    for _ in range(14):
        time_travel(seconds=10)
        beat("y", section=1)
        power.detect_offline()
    time_travel(seconds=10)  # this tick: x expires (section 2) and y's freeze ends (section 1)
    pause, go_on = paused_after_computing
    paused = pause("detector")
    detector, detector_failed = run("detector", power.detect_offline)
    assert paused.wait(10)
    answers: list[int] = []
    beating, beat_failed = run("heartbeat", lambda: answers.append(post_heartbeat("z", 1)))  # z back: both sections
    beating.join(1)
    go_on.set()
    detector.join(20)
    beating.join(20)
    assert not detector_failed and not beat_failed and answers == [200]  # no deadlock, no 500
    assert recorded(10, 1) == recorded(10, 2) == "up"
