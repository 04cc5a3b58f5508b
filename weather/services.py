"""Weather for buildings: each place's (rounded coordinates) last good observation, fetched
by a beat task within the source's rate, and what residents are shown of it. Several workers
may poll at once: each place is claimed by a conditional update before it is asked."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from buildings.models import Building
from powerbot import counters, sources
from powerbot.sources import SourceError
from weather import clients
from weather.models import Place

logger = logging.getLogger(__name__)

STEP = Decimal("0.1")  # about 10 km: a town's buildings share one place

Key = tuple[Decimal, Decimal]


def place_of(building: Building) -> Key:
    """The rounded coordinates of a building (WEATHER_LAT/LON for one without its own)."""
    if building.latitude is not None and building.longitude is not None:
        latitude, longitude = Decimal(building.latitude), Decimal(building.longitude)
    else:
        latitude, longitude = Decimal(str(settings.WEATHER_LAT)), Decimal(str(settings.WEATHER_LON))
    return latitude.quantize(STEP, ROUND_HALF_UP), longitude.quantize(STEP, ROUND_HALF_UP)


@dataclass
class PollReport:
    asked: int = 0
    failed: list[str] = field(default_factory=list)


def poll(now: datetime | None = None) -> PollReport:
    """Ask the source about every place whose WEATHER_POLL_SEC has passed, those asked
    longest ago first, as many as its rate allows; the first failure ends the turn (a failing
    source is never hammered) and every place keeps its last good observation."""
    now = now or timezone.now()
    report = PollReport()
    feed = clients.enabled()
    if feed is None:
        return report
    wanted = {place_of(building) for building in Building.objects.only("latitude", "longitude")}
    Place.objects.bulk_create(
        [Place(latitude=latitude, longitude=longitude) for latitude, longitude in wanted], ignore_conflicts=True
    )
    unused = [place.pk for place in Place.objects.all() if (place.latitude, place.longitude) not in wanted]
    Place.objects.filter(pk__in=unused).delete()  # no building is there any more
    # A few seconds' grace: a minute's beat finds a place asked WEATHER_POLL_SEC ago due.
    last_round = now - timedelta(seconds=settings.WEATHER_POLL_SEC - 5)
    due = list(Place.objects.filter(Q(asked_at__isnull=True) | Q(asked_at__lte=last_round)).order_by("asked_at"))
    if not due:
        return report
    allowed = sources.reserve(feed.source, now, per_minute=settings.WEATHER_PER_MINUTE, at_most=len(due))
    for place in due[:allowed]:
        if not Place.objects.filter(pk=place.pk, asked_at=place.asked_at).update(asked_at=now):
            continue  # another worker asks about it
        report.asked += 1
        try:
            seen = feed.ask(place)
        except SourceError as exc:
            counters.count("weather_fetches", "failed")
            report.failed.append(f"{place}: {exc}")
            # Due again as before: the source's back-off, not a whole interval, says when it is asked next.
            Place.objects.filter(pk=place.pk).update(asked_at=place.asked_at, error=str(exc)[:300])
            sources.failed(feed.source, exc, now, every=timedelta(seconds=60))
            return report
        counters.count("weather_fetches", "ok")
        Place.objects.filter(pk=place.pk).update(
            temperature=seen.temperature,
            weather_code=seen.code,
            coldest=seen.coldest,
            coldest_at=seen.coldest_at,
            answered_at=now,
            error="",
        )
    if allowed:
        sources.succeeded(feed.source, now)
    return report


@dataclass(frozen=True)
class Weather:
    """What residents of a building are shown: the last good observation and its time."""

    temperature: float
    code: int
    coldest: float | None
    coldest_at: datetime | None
    answered_at: datetime

    def stale(self, now: datetime) -> bool:
        """Older than two rounds of polling: its age is shown with it."""
        return now - self.answered_at > timedelta(seconds=2 * max(settings.WEATHER_POLL_SEC, 300))


def weather_of(buildings: Iterable[Building]) -> dict[int, Weather]:
    """Each building's weather (one query for them all); none while weather is off or its
    place has never had a good answer."""
    if not settings.WEATHER_POLL_SEC:
        return {}
    keys = {building.pk: place_of(building) for building in buildings}
    latitudes = {latitude for latitude, _ in keys.values()}
    known = {
        (place.latitude, place.longitude): place
        for place in Place.objects.filter(latitude__in=latitudes, answered_at__isnull=False)
    }
    found = {}
    for pk, key in keys.items():
        place = known.get(key)
        if place is not None and place.answered_at is not None and place.temperature is not None:
            found[pk] = Weather(
                place.temperature, place.weather_code or 0, place.coldest, place.coldest_at, place.answered_at
            )
    return found
