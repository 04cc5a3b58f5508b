"""Boards that keep an MQTT connection, and brokers, for tests and benchmarks."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion


def reachable(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=2).close()
    except OSError:
        return False
    return True


class Board:
    """A board as the reference firmware's MQTT mode is: its will is `offline` on its status
    topic, it says `online` (retained) once connected, and a heartbeat is the HTTP body."""

    def __init__(self, port: int, uuid: str, *, keepalive: int = 5, host: str = "127.0.0.1") -> None:
        self.uuid, self.host, self.port = uuid, host, port
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=uuid)
        self.client.will_set(self.topic("status"), "offline", qos=1, retain=True)
        self.client.connect(host, port, keepalive=keepalive)
        self.client.loop_start()
        self.client.publish(self.topic("status"), "online", qos=1, retain=True).wait_for_publish(10)

    def topic(self, kind: str) -> str:
        return f"powerbot/{self.uuid}/{kind}"

    def heartbeat(self, body: dict[str, Any]) -> None:
        self.publish("heartbeat", json.dumps({"sensor_uuid": self.uuid} | body).encode())

    def publish(self, kind: str, payload: bytes, *, retain: bool = False) -> None:
        self.client.publish(self.topic(kind), payload, qos=1, retain=retain).wait_for_publish(10)

    def vanish(self) -> None:
        """The power dies: the connection ends without a DISCONNECT, so the broker fires the will."""
        self.client.loop_stop()
        sock = self.client.socket()
        if sock is not None:
            sock.close()

    def goodbye(self) -> None:
        """A clean DISCONNECT (a reboot into an update): the broker drops the will."""
        self.client.disconnect()
        self.client.loop_stop()

    def forget(self) -> None:
        """Clear the retained status this board left on the broker (on a connection of its own:
        the board's may be gone)."""
        cleaner = mqtt.Client(CallbackAPIVersion.VERSION2)
        cleaner.connect(self.host, self.port)
        cleaner.loop_start()
        cleaner.publish(self.topic("status"), b"", qos=1, retain=True).wait_for_publish(10)
        cleaner.disconnect()
        cleaner.loop_stop()


@dataclass
class OwnMosquitto:
    """A Mosquitto of a test's own, on the free `port` it is given, that it may stop and start again."""

    folder: Path
    port: int
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @staticmethod
    def binary() -> str | None:
        return shutil.which("mosquitto") or next(
            (path for path in ("/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto") if Path(path).exists()), None
        )

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> None:
        binary = self.binary()
        assert binary is not None, "mosquitto is not installed"
        config = self.folder / "mosquitto.conf"
        config.write_text(f"listener {self.port} 127.0.0.1\nallow_anonymous true\nmax_keepalive 65535\n")
        self.process = subprocess.Popen(
            [binary, "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 10
        while not reachable("127.0.0.1", self.port):
            assert time.monotonic() < deadline, "mosquitto did not start"
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
