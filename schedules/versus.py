"""The schedule held against what the sensors saw: how much of a period was planned off,
how much was off, and how much of that no schedule announced."""

from __future__ import annotations

from dataclasses import dataclass

from buildings.models import Section
from schedules import days
from schedules.days import Interval
from schedules.groups import section_group
from schedules.services import PLANNED_SLACK, planned_spans
from sensors.history import SectionStats
from sensors.models import PowerState


@dataclass(frozen=True)
class PlannedVersusActual:
    group: str
    planned_off_seconds: int
    actual_off_seconds: int
    unplanned_off_seconds: int  # off while nothing was planned
    outages_outside_schedule: int  # outages that overlap no planned outage at all


def planned_versus_actual(section: Section, stats: SectionStats) -> PlannedVersusActual | None:
    """For the period of `stats` (a day, week or month so far); None without a group."""
    group = section_group(section)
    if group is None:
        return None
    planned = planned_spans(group, stats.start - PLANNED_SLACK, stats.end + PLANNED_SLACK)
    downs = (Interval(s.start, s.end) for s in stats.stretches if s.state == PowerState.DOWN)
    outages = days.clipped(downs, stats.start, stats.end)
    actual = sum(int(o.length.total_seconds()) for o in outages)
    planned_part = sum(days.seconds_within(planned, o.start, o.end) for o in outages)
    # An outage that began a little before its planned start is still the planned one.
    widened = [Interval(span.start - PLANNED_SLACK, span.end) for span in planned]
    outside = sum(1 for o in outages if not days.seconds_within(widened, o.start, o.end))
    return PlannedVersusActual(
        group=group,
        planned_off_seconds=days.seconds_within(planned, stats.start, stats.end),
        actual_off_seconds=actual,
        unplanned_off_seconds=actual - planned_part,
        outages_outside_schedule=outside,
    )
