"""Where weather comes from: Open-Meteo's forecast endpoint (DESIGN.md gives its shape), or
`make demo`'s clock. Each answers a place's Observation, or raises SourceError (an HTTP
error, a 429, a timeout, garbage)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from powerbot import sources
from powerbot.reprs import shown
from powerbot.sources import SourceError
from weather.models import Place

OPEN_METEO = sources.Client("open_meteo")
AHEAD = timedelta(hours=12)  # residents decide about heating by the coldest of these hours
LOWEST, HIGHEST = -90.0, 60.0  # beyond Earth's records: garbage, not weather
MAX_OFFSET = 18 * 3600  # the widest a time zone's offset from UTC may be


@dataclass(frozen=True)
class Observation:
    temperature: float
    code: int
    coldest: float | None = None
    coldest_at: datetime | None = None


def open_meteo(place: Place) -> Observation:
    body = OPEN_METEO.get_json(
        settings.WEATHER_API_URL,
        params={
            "latitude": str(place.latitude),
            "longitude": str(place.longitude),
            "current": "temperature_2m,weather_code",
            "hourly": "temperature_2m",
            "forecast_hours": 13,  # this hour and the twelve after it
            "timezone": "GMT",
        },
        timeout=settings.WEATHER_FETCH_TIMEOUT_SEC,
    )
    current = body.get("current") if isinstance(body, dict) else None
    if not isinstance(current, dict):
        raise SourceError(f"answered {shown(body)}, not an object with the current weather")
    temperature = _temperature(current.get("temperature_2m"))
    code = current.get("weather_code")
    if isinstance(code, float) and code.is_integer():
        code = int(code)
    if not isinstance(code, int) or isinstance(code, bool) or not 0 <= code <= 99:
        raise SourceError(f"answered weather code {shown(code)}, not a WMO code (0-99)")
    coldest, coldest_at = _coldest(body.get("hourly"), body.get("utc_offset_seconds", 0), timezone.now())
    return Observation(temperature, code, coldest, coldest_at)


def _temperature(value: Any) -> float:
    try:
        finite = not isinstance(value, bool) and isinstance(value, int | float) and math.isfinite(value)
    except OverflowError:  # a 400-digit integer
        finite = False
    if not finite:
        raise SourceError(f"answered temperature {shown(value)}, not a number")
    if not LOWEST <= value <= HIGHEST:
        raise SourceError(f"answered temperature {value}, beyond any on Earth")
    return float(value)


def _coldest(hourly: Any, offset: Any, now: datetime) -> tuple[float | None, datetime | None]:
    """The coldest forecast hour from now to AHEAD; (None, None) without a forecast."""
    if hourly is None:
        return None, None
    times = hourly.get("time") if isinstance(hourly, dict) else None
    temperatures = hourly.get("temperature_2m") if isinstance(hourly, dict) else None
    if not isinstance(times, list) or not isinstance(temperatures, list) or len(times) != len(temperatures):
        raise SourceError(f"answered an hourly forecast of another shape: {shown(hourly)}")
    if isinstance(offset, bool) or not isinstance(offset, int) or abs(offset) > MAX_OFFSET:
        raise SourceError(f"answered utc_offset_seconds {shown(offset)}, not a time zone's offset")
    hours = []
    for moment, temperature in zip(times, temperatures, strict=True):
        if temperature is None:
            continue  # an hour the model has no value for
        try:
            at = datetime.fromisoformat(moment)
            # Local times of the answer's zone (GMT, as asked); a time with its own offset says it.
            at = at.astimezone(UTC) if at.tzinfo else at.replace(tzinfo=UTC) - timedelta(seconds=offset)
        except (TypeError, ValueError, OverflowError):
            raise SourceError(f"answered a forecast hour {shown(moment)}, not a time") from None
        if now - timedelta(hours=1) < at <= now + AHEAD:
            hours.append((_temperature(temperature), at))
    return min(hours, default=(None, None))


def demo(place: Place) -> Observation:
    """`make demo`'s weather, with no network: a winter day's curve, coldest before dawn."""
    now = timezone.now()

    def at(moment: datetime) -> float:
        hour = moment.hour + moment.minute / 60
        return round(-3 + 4 * math.sin((hour - 9) / 24 * 2 * math.pi), 1)

    hours = [now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=n) for n in range(1, 13)]
    coldest_at = min(hours, key=at)
    return Observation(at(now), (0, 2, 3, 71)[now.hour % 4], at(coldest_at), coldest_at)


@dataclass(frozen=True)
class Feed:
    source: str
    ask: Callable[[Place], Observation]


def enabled() -> Feed | None:
    if not settings.WEATHER_POLL_SEC:
        return None
    return Feed("weather_demo", demo) if settings.WEATHER_DEMO else Feed("open_meteo", open_meteo)
