"""Air-raid alerts: polling the sources, one state per region from what they say, and the
history of each region's alerts. Several workers may poll at once: every change of state is
a conditional update on the region's version, and a region has at most one open alert."""

from __future__ import annotations

import logging
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from alerts import clients, decision, regions
from alerts.decision import Said
from alerts.models import Alert, Reading, Region, State
from buildings.models import Building
from powerbot import counters, sources
from powerbot.sources import SourceError
from schedules.days import local_midnight

logger = logging.getLogger(__name__)

EPOCH = datetime(1970, 1, 1, tzinfo=zoneinfo.ZoneInfo("UTC"))


@dataclass
class PollReport:
    asked: int = 0
    failed: list[str] = field(default_factory=list)  # "source: why"
    changed: list[tuple[str, str]] = field(default_factory=list)  # (region, new state)


def poll(now: datetime | None = None) -> PollReport:
    """Ask every enabled source about the regions polled (within each one's rate), then
    decide each region's state."""
    now = now or timezone.now()
    report = PollReport()
    polled = regions.sync()
    for feed in clients.enabled():
        _ask(feed, polled, now, report)
    for region in polled:
        if (state := evaluate(region, now)) is not None:
            report.changed.append((region.uid, state))
    return report


def _ask(feed: clients.Feed, polled: list[Region], now: datetime, report: PollReport) -> None:
    """Ask one source about as many regions as its rate allows now, those it was asked about
    longest ago first; the first failure ends its turn (never hammer a failing source)."""
    if not polled:
        return
    turn = -(-feed.per_minute * settings.ALERTS_POLL_SEC // 60)  # a poll's share of the minute, rounded up
    allowed = sources.reserve(feed.source, now, per_minute=feed.per_minute, at_most=min(turn, len(polled)))
    asked_at = dict(Reading.objects.filter(source=feed.source, region__in=polled).values_list("region_id", "asked_at"))
    for region in sorted(polled, key=lambda region: asked_at.get(region.pk) or EPOCH)[:allowed]:
        report.asked += 1
        try:
            active = feed.ask(region)
        except SourceError as exc:
            counters.count("alert_fetches", "failed")
            report.failed.append(f"{feed.source}: {exc}")
            Reading.objects.update_or_create(
                region=region, source=feed.source, defaults={"asked_at": now, "error": str(exc)[:300]}
            )
            sources.failed(feed.source, exc, now, every=timedelta(seconds=settings.ALERTS_POLL_SEC))
            return
        counters.count("alert_fetches", "ok")
        record(region, feed.source, active, now)
    if allowed:
        sources.succeeded(feed.source, now)


def record(region: Region, source: str, active: bool, now: datetime) -> None:
    """A source's good answer on a region."""
    reading, _ = Reading.objects.get_or_create(region=region, source=source)
    if active:
        since = reading.active_since if reading.active and reading.active_since else now
        Reading.objects.filter(pk=reading.pk).update(
            active=True, answered_at=now, asked_at=now, error="", active_since=since, last_active_at=now
        )
    else:
        Reading.objects.filter(pk=reading.pk).update(
            active=False, answered_at=now, asked_at=now, error="", active_since=None
        )


def evaluate(region: Region, now: datetime | None = None) -> State | None:
    """Decide the region's state from its readings and record a change: the new state (None
    when nothing changed, or another worker recorded it first). An alert opens when the
    region turns active and closes at the all-clear; one under way when PowerBot first looks
    is recorded as unannounced."""
    now = now or timezone.now()
    readings = list(Reading.objects.filter(region=region))
    said = [Said(r.active, r.answered_at, r.last_active_at) for r in readings]
    freshness = timedelta(seconds=settings.ALERTS_FRESH_SEC)
    state = decision.decide(said, now, freshness)
    Region.objects.filter(pk=region.pk).update(evaluated_at=now, disagreement=decision.disagree(said, now, freshness))
    if state == region.state or (state == State.UNKNOWN and not region.state):
        return None  # nothing new; or nothing known yet, so the first definite state is the silent one
    try:
        with transaction.atomic():
            if not Region.objects.filter(pk=region.pk, version=region.version).update(
                state=state, since=now, version=F("version") + 1
            ):
                return None
            open_alert = Alert.objects.filter(region=region, ended_at__isnull=True).first()
            if state == State.ACTIVE:
                if open_alert is None:
                    open_alert = _open(region, readings, now, announced=region.state != "")
                Region.objects.filter(pk=region.pk).update(since=open_alert.started_at)
            elif state == State.CLEAR and open_alert is not None:
                open_alert.ended_at = now
                open_alert.save(update_fields=["ended_at"])
    except IntegrityError:  # another worker opened the alert: its change stands
        return None
    logger.info("alert region %s: %s -> %s", region.uid, region.state or "-", state)
    return state


def _open(region: Region, readings: list[Reading], now: datetime, *, announced: bool) -> Alert:
    """The alert the region's state turned active for, begun when the first source to say so
    said it (or, held active by a source that said so and has not said clear since, then)."""
    seen = [(r.active_since, r.source) for r in readings if r.active and r.active_since is not None]
    seen = seen or [(r.last_active_at, r.source) for r in readings if r.last_active_at is not None]
    started_at, source = min(seen, default=(now, readings[0].source))  # decide() saw a reading say active
    return Alert.objects.create(region=region, started_at=started_at, first_source=source, announced=announced)


# --- Reading ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RegionState:
    """What residents of a building are shown: the state, since when, and whether it is
    known at all."""

    region: str
    state: State
    since: datetime | None


def states_of(buildings: Iterable[Building]) -> dict[int, RegionState]:
    """Each building's region state (one query for them all)."""
    uids = {building.pk: regions.region_of(building) for building in buildings}
    known = {region.uid: region for region in Region.objects.filter(uid__in=set(uids.values()))}
    return {pk: shown(uid, known.get(uid)) for pk, uid in uids.items()}


def shown(uid: str, region: Region | None) -> RegionState:
    """What a region's state is said to be: unknown until it was first decided."""
    if region is None or not region.state:
        return RegionState(uid, State.UNKNOWN, None)
    return RegionState(uid, State(region.state), region.since)


def watched_states() -> list[RegionState]:
    return [shown(region.uid, region) for region in Region.objects.filter(watched=True).order_by("uid")]


def watching() -> bool:
    """Whether any alert source is configured (otherwise residents are shown nothing of alerts)."""
    return bool(clients.enabled())


def history(region: Region, since: datetime | None = None) -> QuerySet[Alert]:
    alerts = Alert.objects.filter(region=region)
    return alerts if since is None else alerts.filter(started_at__gte=since)


def alerts_between(uid: str, start: datetime, end: datetime) -> list[Alert]:
    """The region's alerts that overlap [start, end), oldest first."""
    return list(
        Alert.objects.filter(region__uid=uid, started_at__lt=end).exclude(ended_at__lte=start).order_by("started_at")
    )


def today(building: Building, now: datetime) -> tuple[list[Alert], timedelta]:
    """The alerts of the building's region since its local midnight, and how long they lasted."""
    midnight = local_midnight(timezone.localtime(now, building.tz).date(), building.tz)
    alerts = alerts_between(regions.region_of(building), midnight, now)
    return alerts, total_length(alerts, midnight, now)


def total_length(alerts: list[Alert], start: datetime, end: datetime) -> timedelta:
    """How long the alerts lasted within [start, end) (one under way counts up to `end`)."""
    return sum((min(alert.ended_at or end, end) - max(alert.started_at, start) for alert in alerts), timedelta())
