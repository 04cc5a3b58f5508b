"""Schedules' rules: recording what a source says (once, whoever polls), and reading a
section's plan for today and tomorrow in its building's time zone."""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from buildings.models import Section
from powerbot import counters, sources
from powerbot.sources import SourceError
from schedules import days, yasno
from schedules.days import Interval
from schedules.groups import section_group, section_groups
from schedules.models import DEFINITE, DayStatus, ScheduleChange, ScheduleDay, Source
from schedules.yasno import DayPlan

# The order a day's sources are believed in: an operator's file corrects the company's API.
PRECEDENCE = [Source.FILE, Source.YASNO]
# A power change this close before a planned outage's start still counts as that outage.
PLANNED_SLACK = timedelta(minutes=15)
FETCH_RESULTS = ("ok", "partial", "failed")


# --- Recording --------------------------------------------------------------------------


@dataclass
class RecordReport:
    created: int = 0
    changed: int = 0
    unchanged: int = 0
    news: list[ScheduleChange] = field(default_factory=list)


def record(source: Source, plans: Iterable[DayPlan], zone: str, now: datetime | None = None) -> RecordReport:
    """Store each day the source gave. A day seen for the first time, or different from what
    was stored, is a change; it is news (a ScheduleChange) when it is about today or later,
    its group was known before (the first data ever is recorded silently), and
    no source believed before this one has the day. A day without data never replaces data."""
    now = now or timezone.now()
    plans = [shown(plan, zoneinfo.ZoneInfo(zone)) for plan in plans if plan.status in DEFINITE]
    report = RecordReport()
    if not plans:
        return report
    groups = {plan.group for plan in plans}
    known = set(ScheduleDay.objects.filter(group__in=groups).values_list("group", flat=True))
    today = timezone.localtime(now, zoneinfo.ZoneInfo(zone)).date()
    for plan in plans:
        outcome, change = _record_day(source, plan, zone, now, news=plan.group in known and plan.date >= today)
        setattr(report, outcome, getattr(report, outcome) + 1)
        if change is not None:
            report.news.append(change)
    # What is unchanged was confirmed now: residents see data as of the last good fetch.
    ScheduleDay.objects.filter(source=source, group__in=groups, date__in={p.date for p in plans}).update(fetched_at=now)
    return report


def shown(plan: DayPlan, tz: zoneinfo.ZoneInfo) -> DayPlan:
    """The day as residents read it: planned-off time only on a day with outages planned,
    and such a day without any (or only in an hour the clocks skip) is a day without outages,
    so neither is ever a "change"."""
    if plan.status == DayStatus.APPLIES and not days.intervals(plan.date, plan.off, tz):
        return DayPlan(plan.group, plan.date, DayStatus.NONE, [])
    return plan if plan.status == DayStatus.APPLIES else DayPlan(plan.group, plan.date, plan.status, [])


def _record_day(
    source: Source, plan: DayPlan, zone: str, now: datetime, news: bool
) -> tuple[str, ScheduleChange | None]:
    fingerprint = days.fingerprint(plan.status, plan.off, zone)
    believed_before = PRECEDENCE[: PRECEDENCE.index(source)]
    with transaction.atomic():
        # Asked in the transaction that records the change: a source believed first (an
        # operator's file for this day) makes this one's change no news.
        news = (
            news
            and not ScheduleDay.objects.filter(source__in=believed_before, group=plan.group, date=plan.date).exists()
        )
        day, created = ScheduleDay.objects.get_or_create(
            source=source,
            group=plan.group,
            date=plan.date,
            defaults={
                "status": plan.status,
                "off": plan.off,
                "timezone": zone,
                "fingerprint": fingerprint,
                "fetched_at": now,
                "changed_at": now,
            },
        )
        if created:
            kind = (
                ScheduleChange.Kind.EMERGENCY if plan.status == DayStatus.EMERGENCY else ScheduleChange.Kind.PUBLISHED
            )
            return "created", _change(day, kind, None, plan, now) if news else None
        if day.fingerprint == fingerprint:
            return "unchanged", None
        # Conditional on what was read: of two polls seeing the same change, one records it.
        if not ScheduleDay.objects.filter(pk=day.pk, fingerprint=day.fingerprint).update(
            status=plan.status, off=plan.off, timezone=zone, fingerprint=fingerprint, changed_at=now
        ):
            return "unchanged", None
        kind = (
            ScheduleChange.Kind.EMERGENCY
            if plan.status == DayStatus.EMERGENCY != day.status
            else ScheduleChange.Kind.CHANGED
        )
        return "changed", _change(day, kind, day, plan, now) if news else None


def _change(day: ScheduleDay, kind: str, before: ScheduleDay | None, plan: DayPlan, now: datetime) -> ScheduleChange:
    return ScheduleChange.objects.create(
        day=day,
        kind=kind,
        before_status=before.status if before else "",
        before_off=before.off if before else [],
        status=plan.status,
        off=plan.off,
        recorded_at=now,
    )


YASNO_PER_MINUTE = 6  # a poll, and room for workers starting (each polls at once); never a flood


def poll_yasno(now: datetime | None = None) -> RecordReport | None:
    """Fetch Yasno's planned outages and record them; on failure the last good data stays
    and the failure is counted and kept for the operator. None while Yasno is backed off
    after failures; raises SourceError."""
    now = now or timezone.now()
    if not sources.reserve(Source.YASNO, now, per_minute=YASNO_PER_MINUTE, at_most=1):
        return None
    try:
        plans, problems = yasno.planned_outages(now)
    except SourceError as exc:
        counters.count("schedule_fetches", "failed")
        sources.failed(Source.YASNO, exc, now, every=timedelta(seconds=settings.SCHEDULE_POLL_SEC))
        raise
    report = record(Source.YASNO, plans, yasno.ZONE, now)
    counters.count("schedule_fetches", "partial" if problems else "ok")
    sources.succeeded(Source.YASNO, now, "; ".join(problems))
    return report


# --- Reading ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedDay:
    date: date  # in the building's time zone
    status: DayStatus
    off: list[tuple[str, str]]  # "HH:MM", "HH:MM" (the end may be "24:00")
    off_seconds: int
    source: Source | None
    fetched_at: datetime | None


@dataclass(frozen=True)
class SectionPlan:
    group: str
    tz: zoneinfo.ZoneInfo
    spans: list[Interval]  # planned-off, merged, from yesterday to the end of tomorrow
    days: list[PlannedDay]  # today and tomorrow
    fetched_at: datetime | None  # of the oldest data shown, when it comes from a polled source

    @property
    def stale(self) -> bool:
        """Older than two polls: the source is failing, and residents see the data's age."""
        return self.fetched_at is not None and timezone.now() - self.fetched_at > timedelta(
            seconds=2 * settings.SCHEDULE_POLL_SEC + 60
        )

    def current(self, now: datetime) -> Interval | None:
        return next((span for span in self.spans if span.start <= now < span.end), None)

    def upcoming(self, now: datetime) -> Interval | None:
        return next((span for span in self.spans if span.start > now), None)


def believed_days(group: str, first: date, last: date) -> dict[date, ScheduleDay]:
    """The day each date is believed to be, from the source believed first."""
    chosen: dict[date, ScheduleDay] = {}
    rows = ScheduleDay.objects.filter(group=group, date__range=(first, last))
    for day in sorted(rows, key=lambda d: PRECEDENCE.index(Source(d.source))):
        chosen.setdefault(day.date, day)
    return chosen


def planned_spans(group: str, start: datetime, end: datetime) -> list[Interval]:
    """The group's planned-off time between two instants, merged."""
    believed = believed_days(group, start.date() - timedelta(days=1), end.date() + timedelta(days=1))
    return _spans(believed.values(), start, end)


def _spans(believed: Iterable[ScheduleDay], start: datetime, end: datetime) -> list[Interval]:
    spans = [span for day in believed for span in days.intervals(day.date, day.off, zoneinfo.ZoneInfo(day.timezone))]
    return days.clipped(days.merged(spans), start, end)


def section_plans(sections: Iterable[Section], now: datetime | None = None) -> dict[int, SectionPlan]:
    """{section id: plan} for the sections in a group."""
    now = now or timezone.now()
    sections = list(sections)
    groups = section_groups(sections)
    plans = {}
    by_group: dict[tuple[str, str], SectionPlan] = {}
    for section in sections:
        group = groups.get(section.pk)
        if group is None:
            continue
        tz = section.building.tz
        key = (group, str(tz))
        if key not in by_group:
            by_group[key] = _plan(group, tz, now)
        plans[section.pk] = by_group[key]
    return plans


def section_plan(section: Section, now: datetime | None = None) -> SectionPlan | None:
    return section_plans([section], now).get(section.pk)


def _plan(group: str, tz: zoneinfo.ZoneInfo, now: datetime) -> SectionPlan:
    today = timezone.localtime(now, tz).date()
    believed = believed_days(group, today - timedelta(days=2), today + timedelta(days=3)).values()
    spans = _spans(
        believed, days.local_midnight(today - timedelta(days=1), tz), days.local_midnight(today + timedelta(days=2), tz)
    )
    shown = [_planned_day(day, spans, believed, tz) for day in (today, today + timedelta(days=1))]
    polled = [d.fetched_at for d in shown if d.source == Source.YASNO and d.fetched_at is not None]
    return SectionPlan(group, tz, spans, shown, min(polled, default=None))


def _planned_day(
    day: date, spans: list[Interval], believed: Iterable[ScheduleDay], tz: zoneinfo.ZoneInfo
) -> PlannedDay:
    """A day in the building's zone, from the schedule's days that overlap it (one, unless
    the schedule counts in another zone): outages planned if any planned-off time falls in
    it; emergency if an overlapping day is; no outages only if the schedule covers all of it."""
    bounds = days.whole_day(day, tz)
    covering = {row: days.whole_day(row.date, zoneinfo.ZoneInfo(row.timezone)) for row in believed}
    rows = [row for row, span in covering.items() if span.start < bounds.end and span.end > bounds.start]
    parts = days.on_day(spans, day, tz)
    if parts:
        status = DayStatus.APPLIES
    elif any(row.status == DayStatus.EMERGENCY for row in rows):
        status = DayStatus.EMERGENCY
    elif (
        days.seconds_within(days.merged(covering[row] for row in rows), bounds.start, bounds.end)
        >= bounds.length.total_seconds()
    ):
        status = DayStatus.NONE
    else:
        status = DayStatus.UNKNOWN
    first = rows[0] if rows else None
    return PlannedDay(
        day,
        status,
        parts,
        days.seconds_within(spans, bounds.start, bounds.end),
        Source(first.source) if first else None,
        min((row.fetched_at for row in rows), default=None),
    )


def planned_outage_at(section: Section, at: datetime) -> tuple[Interval | None, bool]:
    """The planned outage (merged across midnight) that `at` falls in, counting a change up
    to PLANNED_SLACK before its start; and whether the section's group had a definite
    schedule for that day at all (without one there is nothing to compare with)."""
    group = section_group(section)
    if group is None:
        return None, False
    spans = planned_spans(group, at - timedelta(days=1), at + timedelta(days=1))
    planned = next((span for span in spans if span.start - PLANNED_SLACK <= at < span.end), None)
    day = timezone.localtime(at, section.building.tz).date()
    return planned, planned is not None or ScheduleDay.objects.filter(
        group=group, date=day, status__in=DEFINITE
    ).exists()
