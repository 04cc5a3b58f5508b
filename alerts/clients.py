"""The alert services, as DESIGN.md describes their shapes. Each answers whether an alert is
active in a region, or raises SourceError (a refused key, a 429, a timeout, garbage)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import timezone

from alerts.models import Region, Source
from powerbot import sources
from powerbot.reprs import shown
from powerbot.sources import SourceError

ALERTS_IN_UA = sources.Client(Source.ALERTS_IN_UA)
UKRAINEALARM = sources.Client(Source.UKRAINEALARM)
IN_UA_ANSWERS = {"A": True, "P": True, "N": False}  # alert, partly (some districts): active; none


def alerts_in_ua(region: Region) -> bool:
    body = ALERTS_IN_UA.get_json(
        f"{settings.ALERTS_IN_UA_API_URL}/iot/active_air_raid_alerts/{region.uid}.json",
        headers={"Authorization": f"Bearer {settings.ALERTS_IN_UA_API_KEY}"},
        timeout=settings.ALERTS_FETCH_TIMEOUT_SEC,
    )
    if not isinstance(body, str) or body not in IN_UA_ANSWERS:
        raise SourceError(f'answered {shown(body)}, not "A", "P" or "N"')
    return IN_UA_ANSWERS[body]


def ukrainealarm(region: Region) -> bool:
    body = UKRAINEALARM.get_json(
        f"{settings.ALERTS_API_URL}/alerts/{region.ukrainealarm_id}",
        headers={"Authorization": settings.ALERTS_API_KEY},
        timeout=settings.ALERTS_FETCH_TIMEOUT_SEC,
    )
    if not isinstance(body, list) or not body:
        raise SourceError(f"answered {shown(body)}, not a list of regions")
    return any(_active_alerts(entry) for entry in body)


def _active_alerts(entry: Any) -> list[Any]:
    alerts = entry.get("activeAlerts") if isinstance(entry, dict) else None
    if not isinstance(alerts, list):
        raise SourceError(f"answered a region without a list of active alerts: {shown(entry)}")
    return alerts


def demo(region: Region) -> bool:
    """`make demo`'s source, with no network: an alert the first ten minutes of every half hour."""
    return timezone.now().minute % 30 < 10


@dataclass(frozen=True)
class Feed:
    source: Source
    ask: Callable[[Region], bool]
    per_minute: int  # requests the service allows a minute (all regions together)


def enabled() -> list[Feed]:
    """The sources configured: each service by its key, the demo by ALERTS_DEMO."""
    feeds = []
    if settings.ALERTS_IN_UA_API_KEY:
        feeds.append(Feed(Source.ALERTS_IN_UA, alerts_in_ua, settings.ALERTS_IN_UA_PER_MINUTE))
    if settings.ALERTS_API_KEY:
        feeds.append(Feed(Source.UKRAINEALARM, ukrainealarm, settings.ALERTS_UKRAINEALARM_PER_MINUTE))
    if settings.ALERTS_DEMO:
        feeds.append(Feed(Source.DEMO, demo, 60))
    return feeds
