"""A day's planned outages as the instants they mean, and back as a resident reads them.

Companies publish wall-clock minutes from local midnight; 1440 (24:00) ends the day. The
instants come from the zone the minutes count in, so a DST day is 23 or 25 hours long, and
an outage from 22:00 to 24:00 followed by one from 00:00 the next day is one outage.
"""

from __future__ import annotations

import hashlib
import json
import re
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from powerbot.reprs import shown

DAY_MINUTES = 24 * 60
CLOCK = re.compile(r"^(\d{1,2}):(\d{2})$")


@dataclass(frozen=True)
class Interval:
    start: datetime  # aware, UTC
    end: datetime

    @property
    def length(self) -> timedelta:
        return self.end - self.start


def minute_of(text: str) -> int:
    """ "08:30" -> 510; "24:00" -> 1440. Raises ValueError for anything else."""
    match = CLOCK.match(text.strip())
    if match is None:
        raise ValueError(f"{shown(text)} is not a time like 08:30")
    hours, minutes = int(match[1]), int(match[2])
    if minutes > 59 or hours > 24 or (hours == 24 and minutes):
        raise ValueError(f"{shown(text)} is not a time of day (00:00 to 24:00)")
    return hours * 60 + minutes


def clock_of(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def normalised(off: Iterable[Sequence[int]]) -> list[list[int]]:
    """Sorted, overlapping or touching intervals joined; raises ValueError for one that is
    not within the day or ends before it starts."""
    spans = []
    for start, end in off:
        if not (0 <= start < end <= DAY_MINUTES):
            raise ValueError(f"{clock_of(start)}–{clock_of(end)} is not an interval within one day")
        spans.append([start, end])
    joined: list[list[int]] = []
    for start, end in sorted(spans):
        if joined and start <= joined[-1][1]:
            joined[-1][1] = max(joined[-1][1], end)
        else:
            joined.append([start, end])
    return joined


def fingerprint(status: str, off: Sequence[Sequence[int]], zone: str) -> str:
    return hashlib.sha256(json.dumps([status, [list(span) for span in off], zone]).encode()).hexdigest()


def instant(day: date, minute: int, tz: zoneinfo.ZoneInfo) -> datetime:
    """The moment a wall-clock minute of `day` names (1440: the next midnight). A minute the
    clocks skip (spring forward) names the moment they jump: 03:30 is when 03:00 became 04:00."""
    if minute >= DAY_MINUTES:
        day, minute = day + timedelta(days=1), minute - DAY_MINUTES
    wall = datetime.combine(day, time(minute // 60, minute % 60))
    moment = wall.replace(tzinfo=tz).astimezone(UTC)
    if moment.astimezone(tz).replace(tzinfo=None) == wall:
        return moment
    moment = wall.replace(tzinfo=tz, fold=1).astimezone(UTC)  # before the jump, in the gap's first offset
    while moment.astimezone(tz).replace(tzinfo=None) < wall:
        moment += timedelta(minutes=1)
    return moment


def intervals(day: date, off: Sequence[Sequence[int]], tz: zoneinfo.ZoneInfo) -> list[Interval]:
    spans = (Interval(instant(day, start, tz), instant(day, end, tz)) for start, end in off)
    return [span for span in spans if span.end > span.start]  # an hour a spring DST day skips


def merged(spans: Iterable[Interval]) -> list[Interval]:
    """One interval for each stretch of planned-off time, across midnight too."""
    joined: list[Interval] = []
    for span in sorted(spans, key=lambda s: s.start):
        if joined and span.start <= joined[-1].end:
            joined[-1] = Interval(joined[-1].start, max(joined[-1].end, span.end))
        else:
            joined.append(span)
    return joined


def local_midnight(day: date, tz: zoneinfo.ZoneInfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=tz).astimezone(UTC)


def whole_day(day: date, tz: zoneinfo.ZoneInfo) -> Interval:
    """A calendar day in `tz`, from its midnight to the next (23 or 25 hours on DST days)."""
    return Interval(local_midnight(day, tz), local_midnight(day + timedelta(days=1), tz))


def clipped(spans: Iterable[Interval], begin: datetime, end: datetime) -> list[Interval]:
    """The parts of `spans` between two instants."""
    parts = (Interval(max(span.start, begin), min(span.end, end)) for span in spans)
    return [part for part in parts if part.start < part.end]


def within_day(spans: Iterable[Interval], day: date, tz: zoneinfo.ZoneInfo) -> list[Interval]:
    """The parts of `spans` within `day` in `tz`."""
    bounds = whole_day(day, tz)
    return clipped(spans, bounds.start, bounds.end)


def wall_clock(span: Interval, tz: zoneinfo.ZoneInfo) -> tuple[str, str]:
    """("22:00", "02:00") in `tz`; an end at the midnight after the start's day is "24:00"."""
    start, end = span.start.astimezone(tz), span.end.astimezone(tz)
    at_midnight = end.date() == start.date() + timedelta(days=1) and end.time() == time()
    return start.strftime("%H:%M"), "24:00" if at_midnight else end.strftime("%H:%M")


def on_day(spans: Iterable[Interval], day: date, tz: zoneinfo.ZoneInfo) -> list[tuple[str, str]]:
    """The parts of `spans` within `day` in `tz`, as ("HH:MM", "HH:MM"); a part running to the
    next midnight ends at "24:00"."""
    return [wall_clock(part, tz) for part in within_day(spans, day, tz)]


def intervals_text(parts: Sequence[tuple[str, str]]) -> str:
    """ "08:00–12:00, 18:00–24:00"."""
    return ", ".join(f"{start}–{end}" for start, end in parts)


def seconds_within(spans: Iterable[Interval], begin: datetime, end: datetime) -> int:
    """How much of `spans` (merged) falls between two instants."""
    return int(sum(part.length.total_seconds() for part in clipped(spans, begin, end)))


def gaps(spans: Sequence[Interval], day: date, tz: zoneinfo.ZoneInfo) -> list[Interval]:
    """The day's time outside `spans` (merged and sorted): when the power is planned on."""
    bounds = whole_day(day, tz)
    result, cursor, end = [], bounds.start, bounds.end
    for span in spans:
        if span.start > cursor and span.start < end:
            result.append(Interval(cursor, min(span.start, end)))
        cursor = max(cursor, span.end)
    if cursor < end:
        result.append(Interval(cursor, end))
    return result
