"""What the engine recorded for a section, in the shape the power tests compare."""

from __future__ import annotations

from buildings.models import Section
from sensors.models import PowerEvent, SectionPower


def events(building: int = 10, number: int = 1) -> list[tuple[str, str]]:
    section = Section.objects.get(building_id=building, number=number)
    return [(e.state, e.cause) for e in PowerEvent.objects.filter(section=section).order_by("sequence")]


def recorded(building: int = 10, number: int = 1) -> str:
    return SectionPower.objects.get(section__building_id=building, section__number=number).state
