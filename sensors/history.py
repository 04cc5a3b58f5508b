"""Power history of a section: its timeline and statistics, for the bot, the API and pages.

The timeline is rebuilt from the append-only PowerEvent log. Events are read in the order
they were recorded; an event may begin before the one recorded just ahead of it (a
section held as unknown during a mass silence, then found to have been down since its
last heartbeat): the later knowledge wins, and the earlier stretch is overwritten.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum

from django.core.cache import cache
from django.db.models import Max, Q, QuerySet
from django.utils import timezone

from buildings.models import Section
from sensors.models import PowerEvent, PowerState, SectionPower

# A section's events are reused while its version holds; a day covers any period's start moving on.
TIMELINE_REUSE_SEC = 24 * 3600


class Period(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


@dataclass(frozen=True)
class Stretch:
    state: PowerState
    start: datetime
    end: datetime

    @property
    def seconds(self) -> int:
        return int((self.end - self.start).total_seconds())


@dataclass(frozen=True)
class SectionStats:
    period: Period
    start: datetime
    end: datetime
    up_seconds: int
    down_seconds: int
    unknown_seconds: int  # before the first record, and while held or without sensors
    uptime_share: float | None  # of the time whose state is known; None when none is
    outages: int  # down stretches overlapping the period, an ongoing one included
    total_outage_seconds: int
    longest_outage_seconds: int
    current_state: PowerState
    current_since: datetime | None
    current_seconds: int | None
    previous_state: PowerState | None
    previous_seconds: int | None
    stretches: tuple[Stretch, ...]  # the timeline the figures come from, for charts


def uptime_share(up_seconds: int, down_seconds: int) -> float | None:
    """The share of the known time the power was on; None when none of it is known."""
    known = up_seconds + down_seconds
    return round(up_seconds / known, 4) if known else None


def section_events(section: Section, since: datetime | None = None) -> QuerySet[PowerEvent]:
    """The section's events in the order they were recorded, from `since` if given."""
    events = PowerEvent.objects.filter(section=section).order_by("sequence")
    return events.filter(at__gte=since) if since is not None else events


def period_start(period: Period, now: datetime, tz: zoneinfo.ZoneInfo) -> datetime:
    """Start of the current day, week (Monday) or month in the building's timezone, in UTC
    (aware datetimes sharing a tzinfo subtract as wall clocks: wrong across DST)."""
    today = timezone.localtime(now, tz).date()
    if period == Period.WEEK:
        today -= timedelta(days=today.weekday())
    elif period == Period.MONTH:
        today = today.replace(day=1)
    return datetime.combine(today, time(), tzinfo=tz).astimezone(UTC)


def period_days(period: Period, start: datetime, tz: zoneinfo.ZoneInfo) -> int:
    """Calendar days in the period beginning at `start` (its start in UTC, as period_start gives)."""
    if period == Period.DAY:
        return 1
    if period == Period.WEEK:
        return 7
    first = timezone.localtime(start, tz).date()
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return (following - first).days


def timeline(section: Section, since: datetime, now: datetime) -> list[Stretch]:
    """The section's stretches of one state that reach past `since`, and the two last
    ones whenever they began, up to `now`.

    The events behind it change only with the section's version, so they are read once per
    version and reused by every reader until the next power event or operator action (a crowd
    pressing "status" in one building costs one read); `now` is applied fresh each time."""
    version = SectionPower.objects.filter(section=section).values_list("version", flat=True).first()
    key = f"sensors.timeline:{section.pk}:{version}:{since.timestamp():.0f}"
    starts = cache.get(key) if version is not None else None
    if starts is None:
        starts = _stretch_starts(section, since, version)
        if version is not None:  # events without a recorded state (imported history) are read each time
            cache.set(key, starts, TIMELINE_REUSE_SEC)
    return stretches_from(starts, now)


def stretches_from(starts: Sequence[tuple[PowerState, datetime]], now: datetime) -> list[Stretch]:
    """Stretches from where each began: each ends where the next begins, the last at `now`."""
    ends = [at for _, at in starts[1:]] + [now]
    return [Stretch(state, start, max(end, start)) for (state, start), end in zip(starts, ends, strict=False)]


def _stretch_starts(section: Section, since: datetime, version: int | None) -> list[tuple[PowerState, datetime]]:
    """Where each stretch began, from the events up to `version`. Two queries, however long the history."""
    events = PowerEvent.objects.filter(section=section)
    if version is not None:
        events = events.filter(sequence__lte=version)
    bounds = events.aggregate(base=Max("sequence", filter=Q(at__lte=since)), last=Max("sequence"))
    if bounds["last"] is None:
        return []
    first = min(bounds["base"] or 1, bounds["last"] - 2)
    starts: list[tuple[PowerState, datetime]] = []
    for state, at in events.filter(sequence__gte=first).order_by("sequence").values_list("state", "at"):
        while starts and starts[-1][1] >= at:
            starts.pop()  # recorded later, begun earlier: the later record wins
        if starts and starts[-1][0] == state:
            continue
        starts.append((PowerState(state), at))
    return starts


def section_stats(section: Section, period: Period, now: datetime | None = None) -> SectionStats:
    now = now or timezone.now()
    start = period_start(period, now, section.building.tz)
    stretches = timeline(section, start, now)
    within = [Stretch(s.state, max(s.start, start), s.end) for s in stretches if s.end > start]
    seconds = {state: sum(s.seconds for s in within if s.state == state) for state in PowerState}
    unknown = int((now - start).total_seconds()) - seconds[PowerState.UP] - seconds[PowerState.DOWN]
    outages = [s.seconds for s in within if s.state == PowerState.DOWN]
    current = stretches[-1] if stretches else None
    previous = stretches[-2] if len(stretches) > 1 else None
    return SectionStats(
        period=period,
        start=start,
        end=now,
        up_seconds=seconds[PowerState.UP],
        down_seconds=seconds[PowerState.DOWN],
        unknown_seconds=unknown,
        uptime_share=uptime_share(seconds[PowerState.UP], seconds[PowerState.DOWN]),
        outages=len(outages),
        total_outage_seconds=sum(outages),
        longest_outage_seconds=max(outages, default=0),
        current_state=current.state if current else PowerState.UNKNOWN,
        current_since=current.start if current else None,
        current_seconds=current.seconds if current else None,
        previous_state=previous.state if previous else None,
        previous_seconds=previous.seconds if previous else None,
        stretches=tuple(stretches),
    )
