"""What residents read, in their language (Ukrainian by default, English)."""

from __future__ import annotations

import zoneinfo
from collections.abc import Sequence
from datetime import date, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, override

from alerts.models import Alert
from buildings.models import Building, Contact, Section, Shelter
from schedules import days
from schedules.days import Interval
from schedules.models import DayStatus, ScheduleChange
from sensors.models import PowerEvent, PowerState

# A power change this close to the planned time happened "as planned".
AS_PLANNED = timedelta(minutes=10)


def duration(length: timedelta) -> str:
    """ "3 hours 12 minutes", "2 days 4 hours", "45 minutes", "less than a minute"."""
    minutes = int(length.total_seconds()) // 60
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = []
    if days:
        parts.append(ngettext("%(n)d day", "%(n)d days", days) % {"n": days})
    if hours:
        parts.append(ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours})
    if minutes and not days:
        parts.append(ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes})
    return " ".join(parts) or _("less than a minute")


def countdown(left: timedelta) -> str:
    """How long until something, to the minute rounded up: "in 3 hours" at 2:59:30 before."""
    return duration(timedelta(minutes=-(-left.total_seconds() // 60)))


def section_name(section: Section) -> str:
    """The section's own name, or "Section 3" in the reader's language."""
    return section.name or _("Section %(number)d") % {"number": section.number}


def day_plan_text(status: str, parts: Sequence[tuple[str, str]], off: timedelta) -> str:
    """What a day's schedule says, in one line."""
    if status == DayStatus.NONE:
        return _("no outages planned")
    if status == DayStatus.EMERGENCY:
        return _("emergency outages, the schedule does not apply")
    if status == DayStatus.UNKNOWN:
        return _("no schedule yet")
    return _("off %(intervals)s (%(total)s)") % {"intervals": days.intervals_text(parts), "total": duration(off)}


def _day_parts(
    day: date, off: Sequence[Sequence[int]], zone: str, tz: zoneinfo.ZoneInfo
) -> tuple[list[tuple[str, str]], timedelta]:
    """The day's planned-off intervals on the building's clock (all of them; one its zone puts
    on another date says that date), and their total."""
    spans = days.intervals(day, off, zoneinfo.ZoneInfo(zone))
    parts = []
    for span in spans:
        start, end = days.wall_clock(span, tz)
        on = span.start.astimezone(tz).date()
        parts.append((start if on == day else f"{on:%d.%m} {start}", end))
    return parts, sum((span.length for span in spans), timedelta())


def schedule_change_text(change: ScheduleChange, tz: zoneinfo.ZoneInfo, language: str) -> str:
    """A schedule notice: which day, which group, and its planned-off intervals (before and
    after, for a change), in the building's time zone."""
    day = change.day
    with override(language):
        facts = {"date": day.date.strftime("%d.%m"), "group": day.group}
        parts, off = _day_parts(day.date, change.off, day.timezone, tz)
        now_text = day_plan_text(change.status, parts, off)
        if change.kind == ScheduleChange.Kind.EMERGENCY:
            return (
                _(
                    "⚠️ Emergency outages declared for %(date)s, group %(group)s: planned schedules do not "
                    "apply, the power may go off at any time."
                )
                % facts
            )
        if change.kind == ScheduleChange.Kind.PUBLISHED:
            return _("📅 Schedule for %(date)s, group %(group)s: %(plan)s.") % {**facts, "plan": now_text}
        before_parts, before_off = _day_parts(day.date, change.before_off, day.timezone, tz)
        before_text = day_plan_text(change.before_status, before_parts, before_off)
        return _("📅 The schedule for %(date)s, group %(group)s, changed: %(plan)s. Before: %(before)s.") % {
            **facts,
            "plan": now_text,
            "before": before_text,
        }


def reminder_text(group: str, span: Interval, tz: zoneinfo.ZoneInfo, language: str) -> str:
    """Times, not a countdown: a reminder held through quiet hours still reads true."""
    with override(language):
        start, end = days.wall_clock(span, tz)
        return _("⏰ Planned outage soon, group %(group)s: off %(start)s–%(end)s.") % {
            "group": group,
            "start": start,
            "end": end,
        }


def planned_context(event: PowerEvent, planned: Interval | None, has_plan: bool, tz: zoneinfo.ZoneInfo) -> str:
    """How a power change compares with the schedule: "" when there is no schedule to compare with."""
    if planned is None:
        if not has_plan:
            return ""
        return _("It was not in the schedule.") if event.state == PowerState.UP else _("This is not in the schedule.")
    start, end = days.wall_clock(planned, tz)
    if event.state == PowerState.DOWN:
        return _("Planned: off %(start)s–%(end)s, back by %(end)s per schedule.") % {"start": start, "end": end}
    early = planned.end - event.at
    if abs(early) <= AS_PLANNED:
        return _("As planned.")
    if early > timedelta(0):
        return _("%(duration)s earlier than planned (%(end)s).") % {"duration": duration(early), "end": end}
    return _("%(duration)s later than planned (%(end)s).") % {"duration": duration(-early), "end": end}


def power_text(
    event: PowerEvent,
    language: str,
    planned: Interval | None = None,
    has_plan: bool = False,
    electrician: Contact | None = None,
) -> str:
    """The message for a section's power change: where, when, how long the state before it
    lasted, how it compares with the schedule (`planned`: the planned outage it falls in),
    and whom to call (`electrician`)."""
    section = event.section
    building = section.building
    with override(language):
        facts = {
            "section": section_name(section),
            "building": building.name,
            "time": timezone.localtime(event.at, building.tz).strftime("%H:%M"),
        }
        lasted = (
            duration(event.at - event.previous_since)
            if event.previous_since is not None and event.previous_state in (PowerState.UP, PowerState.DOWN)
            else None
        )
        text = _power_sentence(event, facts, lasted)
        context = planned_context(event, planned, has_plan, building.tz)
        text = f"{text} {context}" if context else text
        if electrician is not None:
            text += "\n" + electrician_line(electrician)
    return text


def electrician_line(contact: Contact) -> str:
    """ "⚡ Electrician: Ivan, +380671234567 (8:00–20:00)": plain text, where Telegram makes the
    number a tap to call."""
    ways = ", ".join(way for way in (contact.label, contact.phone, contact.telegram) if way)
    line = _("⚡ Electrician: %(contact)s") % {"contact": ways}
    return f"{line} ({contact.hours})" if contact.hours else line


def _power_sentence(event: PowerEvent, facts: dict[str, str], lasted: str | None) -> str:
    if event.state == PowerState.UP:
        if lasted:
            return _("💡 Power is back in %(section)s of %(building)s after %(duration)s (at %(time)s).") % {
                **facts,
                "duration": lasted,
            }
        return _("💡 Power is on in %(section)s of %(building)s (since %(time)s).") % facts
    if lasted:
        return _("🔌 Power is off in %(section)s of %(building)s since %(time)s. It had been on for %(duration)s.") % {
            **facts,
            "duration": lasted,
        }
    return _("🔌 Power is off in %(section)s of %(building)s since %(time)s.") % facts


def shelter_line(shelter: Shelter) -> str:
    """ "Shelter: Parking level -1, 12 Khreshchatyk St (80 m), during alerts"."""
    details = [shelter.address] if shelter.address else []
    if shelter.distance_m is not None:
        details.append(_("%(metres)d m") % {"metres": shelter.distance_m})
    text = shelter.name + (f" ({', '.join(details)})" if details else "")
    return f"{text}, {shelter.opening_hours}" if shelter.opening_hours else text


def alert_text(alert: Alert, building: Building, shelter: Shelter | None, language: str) -> str:
    """An alert has started where the building is: go to the shelter, the nearest named."""
    with override(language):
        facts = {"building": building.name, "time": timezone.localtime(alert.started_at, building.tz).strftime("%H:%M")}
        text = _("🚨 Air-raid alert at %(building)s since %(time)s. Go to the shelter.") % facts
        if shelter is not None:
            text += "\n" + _("Nearest shelter: %(shelter)s.") % {"shelter": shelter_line(shelter)}
        return text


def all_clear_text(alert: Alert, building: Building, language: str) -> str:
    with override(language):
        return _("✅ All clear at %(building)s (%(time)s). The alert lasted %(duration)s.") % {
            "building": building.name,
            "time": timezone.localtime(alert.ended_at, building.tz).strftime("%H:%M"),
            "duration": duration(alert.duration or timedelta(0)),
        }
