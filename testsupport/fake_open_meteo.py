"""A fake Open-Meteo forecast endpoint on 127.0.0.1, for tests and trying things out: the
documented request (`?latitude&longitude&current=temperature_2m,weather_code&hourly=...&
forecast_hours&timezone`) and answer shape, a 400 with `{"error": true, "reason"}` for a bad
request, 429 beyond its rate, as the real one does, and failures on demand (an HTTP error,
a hang past any timeout, garbage).

    with FakeOpenMeteo() as meteo:
        meteo.set(50.4, 30.5, temperature=-2.4, code=3, hourly=[-3, -5, -7.2, -6])
        meteo.fail_next(status=503)
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

from testsupport.loopback import JSON, FakeService

# Where no weather is: nothing listens there, so a test's process never asks the real Open-Meteo.
NO_WEATHER = "http://127.0.0.1:9/v1/forecast"


class FakeOpenMeteo(FakeService):
    def __init__(self, per_minute: int = 600) -> None:
        super().__init__(per_minute)
        self.places: dict[tuple[float, float], tuple[float, int, list[float | None]]] = {}
        self.asked: list[tuple[float, float]] = []

    @property
    def url(self) -> str:
        return f"{super().url}/v1/forecast"

    def set(
        self, latitude: float, longitude: float, *, temperature: float, code: int, hourly: Sequence[float | None] = ()
    ) -> None:
        """The weather at a place; `hourly` are the forecast's temperatures from this hour on."""
        with self._lock:
            self.places[(round(latitude, 2), round(longitude, 2))] = (temperature, code, list(hourly))

    def _authorised(self, authorization: str) -> bool:
        return True  # Open-Meteo's free API has no key

    def _error(self, message: str) -> bytes:
        return json.dumps({"error": True, "reason": message}).encode()

    def _serve(self, path: str) -> tuple[int, dict[str, str], bytes]:
        url = urlsplit(path)
        if url.path != "/v1/forecast":
            return 404, JSON, self._error("Not Found")
        query = {name: values[-1] for name, values in parse_qs(url.query).items()}
        try:
            latitude, longitude = float(query["latitude"]), float(query["longitude"])
        except (KeyError, ValueError):
            return 400, JSON, self._error("Parameter 'latitude' and 'longitude' must be floating point numbers")
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            return 400, JSON, self._error("Latitude must be in range of -90 to 90°.")
        hours = int(query.get("forecast_hours", "0") or 0)
        with self._lock:
            self.asked.append((latitude, longitude))
            temperature, code, hourly = self.places.get((round(latitude, 2), round(longitude, 2)), (0.0, 0, []))
        now = datetime.fromtimestamp(time.time(), UTC)  # the test's clock, when it moves it
        hour = now.replace(minute=0, second=0, microsecond=0)
        answer: dict[str, object] = {
            "latitude": latitude,
            "longitude": longitude,
            "generationtime_ms": 0.04,
            "utc_offset_seconds": 0,
            "timezone": "GMT",
            "timezone_abbreviation": "GMT",
            "elevation": 179.0,
            "current_units": {
                "time": "iso8601",
                "interval": "seconds",
                "temperature_2m": "°C",
                "weather_code": "wmo code",
            },
            "current": {
                "time": now.replace(minute=now.minute // 15 * 15, second=0, microsecond=0).strftime("%Y-%m-%dT%H:%M"),
                "interval": 900,
                "temperature_2m": temperature,
                "weather_code": code,
            },
        }
        if "temperature_2m" in query.get("hourly", ""):
            shown = hourly[:hours] if hours else hourly
            answer["hourly_units"] = {"time": "iso8601", "temperature_2m": "°C"}
            answer["hourly"] = {
                "time": [(hour + timedelta(hours=n)).strftime("%Y-%m-%dT%H:%M") for n in range(len(shown))],
                "temperature_2m": shown,
            }
        return 200, JSON, json.dumps(answer).encode()
