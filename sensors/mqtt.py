"""What the messages of boards that keep an MQTT connection mean (DESIGN.md, "MQTT").

`powerbot/<uuid>/heartbeat` carries the HTTP heartbeat's JSON body, and goes through the same
checks, key and mapping rules (sensors.heartbeat). `powerbot/<uuid>/status` is retained:
`online` while the board is connected, `offline` once the broker published its last will,
which it does when the connection dies without a goodbye (a clean DISCONNECT leaves no will).
"""

from __future__ import annotations

import io
import logging
from datetime import datetime, timedelta

from rest_framework.exceptions import APIException

from powerbot import counters
from powerbot.api import JSONObjectParser, PayloadTooLarge
from powerbot.logs import log_event
from sensors.heartbeat import HeartbeatRejected, clean_sensor_uuid, record_heartbeat, record_presence
from sensors.models import Transport, WriteKey, uuid_key
from sensors.power import will_fired, wills_withdrawn

logger = logging.getLogger(__name__)

TOPIC_ROOT = "powerbot"
HEARTBEAT, STATUS = "heartbeat", "status"
ONLINE, OFFLINE = b"online", b"offline"
# What became of wills, for the metrics: taken (the sensor falls due), ignored (unknown,
# already offline, or heard just now), stale (a retained one, from before we subscribed),
# withdrawn (fired as the broker went down, see wills_withdrawn).
WILL_RESULTS = ("taken", "ignored", "stale", "withdrawn")
MESSAGE_KINDS = (HEARTBEAT, STATUS)


class MessageRejected(Exception):
    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def is_status(topic: str) -> bool:
    """Whether `topic` is a board's status (its `online` or its will), not a heartbeat."""
    return topic.endswith("/" + STATUS)


def subscriptions(group: str) -> list[str]:
    """The topics to subscribe, shared: subscribers of one group split the messages."""
    return [f"$share/{group}/{TOPIC_ROOT}/+/{kind}" for kind in MESSAGE_KINDS]


def receive(topic: str, payload: bytes, *, retained: bool, now: datetime, link_lost_after: bool = False) -> bool:
    """Act on one message that came at `now`, count it, and log and count a rejection; whether
    it was a will taken (its sensor falls due MQTT_WILL_SETTLE_SEC from `now`). With
    `link_lost_after`, our own link to the broker dropped just after it came: a will is then
    taken back at once (see link_lost). Never raises for a bad message; a database error goes
    to the caller, who may try again."""
    try:
        uuid, kind = _parse_topic(topic)
        counters.count("mqtt_messages", kind)
        if kind == HEARTBEAT:
            _heartbeat(uuid, payload)
            return False
        return _status(uuid, payload, retained=retained, now=now, link_lost_after=link_lost_after)
    except MessageRejected as rejected:
        counters.count("mqtt_rejected", rejected.reason)
        log_event(
            logger,
            "mqtt_rejected",
            logging.WARNING,
            reason=rejected.reason,
            error=rejected.message,
            topic=topic[:200],
        )
        return False


def link_lost(at: datetime, window_sec: float) -> int:
    """Our connection to the broker dropped at `at`: a broker that stops fires every board's
    will first, so the wills of the last moments before are taken back."""
    withdrawn = wills_withdrawn(since=at - timedelta(seconds=window_sec))
    if withdrawn:
        counters.count("mqtt_wills", "withdrawn", withdrawn)
        logger.warning(
            "mqtt: %d wills came just before our own connection dropped (the broker stopping?): "
            "taken back, their timeouts decide",
            withdrawn,
        )
    return withdrawn


def _parse_topic(topic: str) -> tuple[str, str]:
    parts = topic.split("/")
    uuid = clean_sensor_uuid(parts[1]) if len(parts) == 3 else None
    if uuid is None or parts[0] != TOPIC_ROOT or parts[2] not in MESSAGE_KINDS:
        raise MessageRejected("bad_topic", "topic must be powerbot/<sensor_uuid>/heartbeat or .../status")
    return uuid, parts[2]


def _heartbeat(uuid: str, payload: bytes) -> None:
    try:
        body = JSONObjectParser().parse(io.BytesIO(payload))
    except PayloadTooLarge as error:
        raise MessageRejected("too_large", str(error.detail)) from None
    except APIException:
        raise MessageRejected("invalid_json", "Invalid JSON") from None
    sent = body.setdefault("sensor_uuid", uuid)
    if isinstance(sent, str) and uuid_key(sent.strip()) != uuid_key(uuid):
        raise MessageRejected("topic_mismatch", "sensor_uuid differs from the topic's")
    key = WriteKey.for_sensor(body.get("api_key"), sent)
    if key is None:
        raise MessageRejected("invalid_key", "Invalid API key")
    try:
        record_heartbeat(body, ip=None, bound=bool(key.sensor_uuid), transport=Transport.MQTT)
    except HeartbeatRejected as rejected:
        raise MessageRejected(rejected.reason, rejected.message) from None


def _status(uuid: str, payload: bytes, *, retained: bool, now: datetime, link_lost_after: bool) -> bool:
    status = payload.strip().lower()
    if status == ONLINE:
        # A retained one may be left from a board that said goodbye and never came back.
        record_presence(uuid, revive=not retained)
    elif status == OFFLINE and retained:
        # Published before we subscribed, when we cannot tell: the heartbeats' timeout decides.
        counters.count("mqtt_wills", "stale")
    elif status == OFFLINE and link_lost_after:
        counters.count("mqtt_wills", "withdrawn")
    elif status == OFFLINE:
        taken = will_fired(uuid, now)
        counters.count("mqtt_wills", "taken" if taken else "ignored")
        return taken
    elif status:  # an empty retained message clears the topic: nothing to do
        raise MessageRejected("bad_status", "status must be online or offline")
    return False
