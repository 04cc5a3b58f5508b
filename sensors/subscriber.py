"""The MQTT subscriber behind `manage.py runmqtt`.

paho's network thread keeps the connection (keep-alive, reconnects with back-off) and only
queues what arrives; this process's main thread does the database work, so a slow or
restarting database never costs the connection, and a will that meets a database error is
kept and tried again. Wills are acted on MQTT_WILL_SETTLE_SEC after they came: the
subscriber runs the detector then itself, so nobody waits for the next periodic tick.

Our own link dropping is handled ahead of whatever is queued: a broker that stops fires
every board's will just before, and those wills must be taken back before any detector
acts on them, however long the queue (sensors.mqtt.link_lost).
"""

from __future__ import annotations

import logging
import os
import queue
import socket
import ssl
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import paho.mqtt.client as mqtt
from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.reasoncodes import ReasonCode

from powerbot import counters
from powerbot.config import BrokerURL
from powerbot.db import with_fresh_connection
from sensors import mqtt as messages
from sensors.tasks import detect_offline_sensors

logger = logging.getLogger(__name__)

KEEPALIVE_SEC = 30
RECONNECT_DELAY_SEC = (1, 60)  # paho doubles the delay from the first up to the second
# Wills that came this long before our own connection dropped are taken back (link_lost).
WITHDRAW_WINDOW_SEC = 2.0
# Messages waiting while the database is away; past that, heartbeats are dropped (counted):
# the boards send another every 10 s. Statuses are tiny, and may wait in twice that number.
INBOX_MAX = 100_000
STATUS_MAX_BYTES = 64
RETRY_AFTER_SEC = 1.0
# On a stop, what is left is handled within this (honcho kills after 5 s, Docker after 10):
# statuses only; the boards send more heartbeats.
DRAIN_SEC = 3.0


@dataclass(frozen=True)
class Received:
    topic: str
    payload: bytes
    retained: bool
    at: datetime


class Subscriber:
    def __init__(self, broker: BrokerURL, group: str) -> None:
        self.broker = broker
        self.group = group
        self.inbox: queue.Queue[Received] = queue.Queue()
        self.retry: deque[Received] = deque()
        # When our link dropped: queued by the network thread, handled before any message.
        self.link_drops: queue.SimpleQueue[datetime] = queue.SimpleQueue()
        self.unwithdrawn: deque[datetime] = deque()  # drops whose wills are yet to be taken back
        self.dropped_at: deque[datetime] = deque(maxlen=100)  # every drop seen lately
        self.detect_at: float | None = None  # monotonic time of the next detector run for wills
        self.stopping = threading.Event()
        client_id = f"powerbot-{socket.gethostname()}-{os.getpid()}"[:64]
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=True)
        if broker.username is not None:
            self.client.username_pw_set(broker.username, broker.password)
        if broker.tls:
            self.client.tls_set(cert_reqs=ssl.CERT_REQUIRED)
        self.client.reconnect_delay_set(*RECONNECT_DELAY_SEC)
        self.client.on_connect = self._connected
        self.client.on_connect_fail = self._unreachable
        self.client.on_disconnect = self._disconnected
        self.client.on_message = self._message

    def run(self) -> None:
        """Until stop(): keep the connection, and handle what comes."""
        logger.info("mqtt: subscribing at %s as group %s", self.broker, self.group)
        self.client.connect_async(self.broker.host, self.broker.port, keepalive=KEEPALIVE_SEC)
        self.client.loop_start()  # connects, and reconnects, for ever
        try:
            while not self.stopping.is_set():
                self._step()
        finally:
            self.client.disconnect()
            self.client.loop_stop()
            self._drain()
            counters.flush(force=True)
            logger.info("mqtt: stopped")

    def stop(self) -> None:
        self.stopping.set()

    # paho's network thread: queue, nothing else.

    def _connected(self, client: mqtt.Client, userdata: Any, flags: Any, reason: ReasonCode, props: Any) -> None:
        if reason.is_failure:
            logger.error("mqtt: the broker refused us: %s", reason)
            return
        logger.info("mqtt: connected to %s", self.broker)
        client.subscribe([(topic, 1) for topic in messages.subscriptions(self.group)])

    def _unreachable(self, client: mqtt.Client, userdata: Any) -> None:
        logger.warning("mqtt: cannot reach the broker at %s; trying again", self.broker)

    def _disconnected(self, client: mqtt.Client, userdata: Any, flags: Any, reason: ReasonCode, props: Any) -> None:
        if not self.stopping.is_set():
            logger.warning("mqtt: connection lost (%s); reconnecting", reason)
            self.link_drops.put(timezone.now())

    def _message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        status = messages.is_status(message.topic)
        # Here, before it takes memory: what no check could accept.
        if len(message.payload) > (STATUS_MAX_BYTES if status else settings.HEARTBEAT_MAX_BODY_BYTES):
            counters.count("mqtt_rejected", "too_large")
            return
        if self.inbox.qsize() >= (2 * INBOX_MAX if status else INBOX_MAX):
            counters.count("mqtt_rejected", "overloaded")
            return
        self.inbox.put(Received(message.topic, message.payload, bool(message.retain), timezone.now()))

    # The main thread: the database.

    def _step(self) -> None:
        if not self._link_drops_handled():
            self.stopping.wait(RETRY_AFTER_SEC)
            return
        item = self.retry.popleft() if self.retry else self._next(timeout=self._wait())
        if item is not None and not self._handled(item):
            self.retry.appendleft(item)
            self.stopping.wait(RETRY_AFTER_SEC)
        if self.detect_at is not None and time.monotonic() >= self.detect_at:
            if self._detected():
                self.detect_at = None
            else:
                self.detect_at = time.monotonic() + RETRY_AFTER_SEC
        counters.flush()

    def _link_drops_handled(self) -> bool:
        """Take back the wills already taken of each drop of our link; False if the database failed."""
        while True:
            try:
                self.unwithdrawn.append(self.link_drops.get_nowait())
            except queue.Empty:
                break
            self.dropped_at.append(self.unwithdrawn[-1])
        while self.unwithdrawn:
            try:
                with_fresh_connection(messages.link_lost, self.unwithdrawn[0], WITHDRAW_WINDOW_SEC)
            except DatabaseError:
                connection.close()
                logger.warning("mqtt: database unavailable; trying again", exc_info=True)
                return False
            self.unwithdrawn.popleft()
        return True

    def _next(self, timeout: float) -> Received | None:
        try:
            return self.inbox.get(timeout=timeout)
        except queue.Empty:
            return None

    def _wait(self) -> float:
        if self.detect_at is None:
            return 1.0
        return min(1.0, max(0.0, self.detect_at - time.monotonic()))

    def _handled(self, item: Received) -> bool:
        """Whether `item` is done with; False when the database failed and a will must be tried again."""
        try:
            if with_fresh_connection(self._receive, item):
                settle = settings.MQTT_WILL_SETTLE_SEC + 0.1
                due = time.monotonic() + settle - (timezone.now() - item.at).total_seconds()
                self.detect_at = min(self.detect_at or due, due)
        except DatabaseError:
            connection.close()
            if not messages.is_status(item.topic):
                counters.count("mqtt_rejected", "database")
                logger.warning("mqtt: database unavailable; a heartbeat was dropped", exc_info=True)
                return True  # the board sends another in 10 s
            logger.warning("mqtt: database unavailable; trying again", exc_info=True)
            return False
        return True

    def _receive(self, item: Received) -> bool:
        window = timedelta(seconds=WITHDRAW_WINDOW_SEC)
        lost = any(item.at <= dropped <= item.at + window for dropped in self.dropped_at)
        return messages.receive(item.topic, item.payload, retained=item.retained, now=item.at, link_lost_after=lost)

    @staticmethod
    def _detected() -> bool:
        try:
            with_fresh_connection(detect_offline_sensors)
        except DatabaseError:
            connection.close()
            logger.warning("mqtt: could not run the detector for wills; trying again", exc_info=True)
            return False
        return True

    def _drain(self) -> None:
        """The statuses that came before the stop, wills above all, tried again within DRAIN_SEC."""
        pending = [item for item in [*self.retry, *self._queued()] if messages.is_status(item.topic)]
        deadline = time.monotonic() + DRAIN_SEC
        while pending and time.monotonic() < deadline:
            if self._link_drops_handled() and self._handled(pending[0]):
                pending.pop(0)
            else:
                time.sleep(RETRY_AFTER_SEC / 2)
        if pending:
            logger.error(
                "mqtt: stopping with %d statuses (wills among them) not recorded: the database failed", len(pending)
            )

    def _queued(self) -> list[Received]:
        items = []
        while True:
            try:
                items.append(self.inbox.get_nowait())
            except queue.Empty:
                return items
