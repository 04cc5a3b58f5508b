"""The MQTT subscriber behind `manage.py runmqtt`.

paho's network thread keeps the connection (keep-alive, reconnects with back-off) and only
queues what arrives; this process's main thread does the database work, so a slow or
restarting database never costs the connection, and a will that meets a database error is
kept and tried again. Wills are acted on MQTT_WILL_SETTLE_SEC after they came: the
subscriber runs the detector then itself, so nobody waits for the next periodic tick.
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
from datetime import datetime
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
# the boards send another every 10 s. Wills are kept whatever.
INBOX_MAX = 100_000
RETRY_AFTER_SEC = 1.0


@dataclass(frozen=True)
class Received:
    topic: str
    payload: bytes
    retained: bool
    at: datetime


@dataclass(frozen=True)
class LinkLost:
    at: datetime


class Subscriber:
    def __init__(self, broker: BrokerURL, group: str) -> None:
        self.broker = broker
        self.group = group
        self.inbox: queue.Queue[Received | LinkLost] = queue.Queue()
        self.retry: deque[Received | LinkLost] = deque()
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

    def _disconnected(self, client: mqtt.Client, userdata: Any, flags: Any, reason: ReasonCode, props: Any) -> None:
        if not self.stopping.is_set():
            logger.warning("mqtt: connection lost (%s); reconnecting", reason)
            self.inbox.put(LinkLost(timezone.now()))

    def _message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        if self.inbox.qsize() >= INBOX_MAX and not message.topic.endswith("/" + messages.STATUS):
            counters.count("mqtt_rejected", "overloaded")
            return
        self.inbox.put(Received(message.topic, message.payload, bool(message.retain), timezone.now()))

    # The main thread: the database.

    def _step(self) -> None:
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

    def _next(self, timeout: float) -> Received | LinkLost | None:
        try:
            return self.inbox.get(timeout=timeout)
        except queue.Empty:
            return None

    def _wait(self) -> float:
        if self.detect_at is None:
            return 1.0
        return min(1.0, max(0.0, self.detect_at - time.monotonic()))

    def _handled(self, item: Received | LinkLost) -> bool:
        """Whether `item` is done with; False when the database failed and a will must be tried again."""
        try:
            if isinstance(item, LinkLost):
                with_fresh_connection(messages.link_lost, item.at, WITHDRAW_WINDOW_SEC)
            elif with_fresh_connection(self._receive, item):
                settle = settings.MQTT_WILL_SETTLE_SEC + 0.1
                due = time.monotonic() + settle - (timezone.now() - item.at).total_seconds()
                self.detect_at = min(self.detect_at or due, due)
        except DatabaseError:
            connection.close()
            if isinstance(item, Received) and item.topic.endswith("/" + messages.HEARTBEAT):
                counters.count("mqtt_rejected", "database")
                logger.warning("mqtt: database unavailable; a heartbeat was dropped", exc_info=True)
                return True  # the board sends another in 10 s
            logger.warning("mqtt: database unavailable; trying again", exc_info=True)
            return False
        return True

    @staticmethod
    def _receive(item: Received) -> bool:
        return messages.receive(item.topic, item.payload, retained=item.retained, now=item.at)

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
        """What came before the stop, handled once (no retries: the next start sees the rest)."""
        while self.retry or not self.inbox.empty():
            item = self.retry.popleft() if self.retry else self.inbox.get_nowait()
            self._handled(item)
