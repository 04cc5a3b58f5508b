"""Heartbeats per sensor uuid (HEARTBEAT_RATE): a board posting far too often is refused with
429 and changes nothing; every other board, and the firmware's own pace, are never limited."""

from __future__ import annotations

import pytest
from django.forms.models import model_to_dict

from powerbot import counters
from sensors.models import Sensor, SensorTransition

pytestmark = pytest.mark.django_db


def heartbeat(uuid: str, **fields):
    return {"building_id": 10, "section_id": 1, "sensor_uuid": uuid, **fields}


def test_a_limited_heartbeat_is_429_and_records_nothing(post_heartbeat, make_building, settings, time_travel):
    settings.HEARTBEAT_RATE = "2/min"
    make_building()
    assert [post_heartbeat(heartbeat("runaway")).status_code for _ in range(2)] == [200, 200]
    before = model_to_dict(Sensor.objects.get(uuid="runaway"))
    transitions = SensorTransition.objects.count()
    counters.flush(force=True)
    limited_before = counters.totals("rate_limited").get("heartbeat", 0)
    rejected_before = counters.totals("heartbeats_rejected")
    time_travel(seconds=5)

    refused = post_heartbeat(heartbeat("runaway", firmware_version="9.9.9", uptime=5), REMOTE_ADDR="10.1.1.1")

    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
    assert refused.json()["status"] == "error" and refused.json()["message"].startswith("Too many requests")
    assert model_to_dict(Sensor.objects.get(uuid="runaway")) == before  # no time, address, version or telemetry
    assert SensorTransition.objects.count() == transitions
    counters.flush(force=True)
    assert counters.totals("rate_limited")["heartbeat"] - limited_before == 1
    assert counters.totals("heartbeats_rejected") == rejected_before  # a limit is not a bad heartbeat


def test_other_sensors_are_heard_while_one_is_limited(post_heartbeat, make_building, settings):
    settings.HEARTBEAT_RATE = "1/min"
    make_building()
    post_heartbeat(heartbeat("runaway"))
    assert post_heartbeat(heartbeat("runaway")).status_code == 429
    assert post_heartbeat(heartbeat("RUNAWAY ")).status_code == 429  # the same sensor, as the mapping rules say
    assert post_heartbeat(heartbeat("neighbour")).status_code == 200


def test_a_board_beating_every_second_is_never_limited(post_heartbeat, make_building, time_travel):
    make_building()
    answers = set()
    for _ in range(200):  # over three minutes of a test clock's pace, with the default rate
        answers.add(post_heartbeat(heartbeat("fast-clock")).status_code)
        time_travel(seconds=1)
    assert answers == {200}


def test_a_rejected_heartbeat_counts_once_against_its_rate(post_heartbeat, make_building, settings):
    settings.HEARTBEAT_RATE = "3/min"
    make_building()
    # Refused for its section by record_heartbeat, after the limit let it through: DRF's view
    # then answers it in full and must not count it a second time.
    assert [post_heartbeat(heartbeat("wrong", section_id=9)).status_code for _ in range(3)] == [400, 400, 400]
    assert post_heartbeat(heartbeat("wrong", section_id=9)).status_code == 429


def test_off_at_0(post_heartbeat, make_building, settings):
    settings.HEARTBEAT_RATE = None
    make_building()
    assert {post_heartbeat(heartbeat("a")).status_code for _ in range(150)} == {200}


def test_after_the_rate_is_lowered_the_wait_is_until_enough_have_left_the_window(
    post_heartbeat, make_building, settings, time_travel
):
    settings.HEARTBEAT_RATE = "5/min"
    make_building()
    for _ in range(5):
        post_heartbeat(heartbeat("lowered"))
        time_travel(seconds=2)
    settings.HEARTBEAT_RATE = "2/min"  # five counted, 10, 8, 6, 4 and 2 s ago; room for one more
    refused = post_heartbeat(heartbeat("lowered"))  # once the second newest, 4 s old, leaves the window
    assert refused.status_code == 429 and refused["Retry-After"] == "56"
