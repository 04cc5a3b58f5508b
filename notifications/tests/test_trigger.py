"""The announcement trigger: a broker that is down loses no power change."""

from __future__ import annotations

from datetime import timedelta

import pytest

from buildings.models import Section
from notifications import outbox
from notifications.models import Message, Subscriber, Subscription
from sensors.tests.history import recorded


class CountingListener:
    """A "broker" that takes each connection and closes it at once: what a Redis restarting
    or a proxy with no backend does. Counts the connections. With `hold`, it keeps each one
    open and never answers: a Redis paused, or cut off by the network, without a goodbye."""

    def __init__(self, hold: bool = False) -> None:
        import socket
        import threading

        self.connections = 0
        self.hold = hold
        self._held: list[socket.socket] = []
        self._socket = socket.create_server(("127.0.0.1", 0))
        self.port = self._socket.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self._socket.accept()
            except OSError:
                return  # closed
            self.connections += 1
            if self.hold:
                self._held.append(connection)
            else:
                connection.close()

    def close(self) -> None:
        self._socket.close()
        for connection in self._held:
            connection.close()


@pytest.mark.django_db(transaction=True)
def test_a_broker_that_is_down_is_tried_once_for_a_tick_of_many_changes(make_building, make_sensor, beat):
    # The real clock throughout: kombu times its connection attempts by it.
    from django.utils import timezone

    from conftest import publishing_to
    from notifications.tasks import announce
    from powerbot import queueing
    from sensors.models import PowerEvent, Sensor
    from sensors.power import detect_offline

    detect_offline()  # the detector has been running
    for building in range(10, 16):
        make_building(id=building, name=f"House {building}", sections=1)
        make_sensor(f"s{building}", building=building)
        beat(f"s{building}", building=building)
    broker = CountingListener()
    try:
        with publishing_to(f"redis://127.0.0.1:{broker.port}/0"):  # with Celery's publish retries on
            queueing.after_commit(announce, 0)  # what one failed publish costs
            one_publish = broker.connections
            queueing.forget_failure()
            Sensor.objects.update(offline_after=timezone.now() - timedelta(seconds=1))  # all fell silent
            detect_offline()  # one tick takes six sections down, each change to be announced
            assert PowerEvent.objects.filter(state="down").count() == 6
            assert broker.connections == 2 * one_publish  # tried for the first change only
    finally:
        broker.close()
    assert outbox.announce_missed(since=timedelta(hours=1)) == 6  # the sweep queues all six


@pytest.mark.django_db(transaction=True)
def test_a_broker_down_fails_no_heartbeat_and_the_sweep_announces(
    make_building, make_sensor, beat, elapse, broker_down, caplog
):
    make_building(sections=2)
    make_sensor("a", section=1)
    beat("a", section=1)
    Subscription.objects.create(
        subscriber=Subscriber.objects.create(chat_id=7), section=Section.objects.get(building_id=10, number=1)
    )
    elapse(200)
    assert recorded(10, 1) == "down"

    response = beat("a", section=1)  # power back, and the announcement cannot be queued

    assert response.status_code == 200
    assert recorded(10, 1) == "up"
    assert "left to the sweep" in caplog.text  # logged, not raised
    # Neither the outage nor the return was queued; the sweep finds both.
    assert outbox.announce_missed(since=timedelta(hours=1)) == 2
    assert Message.objects.filter(subscriber__chat_id=7, event__state="up").count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_broker_that_stops_answering_holds_no_heartbeat_and_no_readiness_check(
    make_building, make_sensor, beat, client
):
    """Without socket timeouts on the broker, the heartbeat that brought power back waited for
    the publish of its notice for good (gunicorn killed it after 30 s: a 500 to the board), and
    so did /api/v1/ready."""
    import threading

    from django.db import connection
    from django.utils import timezone

    from conftest import publishing_to
    from sensors.models import Sensor
    from sensors.power import detect_offline

    detect_offline()  # the detector has been running
    make_building(sections=1)
    make_sensor("a", section=1)
    beat("a")
    Sensor.objects.update(offline_after=timezone.now() - timedelta(seconds=1))
    detect_offline()  # the board fell silent: power off
    answers: dict[str, int] = {}

    def power_back_then_readiness() -> None:
        answers["heartbeat"] = beat("a").status_code  # power back: its notice is to be published
        answers["ready"] = client.get("/api/v1/ready").status_code
        connection.close()

    broker = CountingListener(hold=True)
    try:
        with publishing_to(f"redis://127.0.0.1:{broker.port}/0"):
            asking = threading.Thread(target=power_back_then_readiness, daemon=True)
            asking.start()
            asking.join(90)  # without the timeouts, never
    finally:
        broker.close()
    assert broker.connections >= 1  # the broker was asked, and said nothing
    assert answers == {"heartbeat": 200, "ready": 503}
    assert recorded(10, 1) == "up"
    assert outbox.announce_missed(since=timedelta(hours=1)) >= 1  # the sweep queues the notice
