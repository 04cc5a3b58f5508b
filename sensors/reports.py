"""What a resident's status card and an operator's fleet summary show, from the recorded
state (what residents were told) and live sensor counts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from buildings.models import Building, Section
from sensors.history import Period, SectionStats, section_stats
from sensors.models import MassSilence, PowerState, SectionPower, Sensor
from sensors.power import recorded_section_statuses
from sensors.status import SectionStatus, with_online


@dataclass(frozen=True)
class SectionReport:
    status: SectionStatus  # the recorded state; sensor counts are live
    building_online: int
    building_total: int
    today: SectionStats


@dataclass(frozen=True)
class FleetSummary:
    buildings: int
    sensors: int
    sensors_offline: int
    sections_up: int
    sections_down: int
    sections_unknown: int
    mass_silence: MassSilence | None


def section_reports(sections: Iterable[Section], now: datetime | None = None) -> list[SectionReport]:
    now = now or timezone.now()
    statuses = recorded_section_statuses(sections, now)
    online: Counter[int] = Counter()
    total: Counter[int] = Counter()
    buildings = {status.section.building_id for status in statuses}
    in_buildings = Sensor.objects.filter(section__building__in=buildings, enabled=True).order_by()
    for building_id, is_up in with_online(in_buildings, now).values_list("section__building_id", "is_up"):  # type: ignore[misc]  # is_up: with_online's annotation
        total[building_id] += 1
        online[building_id] += bool(is_up)
    return [
        SectionReport(
            status=status,
            building_online=online[status.section.building_id],
            building_total=total[status.section.building_id],
            today=section_stats(status.section, Period.DAY, now),
        )
        for status in statuses
    ]


def fleet_summary(now: datetime | None = None) -> FleetSummary:
    now = now or timezone.now()
    sensors = with_online(Sensor.objects.filter(enabled=True), now).aggregate(
        total=Count("pk"), offline=Count("pk", filter=Q(is_up=False))
    )
    states = Counter(SectionPower.objects.values_list("state", flat=True))
    return FleetSummary(
        buildings=Building.objects.count(),
        sensors=sensors["total"],
        sensors_offline=sensors["offline"],
        sections_up=states[PowerState.UP],
        sections_down=states[PowerState.DOWN],
        # A section never heard from has no recorded state yet: unknown too, as the read API says.
        sections_unknown=Section.objects.count() - states[PowerState.UP] - states[PowerState.DOWN],
        mass_silence=MassSilence.objects.filter(open=True).first(),
    )


def silent_boards(now: datetime) -> QuerySet[Sensor]:
    """Enabled sensors silent for OPERATOR_SILENT_SENSOR_HOURS while another sensor of their
    section is online: a board broken or unplugged, the commonest fault in the field. None
    while a mass silence is held: then silence says nothing of a board."""
    if MassSilence.objects.filter(open=True).exists():
        return Sensor.objects.none()
    quiet_since = now - timedelta(hours=settings.OPERATOR_SILENT_SENSOR_HOURS)
    beside = with_online(Sensor.objects.filter(section=OuterRef("section")), now)
    heard_beside = beside.filter(is_up=True)  # type: ignore[misc]  # is_up: with_online's annotation
    silent = with_online(Sensor.objects.filter(enabled=True, last_heartbeat__lt=quiet_since), now)
    return silent.filter(Exists(heard_beside), is_up=False).select_related("section__building")  # type: ignore[misc]  # is_up: with_online's annotation
