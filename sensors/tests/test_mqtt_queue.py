"""The subscriber's own order of work (sensors.subscriber), in this process and without a
broker: what the network thread queued is handled as a running subscriber's main thread
would."""

from __future__ import annotations

import json

import paho.mqtt.client as mqtt
import pytest
from django.utils import timezone
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.reasoncodes import ReasonCode

from conftest import WRITE_KEY
from powerbot import counters
from powerbot.config import BrokerURL
from sensors.models import Sensor
from sensors.mqtt import receive
from sensors.power import detect_offline
from sensors.subscriber import INBOX_MAX, Received, Subscriber

pytestmark = pytest.mark.django_db(transaction=True)  # as a process of its own, on its connection


@pytest.fixture
def subscriber(make_building) -> Subscriber:
    make_building(id=10, name="London", sections=2)
    return Subscriber(BrokerURL("127.0.0.1", 1, None, None, tls=False), "test")


def arrived(subscriber: Subscriber, topic: str, payload: bytes) -> None:
    """As paho's network thread hands over a message."""
    message = mqtt.MQTTMessage(topic=topic.encode())
    message.payload = payload
    subscriber._message(subscriber.client, None, message)


def heard(uuid: str) -> None:
    body = {"api_key": WRITE_KEY, "building_id": 10, "section_id": 1, "sensor_uuid": uuid}
    receive(f"powerbot/{uuid}/heartbeat", json.dumps(body).encode(), retained=False, now=timezone.now())


def test_a_link_drop_is_handled_before_a_backlog_and_takes_back_the_wills_queued_before_it(
    subscriber, time_travel, settings
):
    """The broker stops behind a long queue: its wills, then our link's drop, wait behind
    heartbeats; the drop is handled first, so the wills are taken back when their turn comes."""
    settings.MQTT_WILL_SETTLE_SEC = 0
    heard("a")
    detect_offline()
    time_travel(seconds=20)
    for _ in range(50):
        arrived(subscriber, "powerbot/other/heartbeat", b"{}")
    arrived(subscriber, "powerbot/a/status", b"offline")
    subscriber._disconnected(subscriber.client, None, None, ReasonCode(PacketTypes.DISCONNECT, identifier=0), None)
    time_travel(seconds=5)
    while not subscriber.inbox.empty():
        subscriber._step()
    detect_offline()
    assert Sensor.objects.get().online
    counters.flush(force=True)
    assert counters.totals("mqtt_wills") == {"withdrawn": 1}


def test_oversized_messages_and_a_full_queue_are_dropped_before_they_take_memory(subscriber, settings):
    arrived(subscriber, "powerbot/a/status", b"offline" * 100)
    arrived(subscriber, "powerbot/a/heartbeat", b" " * (settings.HEARTBEAT_MAX_BODY_BYTES + 1))
    assert subscriber.inbox.empty()
    for _ in range(INBOX_MAX):
        subscriber.inbox.put(Received("powerbot/a/heartbeat", b"{}", False, timezone.now()))
    arrived(subscriber, "powerbot/a/heartbeat", b"{}")
    arrived(subscriber, "powerbot/a/status", b"offline")  # statuses may wait in twice the number
    assert subscriber.inbox.qsize() == INBOX_MAX + 1
    counters.flush(force=True)
    assert counters.totals("mqtt_rejected") == {"too_large": 2, "overloaded": 1}


def test_a_will_past_its_settling_time_is_acted_on_by_the_subscriber_itself(subscriber, time_travel, settings):
    settings.MQTT_WILL_SETTLE_SEC = 0
    heard("a")
    detect_offline()
    time_travel(seconds=20)
    arrived(subscriber, "powerbot/a/status", b"offline")
    subscriber._step()
    assert subscriber.detect_at is not None
    time_travel(seconds=1)
    for _ in range(50):
        subscriber._step()
        if subscriber.detect_at is None:
            break
    assert not Sensor.objects.get().online
