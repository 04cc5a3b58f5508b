"""Which planned-outage group each section is in: its own, its building's, or what Yasno's
address look-up found for the building's address (or the seed's YASNO_BUILDING_* queries)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from buildings.models import Building, Section
from powerbot.sources import SourceError
from schedules import yasno
from schedules.models import AddressLookup

logger = logging.getLogger(__name__)

# "Shevchenka St 1", "вул. Хрещатик, 22/1" -> the street, and the house number at the end.
ADDRESS = re.compile(r"^(?P<street>.*?\D)[\s,]+(?P<house>\d+[\w/-]*)\s*$")


def lookup_queries(building: Building) -> dict[int, tuple[str, tuple[str, ...]]]:
    """{section number (0: all): (street query, house queries)} for the look-up."""
    configured = settings.YASNO_BUILDINGS.get(building.pk)
    if configured:
        return configured
    match = ADDRESS.match(building.address.strip())
    if match is None:
        return {}
    return {0: (match["street"].strip(" ,"), (match["house"],))}


def section_groups(sections: Iterable[Section]) -> dict[int, str]:
    """{section id: group} for the sections that have one."""
    sections = list(sections)
    needs_lookup = {s.building_id for s in sections if not (s.schedule_group or s.building.schedule_group)}
    found = {
        (lookup.building_id, lookup.section_number): lookup.group
        for lookup in AddressLookup.objects.filter(building__in=needs_lookup).exclude(group="")
    }
    groups = {}
    for section in sections:
        group = (
            section.schedule_group
            or section.building.schedule_group
            or found.get((section.building_id, section.number))
            or found.get((section.building_id, 0))
        )
        if group:
            groups[section.pk] = group
    return groups


def section_group(section: Section) -> str | None:
    return section_groups([section]).get(section.pk)


def by_group(sections: Iterable[Section]) -> dict[str, list[Section]]:
    """The sections of each group (those without one are left out)."""
    sections = list(sections)
    found = section_groups(sections)
    grouped: dict[str, list[Section]] = {}
    for section in sections:
        if section.pk in found:
            grouped.setdefault(found[section.pk], []).append(section)
    return grouped


def sections_in(group: str) -> list[Section]:
    """Every section in `group`, with its building."""
    return by_group(Section.objects.all()).get(group, [])


def refresh_lookups(now: datetime | None = None) -> int:
    """Ask Yasno for the groups of buildings that need a look-up and have none fresh
    (older than SCHEDULE_LOOKUP_HOURS, or asked with other queries); returns how many were
    asked. A look-up that Yasno cannot answer now keeps what was found before."""
    now = now or timezone.now()
    stale_before = now - timedelta(hours=settings.SCHEDULE_LOOKUP_HOURS)
    asked = 0
    for building in Building.objects.filter(schedule_group="").prefetch_related("sections", "schedule_lookups"):
        wanted = lookup_queries(building)
        if all(section.schedule_group for section in building.sections.all()):
            wanted = {}
        known = {lookup.section_number: lookup for lookup in building.schedule_lookups.all()}
        AddressLookup.objects.filter(building=building).exclude(section_number__in=list(wanted)).delete()
        for number, (street, houses) in wanted.items():
            lookup = known.get(number)
            houses_text = "|".join(houses)
            if (
                lookup is not None
                and lookup.street_query == street
                and lookup.house_queries == houses_text
                and lookup.looked_up_at >= stale_before
            ):
                continue
            asked += 1
            try:
                group, problem = yasno.find_group(street, houses), ""
            except yasno.LookupProblem as exc:
                group, problem = "", str(exc)
            except SourceError as exc:
                logger.warning("schedule group of building %s not looked up: Yasno %s", building.pk, exc)
                continue
            AddressLookup.objects.update_or_create(
                building=building,
                section_number=number,
                defaults={
                    "street_query": street,
                    "house_queries": houses_text,
                    "group": group,
                    "problem": problem[:300],
                    "looked_up_at": now,
                },
            )
    return asked
