"""What residents read, in their language (Ukrainian by default, English)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, override

from buildings.models import Section
from sensors.models import PowerEvent, PowerState


def duration(length: timedelta) -> str:
    """"3 hours 12 minutes", "2 days 4 hours", "45 minutes", "less than a minute"."""
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


def section_name(section: Section) -> str:
    """The section's own name, or "Section 3" in the reader's language."""
    return section.name or _("Section %(number)d") % {"number": section.number}


def power_text(event: PowerEvent, language: str) -> str:
    """The message for a section's power change: where, when, and how long the state
    before it lasted."""
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
        if event.state == PowerState.UP:
            if lasted:
                return _("💡 Power is back in %(section)s of %(building)s after %(duration)s (at %(time)s).") % {
                    **facts, "duration": lasted}
            return _("💡 Power is on in %(section)s of %(building)s (since %(time)s).") % facts
        if lasted:
            return _("🔌 Power is off in %(section)s of %(building)s since %(time)s. It had been on for "
                     "%(duration)s.") % {**facts, "duration": lasted}
        return _("🔌 Power is off in %(section)s of %(building)s since %(time)s.") % facts
