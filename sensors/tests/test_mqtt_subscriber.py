"""`manage.py runmqtt` against the real Mosquitto: boards' heartbeats, wills and goodbyes, a
broker restart, garbage, and two subscribers splitting the messages."""

from __future__ import annotations

import secrets
import signal
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import pytest

from conftest import READ_KEY, WRITE_KEY, subscribe, wait_for
from powerbot.models import Counter
from sensors.models import MassSilence, PowerCause, PowerEvent, PowerState, Sensor, Transport
from sensors.power import detect_offline
from sensors.tests.history import events
from testsupport.mqtt import Board

pytestmark = pytest.mark.django_db(transaction=True)

KEEPALIVE = 5
SETTLE = "1"


@pytest.fixture
def boards(make_building) -> Iterator[Callable[..., Board]]:
    """Boards with uuids of this test's own (the broker keeps retained statuses between tests),
    whose retained statuses are cleared at the end."""
    made: list[Board] = []
    run = secrets.token_hex(3)

    def connect(url: str, name: str) -> Board:
        made.append(Board(urlsplit(url).port or 1883, f"{name}-{run}", keepalive=KEEPALIVE))
        return made[-1]

    make_building(id=10, name="London", sections=2)
    yield connect
    for board in made:
        board.forget()


def body(building: int = 10, **fields: object) -> dict[str, object]:
    return {"api_key": WRITE_KEY, "building_id": building, "section_id": 1, **fields}


def heard(board: Board, building: int = 10, **fields: object) -> Sensor:
    """Heartbeats until the subscriber has the sensor (it may still be subscribing)."""

    def recorded() -> bool:
        board.heartbeat(body(building, **fields))
        return Sensor.objects.filter(uuid=board.uuid).exists()

    assert wait_for(recorded, 30), "the subscriber never recorded a heartbeat"
    return Sensor.objects.get(uuid=board.uuid)


def totals(name: str) -> dict[str, int]:
    return dict(Counter.objects.filter(name=name).values_list("label", "value"))


def test_a_heartbeat_over_mqtt_is_listed_by_the_read_api(mosquitto, runmqtt, boards, client):
    runmqtt(mosquitto)
    board = boards(mosquitto, "listed")
    sensor = heard(board, firmware_version="1.2.0")
    assert (sensor.transport, sensor.firmware_version) == (Transport.MQTT, "1.2.0")
    listed = client.get("/api/v1/public/sensors/status", HTTP_X_API_KEY=READ_KEY).json()
    assert listed == {"sensors": [{"id": sensor.pk, "is_up": True}]}


def test_a_board_that_vanishes_is_a_power_off_within_its_keepalive_and_the_residents_hear(
    mosquitto, runmqtt, boards, workers, redis_url, telegram
):
    """The power dies with the board: its socket closes without a DISCONNECT."""
    subscribe(501, (10, 1))
    detect_offline()
    runmqtt(mosquitto, MQTT_WILL_SETTLE_SEC=SETTLE, REDIS_URL=redis_url)
    board = boards(mosquitto, "vanishing")
    heard(board)
    assert wait_for(lambda: events() == [(PowerState.UP, PowerCause.INITIAL)], 10)
    with workers.run(REDIS_URL=redis_url):
        assert wait_for(lambda: Sensor.objects.get(uuid=board.uuid).last_heartbeat is not None, 5)
        wait_for(lambda: False, 3.5)  # a real will follows silence (WILL_AFTER_SILENCE)
        board.vanish()
        # Found by the broker within 1.5 keep-alives, acted on by the subscriber itself after
        # the settling time: well within keep-alive x 1.5 + the detector's 10 s interval.
        assert wait_for(lambda: len(events()) == 2, KEEPALIVE * 1.5 + 10), events()
        assert events()[-1] == (PowerState.DOWN, PowerCause.MQTT_WILL)
        assert telegram.wait_for(lambda: telegram.sent(501), timeout=30), workers.log()
    assert Sensor.objects.get(uuid=board.uuid).last_will_at is not None


def test_a_board_that_says_goodbye_is_not_a_power_off(mosquitto, runmqtt, boards):
    detect_offline()
    runmqtt(mosquitto, MQTT_WILL_SETTLE_SEC=SETTLE)
    board = boards(mosquitto, "updating")
    heard(board)
    board.goodbye()
    wait_for(lambda: False, KEEPALIVE * 1.5 + 1)  # as long as a will would take, and to act on it
    detect_offline()
    sensor = Sensor.objects.get(uuid=board.uuid)
    assert (sensor.online, sensor.last_will_at) == (True, None)
    assert events() == [(PowerState.UP, PowerCause.INITIAL)]


def test_every_will_at_once_is_a_mass_silence_and_nobody_is_told(mosquitto, runmqtt, boards, make_building, telegram):
    for building in (11, 12):
        make_building(id=building, name=f"House {building}", sections=1)
    for building in (10, 11, 12):
        subscribe(600 + building, (building, 1))
    detect_offline()
    runmqtt(mosquitto, MQTT_WILL_SETTLE_SEC=SETTLE, MASS_SILENCE_MIN_SENSORS="6", MASS_SILENCE_MIN_BUILDINGS="3")
    fleet = [boards(mosquitto, f"cut-{building}-{n}") for building in (10, 11, 12) for n in range(3)]
    for board, building in zip(fleet, [b for b in (10, 11, 12) for _ in range(3)], strict=True):
        heard(board, building=building)
    wait_for(lambda: False, 3.5)
    for board in fleet:  # the town's uplink to the broker is cut
        board.vanish()
    assert wait_for(lambda: MassSilence.objects.filter(open=True).exists(), 20)
    assert wait_for(lambda: events(11) == [(PowerState.UP, PowerCause.INITIAL), (PowerState.UNKNOWN, PowerCause.GUARD)])
    assert not PowerEvent.objects.filter(state=PowerState.DOWN).exists()
    assert telegram.sent() == []


def test_a_broker_restart_fires_every_will_and_the_subscriber_takes_them_back(own_mosquitto, runmqtt, boards):
    detect_offline()
    subscriber = runmqtt(own_mosquitto.url, MQTT_WILL_SETTLE_SEC="3")
    fleet = [boards(own_mosquitto.url, f"restart-{n}") for n in range(3)]
    for board in fleet:
        heard(board)
    wait_for(lambda: False, 3.5)
    own_mosquitto.stop()  # it publishes every will as it stops, then drops the subscriber
    own_mosquitto.start()
    wait_for(lambda: False, 5)  # past the settling time
    detect_offline()
    assert all(sensor.online for sensor in Sensor.objects.all())
    assert not PowerEvent.objects.filter(state=PowerState.DOWN).exists()
    # Every will that reached the subscriber before its own link dropped was taken back,
    # whether it had been taken already or not.
    wills = totals("mqtt_wills")
    assert wills.get("withdrawn", 0) >= wills.get("taken", 0), wills
    for board in fleet:
        board.goodbye()
    # ...and it came back to the restarted broker by itself.
    back = boards(own_mosquitto.url, "after-restart")
    assert heard(back).transport == Transport.MQTT
    assert subscriber.poll() is None


def test_garbage_and_wrong_keys_are_rejected_and_counted(mosquitto, runmqtt, boards):
    runmqtt(mosquitto)
    board = boards(mosquitto, "garbage")
    heard(board)
    board.publish("heartbeat", b"\x00not json")
    board.publish("heartbeat", b'{"api_key": "wrong", "building_id": 10}')
    board.publish("heartbeat", b'{"api_key": "%s", "building_id": 99}' % WRITE_KEY.encode())
    board.publish("status", b"rebooting")
    expected = {"invalid_json": 1, "invalid_key": 1, "unknown_building": 1, "bad_status": 1}
    assert wait_for(lambda: totals("mqtt_rejected") == expected, 20), totals("mqtt_rejected")
    board.heartbeat(body())  # and it goes on
    assert wait_for(lambda: totals("mqtt_messages").get("heartbeat", 0) >= 5, 10)


def test_two_subscribers_handle_each_message_once(mosquitto, runmqtt, boards, tmp_path):
    runmqtt(mosquitto), runmqtt(mosquitto)
    logs = [tmp_path / "runmqtt-0.log", tmp_path / "runmqtt-1.log"]
    assert wait_for(lambda: all("mqtt: connected" in log.read_text() for log in logs), 30)
    board = boards(mosquitto, "shared")
    heard(board)
    wait_for(lambda: False, 1)  # both subscriptions acknowledged
    before = totals("mqtt_messages").get("heartbeat", 0)
    for n in range(40):
        board.heartbeat(body(n=n))
    assert wait_for(lambda: totals("mqtt_messages").get("heartbeat", 0) >= before + 40, 20)
    wait_for(lambda: False, 1)
    assert totals("mqtt_messages")["heartbeat"] == before + 40  # not 80: each message once


def test_the_subscriber_stops_cleanly_on_sigterm(mosquitto, runmqtt, tmp_path):
    process = runmqtt(mosquitto)
    # Connected, so past start-up, where its handler is set: a SIGTERM during Django's set-up
    # (a busy machine's second) would meet the default one and kill it.
    assert wait_for(lambda: "mqtt: connected" in (tmp_path / "runmqtt-0.log").read_text(), 30)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=20) == 0


def test_a_stop_while_the_database_is_down_is_prompt_and_says_which_wills_it_could_not_record(
    mosquitto, runmqtt, boards, tmp_path
):
    subscriber = runmqtt(mosquitto, DATABASE_URL=f"sqlite:///{tmp_path}/missing/folder/db.sqlite3")
    log = tmp_path / "runmqtt-0.log"
    assert wait_for(lambda: "mqtt: connected" in log.read_text(), 30)
    board = boards(mosquitto, "db-down")
    wait_for(lambda: False, 1)  # subscribed
    for _ in range(2000):
        board.client.publish(board.topic("heartbeat"), b"{}")
    board.vanish()
    assert wait_for(lambda: "database unavailable; trying again" in log.read_text(), 20)
    subscriber.send_signal(signal.SIGTERM)
    assert subscriber.wait(timeout=15) == 0
    assert "statuses (wills among them) not recorded" in log.read_text()


def test_runmqtt_without_a_broker_says_what_to_set(test_database_url):
    from conftest import project_env, run_manage

    result = run_manage(project_env(test_database_url), "runmqtt")
    assert result.returncode != 0
    assert "MQTT_URL is not set" in result.stderr
