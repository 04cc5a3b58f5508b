"""The power-state engine: turns sensors going online and offline into section power
transitions, recorded once each however many workers see them.

Power-on is seen at the first heartbeat after silence (from the heartbeat path, one
conditional write when the sensor was offline). Power-off is found by the detector,
run every SENSOR_CHECK_INTERVAL_SEC, which only asks the index for online sensors past
their deadline. When the detector itself has not run for longer than the timeout, the
server was down: silence during the gap proves nothing, so silent sensors get a fresh
timeout instead of being declared off.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from buildings.models import Section
from sensors.models import DetectorClock, PowerCause, PowerEvent, SectionPower, Sensor, SensorTransition
from sensors.status import SectionStatus, section_statuses, sections_counting, sensor_timeout


@dataclass
class DetectorReport:
    server_was_down: bool = False
    granted_fresh_timeout: int = 0
    went_offline: int = 0
    events: list[PowerEvent] = field(default_factory=list)


def sensor_heard(sensor_id: int, now: datetime, also_sections: Iterable[int] = ()) -> list[PowerEvent]:
    """After a heartbeat of a sensor that was offline (or new, or moved): take it online
    and record what that changes. `also_sections` are sections it just left."""
    if Sensor.objects.filter(pk=sensor_id, online=False).update(online=True, online_since=now):
        SensorTransition.objects.create(sensor_id=sensor_id, online=True, at=now)
    sections = sections_counting([sensor_id]) | set(also_sections)
    return record_section_states(sections, now, PowerCause.HEARTBEAT)


def detect_offline(now: datetime | None = None) -> DetectorReport:
    """One detector tick: take sensors past their deadline offline and record the result."""
    now = now or timezone.now()
    report = DetectorReport(server_was_down=_tick_clock(now))
    if report.server_was_down:
        report.granted_fresh_timeout = Sensor.objects.filter(online=True, offline_after__lte=now).update(
            offline_after=now + sensor_timeout()
        )
    due = Sensor.objects.filter(online=True, offline_after__lte=now)
    if not due.exists():
        return report  # the quiet tick: three indexed queries, whatever the fleet's size
    with transaction.atomic():
        # Row locks keep two detectors from taking the same sensor (PostgreSQL); on SQLite
        # the IMMEDIATE transaction serialises them whole.
        expired = list(due.select_for_update(skip_locked=True).values_list("pk", "last_heartbeat"))
        if not expired:
            return report
        Sensor.objects.filter(pk__in=[pk for pk, _ in expired]).update(online=False)
        SensorTransition.objects.bulk_create(
            SensorTransition(sensor_id=pk, online=False, at=last or now) for pk, last in expired
        )
    report.went_offline = len(expired)
    report.events = record_section_states(sections_counting(pk for pk, _ in expired), now, PowerCause.TIMEOUT)
    return report


def record_section_states(
    section_ids: Iterable[int], now: datetime, cause: PowerCause, reason: str = ""
) -> list[PowerEvent]:
    """Compare each section's computed status with its recorded state; record changes."""
    section_ids = set(section_ids)
    recorded = {power.section_id: power for power in SectionPower.objects.filter(section_id__in=section_ids)}
    events = []
    for status in section_statuses(Section.objects.filter(pk__in=section_ids), now):
        event = _record(status, recorded.get(status.section.pk), now, cause, reason)
        if event is not None:
            events.append(event)
    return events


def _record(status: SectionStatus, power: SectionPower | None, now: datetime, cause: PowerCause,
            reason: str) -> PowerEvent | None:
    at = status.since or now
    if power is None:
        # A section seen for the first time is initialised without telling anyone.
        try:
            with transaction.atomic():
                SectionPower.objects.create(section=status.section, state=status.state, since=status.since)
                return PowerEvent.objects.create(
                    section=status.section, sequence=1, state=status.state, at=at, cause=PowerCause.INITIAL
                )
        except IntegrityError:
            return None  # another worker initialised it first
    if power.state == status.state:
        return None
    with transaction.atomic():
        changed = SectionPower.objects.filter(pk=power.pk, version=power.version).update(
            state=status.state, since=status.since, version=power.version + 1
        )
        if not changed:
            return None  # another worker recorded this change first
        return PowerEvent.objects.create(
            section=status.section, sequence=power.version + 1, state=status.state, at=at, cause=cause,
            previous_state=power.state, previous_since=power.since, reason=reason,
        )


def _tick_clock(now: datetime) -> bool:
    """Note this tick; True when the previous one is older than the timeout (or none)."""
    previous = DetectorClock.objects.filter(pk=1).values_list("last_tick_at", flat=True).first()
    if previous is None:
        try:
            with transaction.atomic():
                DetectorClock.objects.create(pk=1, last_tick_at=now)
        except IntegrityError:
            pass  # another detector started at the same moment
        return True
    DetectorClock.objects.filter(pk=1, last_tick_at__lt=now).update(last_tick_at=now)
    return now - previous > sensor_timeout()
