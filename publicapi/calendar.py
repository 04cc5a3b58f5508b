"""A section's planned outages as an iCalendar feed (RFC 5545), for residents' calendars."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from django.utils import timezone
from icalendar import Calendar, Event
from rest_framework.renderers import BaseRenderer

from buildings.models import Section
from schedules.groups import section_group
from schedules.services import planned_spans

PAST = timedelta(days=7)
AHEAD = timedelta(days=3)  # the schedule reaches tomorrow; this covers any time zone's tomorrow


class CalendarRenderer(BaseRenderer):
    """Lets DRF's content negotiation accept `Accept: text/calendar`; the feed itself is
    answered as an HttpResponse."""

    media_type = "text/calendar"
    format = "ics"
    charset = "utf-8"

    def render(
        self, data: object, accepted_media_type: str | None = None, renderer_context: Mapping[str, Any] | None = None
    ) -> bytes:
        return json.dumps(data).encode()  # an error reached by Accept: text/calendar still reads


def planned_outages(section: Section) -> bytes:
    now = timezone.now()
    building = section.building
    calendar = Calendar()
    calendar.add("prodid", "-//PowerBot//planned outages//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"{building.name}, {section.label}: planned outages")
    calendar.add("x-wr-timezone", str(building.tz))
    group = section_group(section)
    for span in planned_spans(group, now - PAST, now + AHEAD) if group else []:
        event = Event()
        # Stable while the outage is: a calendar that refreshes the feed updates it in place.
        event.add("uid", f"{group}-{int(span.start.timestamp())}-{building.pk}-{section.number}@powerbot")
        event.add("dtstamp", now)
        event.add("dtstart", span.start)
        event.add("dtend", span.end)
        event.add("summary", f"🔌 Planned outage ({group})")
        event.add("description", f"{building.name}, {section.label}: group {group}")
        calendar.add_component(event)
    ical: bytes = calendar.to_ical()
    return ical
