"""What each MQTT message means (sensors.mqtt), in this process: heartbeats under the HTTP
heartbeat's checks, presence, wills under the timeout's guards. The subscriber process on the
real broker is tested in test_mqtt_subscriber.py."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from conftest import WRITE_KEY
from powerbot import counters
from sensors.models import MassSilence, PowerCause, PowerState, Sensor, Transport, WriteKey
from sensors.mqtt import receive
from sensors.power import detect_offline
from sensors.tests.history import events, recorded

pytestmark = pytest.mark.django_db

SETTLE = 15


@pytest.fixture(autouse=True)
def house(make_building):
    make_building(id=10, name="London", sections=2)


def heartbeat(uuid: str | None = "board-1", topic_uuid: str | None = None, **fields: Any) -> bool:
    body = {"api_key": WRITE_KEY, "building_id": 10, "section_id": 1, "sensor_uuid": uuid} | fields
    payload = json.dumps({name: value for name, value in body.items() if value is not None}).encode()
    return publish(f"powerbot/{topic_uuid or uuid}/heartbeat", payload)


def publish(topic: str, payload: bytes, *, retained: bool = False) -> bool:
    taken = receive(topic, payload, retained=retained, now=timezone.now())
    counters.flush(force=True)
    return taken


def status(uuid: str, payload: bytes, *, retained: bool = False) -> bool:
    return publish(f"powerbot/{uuid}/status", payload, retained=retained)


def rejected() -> dict[str, int]:
    return counters.totals("mqtt_rejected")


def test_a_heartbeat_over_mqtt_is_recorded_as_one_over_http_with_its_telemetry():
    heartbeat(firmware_version="1.1.0", rssi=-61)
    sensor = Sensor.objects.get()
    assert (sensor.uuid, sensor.section.number, sensor.online) == ("board-1", 1, True)
    assert sensor.transport == Transport.MQTT
    assert (sensor.firmware_version, sensor.telemetry) == ("1.1.0", {"firmware_version": "1.1.0", "rssi": -61})
    assert recorded() == PowerState.UP
    assert counters.totals("mqtt_messages") == {"heartbeat": 1}


def test_a_heartbeat_over_http_after_mqtt_shows_its_transport(beat):
    heartbeat("a")
    beat("a")
    assert Sensor.objects.get().transport == Transport.HTTP


def test_the_topic_names_the_sensor_when_the_body_does_not():
    heartbeat(uuid=None, topic_uuid="board-7")
    assert Sensor.objects.get().uuid == "board-7"


def test_a_body_naming_another_sensor_than_its_topic_is_rejected():
    heartbeat(uuid="board-2", topic_uuid="board-1")
    assert not Sensor.objects.exists()
    assert rejected() == {"topic_mismatch": 1}


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"not json", "invalid_json"),
        (b"[1, 2]", "invalid_json"),
        (b'{"building_id": NaN}', "invalid_json"),
        (b"\xff\xfe", "invalid_json"),
        (b"{" + b" " * 5000 + b"}", "too_large"),
    ],
)
def test_garbage_is_rejected_and_counted_with_its_reason(payload, reason):
    publish("powerbot/board-1/heartbeat", payload)
    assert rejected() == {reason: 1}
    assert not Sensor.objects.exists()


def test_a_wrong_key_or_another_boards_key_is_rejected(caplog):
    heartbeat(api_key="wrong")
    key = WriteKey(name="board 2 only", sensor_uuid="board-2")
    raw = key.set_new_key()
    key.save()
    heartbeat(api_key=raw)  # board-1 with board-2's key
    assert rejected() == {"invalid_key": 2}
    assert not Sensor.objects.exists()
    assert "mqtt_rejected" in caplog.text and "invalid_key" in caplog.text


def test_the_heartbeats_own_checks_apply_with_their_reasons():
    heartbeat(building_id=99)
    heartbeat(section_id=7)
    heartbeat(building_id="10")
    assert rejected() == {"unknown_building": 1, "bad_section": 1, "bad_building_id": 1}


@pytest.mark.parametrize(
    ("topic", "payload", "reason"),
    [
        ("powerbot/" + "x" * 65 + "/heartbeat", b"{}", "bad_topic"),
        ("powerbot/board-1/status", b"maybe", "bad_status"),
    ],
)
def test_a_bad_topic_or_status_is_rejected(topic, payload, reason):
    publish(topic, payload)
    assert rejected() == {reason: 1}


def test_online_counts_as_a_heartbeats_presence_for_a_known_sensor(make_sensor, elapse):
    heartbeat()
    elapse(140)
    status("board-1", b"online", retained=True)
    elapse(140)  # 280 s after the heartbeat, 140 s after the presence
    assert Sensor.objects.get().online
    assert status("stranger", b"online") is False
    assert Sensor.objects.count() == 1  # a status makes no sensor: it carries no key


def test_a_retained_online_left_by_a_board_gone_for_good_does_not_bring_it_back(elapse):
    """A board that said goodbye leaves `online` retained: every subscriber start hears it again."""
    heartbeat()
    elapse(160)
    assert not Sensor.objects.get().online
    assert status("board-1", b"online", retained=True) is False
    assert not Sensor.objects.get().online
    assert events() == [(PowerState.UP, PowerCause.INITIAL), (PowerState.DOWN, PowerCause.TIMEOUT)]
    status("board-1", b"online")  # a fresh one: it has just connected
    assert Sensor.objects.get().online


def test_a_will_takes_the_sensor_offline_as_the_cause_of_its_sections_power_off(time_travel):
    heartbeat()
    time_travel(seconds=20)
    assert status("board-1", b"offline") is True
    sensor = Sensor.objects.get()
    assert sensor.last_will_at is not None
    detect_offline()
    assert Sensor.objects.get().online  # settling: the rest of a cut may still be coming
    time_travel(seconds=SETTLE)
    detect_offline()
    assert not Sensor.objects.get().online
    assert events() == [(PowerState.UP, PowerCause.INITIAL), (PowerState.DOWN, PowerCause.MQTT_WILL)]
    assert counters.totals("mqtt_wills")["taken"] == 1


def test_a_board_heard_again_before_its_will_settles_stays_up(time_travel):
    heartbeat()
    time_travel(seconds=20)
    status("board-1", b"offline")  # its old connection's will, fired as it reconnected
    status("board-1", b"online")
    time_travel(seconds=SETTLE)
    detect_offline()
    assert Sensor.objects.get().online
    assert events() == [(PowerState.UP, PowerCause.INITIAL)]


def test_a_will_handled_after_the_boards_next_message_is_ignored(time_travel):
    """Two subscribers: the reconnect's `online` may be handled before the old connection's will."""
    heartbeat()
    time_travel(seconds=20)
    status("board-1", b"online")
    assert status("board-1", b"offline") is False
    time_travel(seconds=SETTLE)
    detect_offline()
    assert Sensor.objects.get().online
    assert counters.totals("mqtt_wills")["ignored"] == 1


def test_a_will_already_taken_is_not_taken_twice(time_travel):
    heartbeat()
    time_travel(seconds=20)
    assert status("board-1", b"offline") is True
    assert status("board-1", b"offline") is False


def test_a_retained_will_from_before_we_subscribed_leaves_it_to_the_timeout(time_travel):
    heartbeat()
    time_travel(seconds=20)
    assert status("board-1", b"offline", retained=True) is False
    time_travel(seconds=SETTLE)
    detect_offline()
    assert Sensor.objects.get().online
    assert counters.totals("mqtt_wills")["stale"] == 1


def test_an_empty_retained_status_clears_the_topic_and_is_no_error():
    status("board-1", b"", retained=True)
    assert rejected() == {}


def test_wills_fired_together_across_the_town_are_a_mass_silence_and_nobody_is_told(
    make_building, time_travel, settings
):
    settings.MASS_SILENCE_MIN_SENSORS, settings.MASS_SILENCE_MIN_BUILDINGS = 6, 3
    for building in (11, 12, 13):
        make_building(id=building, name=f"House {building}", sections=1)
    boards = [(f"b{building}-{n}", building) for building in (10, 11, 12, 13) for n in range(2)]
    for uuid, building in boards:
        heartbeat(uuid, building_id=building)
    detect_offline()
    time_travel(seconds=20)
    for uuid, _ in boards:
        status(uuid, b"offline")
    time_travel(seconds=SETTLE)
    detect_offline()
    assert MassSilence.objects.filter(open=True).exists()
    assert events(11) == [(PowerState.UP, PowerCause.INITIAL), (PowerState.UNKNOWN, PowerCause.GUARD)]


def test_a_will_while_the_server_was_down_proves_nothing(time_travel):
    heartbeat()
    detect_offline()
    time_travel(seconds=200)  # no detector tick for longer than the timeout
    status("board-1", b"offline")
    time_travel(seconds=SETTLE)
    detect_offline()
    assert Sensor.objects.get().online  # a fresh timeout, as for every silent sensor


def test_a_body_with_a_null_uuid_is_refused_as_over_http():
    body = {"api_key": WRITE_KEY, "building_id": 10, "sensor_uuid": None}
    publish("powerbot/board-1/heartbeat", json.dumps(body).encode())
    assert rejected() == {"bad_sensor_uuid": 1}


def test_wills_of_the_moment_our_link_dropped_are_taken_back(time_travel):
    from sensors.mqtt import link_lost

    heartbeat("a")
    heartbeat("b")
    time_travel(seconds=20)
    status("a", b"offline")
    detect_offline()
    time_travel(seconds=5)
    status("b", b"offline")  # the broker stopping: the will, then our own link
    assert link_lost(timezone.now(), 2.0) == 1
    time_travel(seconds=SETTLE)
    detect_offline()
    assert {s.uuid: s.online for s in Sensor.objects.all()} == {"a": False, "b": True}
    sensor_b = Sensor.objects.get(uuid="b")
    assert sensor_b.last_heartbeat is not None
    assert sensor_b.offline_after == sensor_b.last_heartbeat + timedelta(seconds=150)
    counters.flush(force=True)
    assert counters.totals("mqtt_wills")["withdrawn"] == 1
