"""A fake Yasno schedule API on 127.0.0.1, for tests, benchmarks and trying things out.

It serves the documented shapes (DESIGN.md): planned outages by group for its region and
DSO, with "today" and "tomorrow" from a date it is told (so the day rolls over when a test
says), and the street -> house -> group address look-up. It fails as a real service does:
an HTTP error, an answer slower than any timeout, a body that is not JSON, a day with a
status nobody documented.

    with FakeYasno() as yasno:
        settings.YASNO_API_URL = yasno.url
        yasno.set_day("3.1", date(2026, 12, 3), off=[(18 * 60, 22 * 60)])
        yasno.fail_next(status=500)
"""

from __future__ import annotations

import gzip
import json
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from email.message import Message
from typing import Any
from urllib.parse import parse_qs, urlsplit

from testsupport.loopback import LoopbackServer

REGION, DSO = 25, 902
JSON = {"Content-Type": "application/json"}
API_STATUS = {"applies": "ScheduleApplies", "none": "NoShutdowns", "emergency": "EmergencyShutdowns"}


@dataclass
class FakeYasno:
    today: date = field(default_factory=date.today)
    region: int = REGION
    dso: int = DSO
    days: dict[tuple[str, date], dict[str, Any]] = field(default_factory=dict)
    streets: dict[str, int] = field(default_factory=dict)  # query -> street id
    houses: dict[tuple[int, str], int] = field(default_factory=dict)  # (street id, number) -> house id
    house_groups: dict[int, tuple[int, int]] = field(default_factory=dict)  # house id -> (group, subgroup)
    requests: list[str] = field(default_factory=list)
    compress: bool = False  # gzip the answers, as a CDN in front of the real one does
    _failures: list[tuple[str, Any]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _closed: bool = False

    def __enter__(self) -> FakeYasno:
        self._server = LoopbackServer(self._answer)
        return self

    def __exit__(self, *exc: object) -> None:
        self._closed = True  # an answer being trickled ends now
        self._server.stop()

    @property
    def url(self) -> str:
        return self._server.url

    # --- What the test scripts ---------------------------------------------------------

    def set_day(self, group: str, day: date, off: Sequence[tuple[int, int]] = (), status: str | None = None) -> None:
        """A group's day: planned-off slots in minutes from midnight; the status is
        ScheduleApplies with slots, NoShutdowns without, or any text (e.g. an unknown one)."""
        raw = status or ("applies" if off else "none")
        slots = [{"start": start, "end": end, "type": "Definite"} for start, end in off]
        with self._lock:
            self.days[(group, day)] = {
                "date": f"{day.isoformat()}T00:00:00+02:00",
                "status": API_STATUS.get(raw, raw),
                "slots": slots,
            }

    def roll_over(self) -> None:
        """Midnight: tomorrow becomes today, and the new tomorrow has no data yet."""
        self.today += timedelta(days=1)

    def add_address(self, street: str, house: str, group: int, subgroup: int) -> None:
        with self._lock:
            street_id = self.streets.setdefault(street.lower(), 100 + len(self.streets))
            house_id = 1000 + len(self.houses)
            self.houses[(street_id, house.lower())] = house_id
            self.house_groups[house_id] = (group, subgroup)

    def fail_next(
        self, times: int = 1, *, status: int = 500, hang: float = 0.0, body: bytes | None = None, trickle: float = 0.0
    ) -> None:
        """The next requests fail: with an HTTP status, by hanging `hang` seconds (a timeout),
        with `body` as a 200 answer (garbage), or by sending the real answer a byte every
        `trickle` seconds (each read is quick, the whole is not)."""
        with self._lock:
            self._failures += [("fail", (status, hang, body, trickle))] * times

    # --- The API -----------------------------------------------------------------------

    def _answer(self, method: str, path: str, headers: Message, body: bytes) -> tuple[int, dict[str, str], Any]:
        with self._lock:
            self.requests.append(path)
            failure = self._failures.pop(0) if self._failures else None
        if failure is not None:
            status, hang, garbage, trickle = failure[1]
            if hang:
                time.sleep(hang)
            if garbage is not None:
                return 200, JSON, garbage
            if trickle:
                whole = json.dumps(self._planned()).encode()
                return (
                    200,
                    JSON,
                    (self._after(trickle, whole[n : n + 1]) for n in range(len(whole)) if not self._closed),
                )
            return status, JSON, json.dumps({"error": "Internal Server Error"}).encode()
        url = urlsplit(path)
        query = {key: values[0] for key, values in parse_qs(url.query).items()}
        if url.path == f"/regions/{self.region}/dsos/{self.dso}/planned-outages":
            return self._json(self._planned())
        if url.path == "/addresses/v2/streets":
            found = [
                {"id": sid, "value": name}
                for name, sid in self.streets.items()
                if query.get("query", "").lower() in name
            ]
            return self._json(found)
        if url.path == "/addresses/v2/houses":
            street_id = int(query.get("streetId", 0))
            wanted = query.get("query", "").lower()
            found = [
                {"id": hid, "value": number}
                for (sid, number), hid in self.houses.items()
                if sid == street_id and number.startswith(wanted)
            ]
            return self._json(found)
        if url.path == "/addresses/v2/group":
            group = self.house_groups.get(int(query.get("houseId", 0)))
            return self._json({"group": group[0], "subgroup": group[1]} if group else {})
        return 404, JSON, b'{"error": "Not Found"}'

    @staticmethod
    def _after(seconds: float, chunk: bytes) -> bytes:
        time.sleep(seconds)
        return chunk

    def _planned(self) -> dict[str, Any]:
        with self._lock:
            groups = sorted({group for group, _ in self.days})
            answer = {}
            for group in groups:
                answer[group] = {
                    which: self.days.get(
                        (group, day),
                        {"date": f"{day.isoformat()}T00:00:00+02:00", "status": "WaitingForSchedule", "slots": []},
                    )
                    for which, day in (("today", self.today), ("tomorrow", self.today + timedelta(days=1)))
                }
            return answer

    def _json(self, payload: Any) -> tuple[int, dict[str, str], bytes]:
        body = json.dumps(payload).encode()
        if self.compress:
            return 200, {**JSON, "Content-Encoding": "gzip"}, gzip.compress(body)
        return 200, JSON, body
