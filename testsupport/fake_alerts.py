"""Fake air-raid alert services on 127.0.0.1, for tests and trying things out: alerts.in.ua
and ukrainealarm, each in its documented shape (DESIGN.md), each checking its key the way
the real one does (401 for a wrong one) and refusing more than its rate with 429. They fail
as a real service does when told: an HTTP error, an answer slower than any timeout, a body
that is not the documented shape.

    with FakeAlertsInUa() as in_ua, FakeUkrainealarm() as ukrainealarm:
        in_ua.set("31", "A")
        ukrainealarm.set("31", active=True)
        in_ua.fail_next(status=429, retry_after=30)
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from email.message import Message
from typing import Any

from testsupport.loopback import LoopbackServer

JSON = {"Content-Type": "application/json"}


class _FakeService:
    key = "test-key"

    def __init__(self, per_minute: int = 1000) -> None:
        self.per_minute = per_minute  # more requests than this in a minute get 429, as the real limit
        self.requests: list[str] = []
        self._recent: deque[float] = deque()
        self._failures: list[tuple[int, float, bytes | None, int | None]] = []
        self._lock = threading.Lock()

    def __enter__(self) -> _FakeService:
        self._server = LoopbackServer(self._answer)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.stop()

    @property
    def url(self) -> str:
        return self._server.url

    def fail_next(
        self,
        times: int = 1,
        *,
        status: int = 500,
        hang: float = 0.0,
        body: bytes | None = None,
        retry_after: int | None = None,
    ) -> None:
        """The next requests fail: with an HTTP status (a 429 with `retry_after`, if given), by
        hanging `hang` seconds (a timeout), or with `body` as a 200 answer (garbage)."""
        with self._lock:
            self._failures += [(status, hang, body, retry_after)] * times

    def _answer(self, method: str, path: str, headers: Message, body: bytes) -> tuple[int, dict[str, str], bytes]:
        with self._lock:
            self.requests.append(path)
            failure = self._failures.pop(0) if self._failures else None
            now = time.time()  # the test's clock, when it moves it
            while self._recent and now - self._recent[0] >= 60:
                self._recent.popleft()
            self._recent.append(now)
            over_limit = len(self._recent) > self.per_minute
        if failure is not None:
            status, hang, garbage, retry_after = failure
            if hang:
                time.sleep(hang)
            if garbage is not None:
                return 200, JSON, garbage
            extra = {"Retry-After": str(retry_after)} if retry_after is not None else {}
            return status, {**JSON, **extra}, json.dumps({"message": "failure"}).encode()
        if not self._authorised(headers.get("Authorization", "")):
            return 401, JSON, json.dumps({"message": "API token required"}).encode()
        if over_limit:
            return 429, JSON, json.dumps({"message": "Too many requests"}).encode()
        return self._serve(path)

    def _authorised(self, authorization: str) -> bool:
        raise NotImplementedError

    def _serve(self, path: str) -> tuple[int, dict[str, str], bytes]:
        raise NotImplementedError


class FakeAlertsInUa(_FakeService):
    """`GET /iot/active_air_raid_alerts/{uid}.json` with `Authorization: Bearer KEY` -> "A", "P" or "N"."""

    def __init__(self, per_minute: int = 1000) -> None:
        super().__init__(per_minute)
        self.states: dict[str, str] = {}

    def set(self, uid: str, state: str) -> None:
        with self._lock:
            self.states[uid] = state

    def _authorised(self, authorization: str) -> bool:
        return authorization == f"Bearer {self.key}"

    def _serve(self, path: str) -> tuple[int, dict[str, str], bytes]:
        prefix, suffix = "/iot/active_air_raid_alerts/", ".json"
        uid = path[len(prefix) : -len(suffix)] if path.startswith(prefix) and path.endswith(suffix) else ""
        if not uid.isdigit():
            return 404, JSON, b'{"message": "Not found"}'
        with self._lock:
            return 200, JSON, json.dumps(self.states.get(uid, "N")).encode()


class FakeUkrainealarm(_FakeService):
    """`GET /alerts/{regionId}` with `Authorization: KEY` -> a list of regions with activeAlerts."""

    def __init__(self, per_minute: int = 1000) -> None:
        super().__init__(per_minute)
        self.active: dict[str, bool] = {}

    def set(self, region_id: str, *, active: bool) -> None:
        with self._lock:
            self.active[region_id] = active

    def _authorised(self, authorization: str) -> bool:
        return authorization == self.key

    def _serve(self, path: str) -> tuple[int, dict[str, str], bytes]:
        region_id = path.removeprefix("/alerts/")
        if not path.startswith("/alerts/") or not region_id.isdigit():
            return 404, JSON, b'{"message": "Not found"}'
        with self._lock:
            active = self.active.get(region_id, False)
        alerts: list[dict[str, Any]] = (
            [
                {"regionId": region_id, "regionType": "State", "type": "AIR", "lastUpdate": "2026-12-03T12:05:00Z"},
            ]
            if active
            else []
        )
        region = {
            "regionId": region_id,
            "regionType": "State",
            "regionName": "м. Київ",
            "regionEngName": "Kyiv",
            "lastUpdate": "2026-12-03T12:05:00Z",
            "activeAlerts": alerts,
        }
        return 200, JSON, json.dumps([region]).encode()
