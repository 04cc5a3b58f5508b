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
from typing import Any

from testsupport.loopback import JSON, FakeService


class FakeAlertsInUa(FakeService):
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


class FakeUkrainealarm(FakeService):
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
