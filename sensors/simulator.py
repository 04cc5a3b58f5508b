"""Virtual sensors for demos and trials: the firmware's raw HTTP, on a schedule, with outages.

Each virtual board posts the documented heartbeat over a fresh plain TCP connection,
byte for byte as the ESP32 firmware does (HTTP/1.1, `Connection: close`, a stray CRLF
after the body), every `interval` seconds give or take `jitter`. A scripted outage
silences every board of one section for a while, as a cut mains line would.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

CONNECT_TIMEOUT_SEC = 5
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)([sm]?)$")
_OUTAGE = re.compile(r"^(\d+):(\d+)@([^+]+)\+(.+)$")


@dataclass(frozen=True)
class VirtualSensor:
    uuid: str
    building_id: int
    section: int


@dataclass(frozen=True)
class Outage:
    """Every board of (building_id, section) is silent from `start` to `start + length` seconds."""

    building_id: int
    section: int
    start: float
    length: float

    def covers(self, sensor: VirtualSensor, elapsed: float) -> bool:
        return (sensor.building_id, sensor.section) == (
            self.building_id,
            self.section,
        ) and self.start <= elapsed < self.start + self.length

    def __str__(self) -> str:
        return f"building {self.building_id} section {self.section}"


def parse_duration(text: str) -> float:
    """Seconds from `90s`, `2m` or a plain number of minutes."""
    match = _DURATION.match(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not a duration (e.g. 90s, 2m, or 2 for two minutes)")
    number, unit = float(match[1]), match[2]
    return number if unit == "s" else number * 60


def parse_outage(text: str) -> Outage:
    """`B:S@START+LENGTH`: building B's section S loses power START after the simulator starts, for LENGTH."""
    match = _OUTAGE.match(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not an outage: use BUILDING:SECTION@START+LENGTH, e.g. 1:2@1m+3m")
    length = parse_duration(match[4])
    if length <= 0:
        raise ValueError(f"{text!r}: the outage must last longer than 0")
    return Outage(int(match[1]), int(match[2]), parse_duration(match[3]), length)


def fleet(sections: Iterable[tuple[int, int]], per_section: int) -> list[VirtualSensor]:
    return [
        VirtualSensor(f"sim-b{building}-s{section}-{n}", building, section)
        for building, section in sections
        for n in range(1, per_section + 1)
    ]


def firmware_request(host: str, port: int, payload: dict[str, Any]) -> bytes:
    """The heartbeat exactly as the field firmware writes it to the socket (compact JSON, as
    the reference firmware's heartbeat_body() writes it)."""
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    head = (
        f"POST /api/v1/heartbeat HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    return head + body + b"\r\n"


async def post(host: str, port: int, request: bytes) -> tuple[int, bytes]:
    """Send one request on a new connection; the status code and the body of the answer."""
    reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), CONNECT_TIMEOUT_SEC)
    try:
        writer.write(request)
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), CONNECT_TIMEOUT_SEC)  # the server closes: Connection: close
    finally:
        writer.close()
    status_line, _, rest = answer.partition(b"\r\n")
    parts = status_line.split()
    if len(parts) < 2 or not parts[1].isdigit():
        raise ConnectionError(f"not an HTTP answer: {status_line[:60]!r}")
    return int(parts[1]), rest.partition(b"\r\n\r\n")[2]


@dataclass
class Simulation:
    sensors: list[VirtualSensor]
    outages: list[Outage]
    url: str
    api_key: str
    interval: float = 10.0
    jitter: float = 2.0
    duration: float = 0.0  # 0: until stopped
    report_every: float = 30.0
    say: Callable[[str], None] = print

    def __post_init__(self) -> None:
        parts = urlsplit(self.url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"{self.url!r}: the firmware speaks plain HTTP; give a URL such as http://127.0.0.1:8000")
        self.host, self.port = parts.hostname, parts.port or 80
        self.results: Counter[str] = Counter()
        self.started = time.monotonic()
        self.stopping = asyncio.Event()

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    async def run(self) -> Counter[str]:
        self.started = time.monotonic()
        self.say(
            f"simulating {len(self.sensors)} sensors against {self.url}, every {self.interval:g} s "
            f"(± {self.jitter:g} s); Ctrl-C stops"
        )
        tasks = [asyncio.create_task(self._board(sensor)) for sensor in self.sensors]
        tasks += [asyncio.create_task(self._outage(outage)) for outage in self.outages]
        tasks.append(asyncio.create_task(self._progress()))
        try:
            if self.duration:
                await asyncio.wait_for(self.stopping.wait(), self.duration)
            else:
                await self.stopping.wait()
        except TimeoutError:
            pass
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        self.say(f"stopped after {self.elapsed():.0f} s: {self._summary()}")
        return self.results

    def stop(self) -> None:
        self.stopping.set()

    async def _board(self, sensor: VirtualSensor) -> None:
        await asyncio.sleep(random.uniform(0, min(self.interval, 2.0)))  # boards do not boot in step
        while True:
            if not any(outage.covers(sensor, self.elapsed()) for outage in self.outages):
                await self._beat(sensor)
            await asyncio.sleep(max(0.1, self.interval + random.uniform(-self.jitter, self.jitter)))

    async def _beat(self, sensor: VirtualSensor) -> None:
        payload = {
            "api_key": self.api_key,
            "building_id": sensor.building_id,
            "section_id": sensor.section,
            "sensor_uuid": sensor.uuid,
            "name": f"Simulated {sensor.uuid}",
            "firmware_version": "simulator",
        }
        try:
            status, body = await post(self.host, self.port, firmware_request(self.host, self.port, payload))
        except (OSError, TimeoutError, ConnectionError) as exc:
            self.results["unreachable"] += 1
            if self.results["unreachable"] == 1:
                self.say(
                    f"cannot reach {self.url} ({exc or type(exc).__name__}); the boards keep trying, as firmware does"
                )
            return
        if status == 200:
            self.results["accepted"] += 1
            return
        self.results[f"rejected {status}"] += 1
        if self.results[f"rejected {status}"] == 1:
            self.say(f"{sensor.uuid}: the server answered {status} {body.decode(errors='replace')[:200]}")

    async def _outage(self, outage: Outage) -> None:
        await asyncio.sleep(max(0.0, outage.start - self.elapsed()))
        self.say(f"outage: {outage} loses power for {outage.length:g} s")
        await asyncio.sleep(outage.length)
        self.say(f"power back: {outage}")

    async def _progress(self) -> None:
        while True:
            await asyncio.sleep(self.report_every)
            self.say(f"t+{self.elapsed():.0f} s: {self._summary()}")

    def _summary(self) -> str:
        return ", ".join(f"{count} {result}" for result, count in sorted(self.results.items())) or "nothing sent yet"
