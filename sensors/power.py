"""The power-state engine: turns sensors going online and offline into section power
transitions, recorded once each however many workers see them.

Power-on is seen at the first heartbeat after silence (from the heartbeat path, one
conditional write when the sensor was offline), or with POWER_ON_CONFIRM_SEC at the first
heartbeat that long into the run, so a flicker of power tells nobody anything. Power-off
is found by the detector, run every SENSOR_CHECK_INTERVAL_SEC, which asks for online
sensors past their deadline (a read of the sensor table: no index holds the deadline, which
every heartbeat moves).

Two guards keep the server's own trouble from being announced as an outage:
- when the detector has not run for longer than the timeout, the server was down:
  silence during the gap proves nothing, so silent sensors get a fresh timeout;
- when a large share of sensors in several buildings falls silent at once (a
  MassSilence), sections that would go down are held as unknown until the silence has
  not been massive for a whole timeout; then each gets its true state, cause "restored".
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q, Subquery, Value
from django.db.models.functions import Least
from django.utils import timezone

from buildings.models import Section
from powerbot.logs import log_event
from sensors.models import (
    DetectorClock,
    MassSilence,
    PowerCause,
    PowerEvent,
    PowerState,
    SectionPower,
    Sensor,
    SensorTransition,
)
from sensors.status import SectionStatus, section_statuses, sections_counting, sensor_timeout

logger = logging.getLogger(__name__)


class SectionBusy(Exception):
    pass


@dataclass
class DetectorReport:
    server_was_down: bool = False
    granted_fresh_timeout: int = 0
    went_offline: int = 0
    mass_silence: MassSilence | None = None
    events: list[PowerEvent] = field(default_factory=list)


@dataclass(frozen=True)
class Silence:
    """Sensors heard lately (`active`), how many of them are silent, in how many buildings."""

    active: int
    silent: int
    buildings: int

    @property
    def is_massive(self) -> bool:
        return (
            settings.MASS_SILENCE_MIN_SENSORS > 0
            and self.silent >= settings.MASS_SILENCE_MIN_SENSORS
            and self.buildings >= settings.MASS_SILENCE_MIN_BUILDINGS
            and self.silent * 100 >= self.active * settings.MASS_SILENCE_PERCENT
        )


@transaction.atomic
def sensor_heard(sensor_id: int, now: datetime, also_sections: Iterable[int] = ()) -> list[PowerEvent]:
    """After a heartbeat of a sensor that was offline (or new, or moved): take it online
    and record what that changes. `also_sections` are sections it just left.

    One transaction: a sensor taken online whose sections were not recomputed (the
    connection lost in between) would leave them down for good, as its next heartbeats
    find it online and recompute nothing."""
    if Sensor.objects.filter(pk=sensor_id, online=False).update(online=True, online_since=now):
        SensorTransition.objects.create(sensor_id=sensor_id, online=True, at=now)
    sections = sections_counting([sensor_id]) | set(also_sections)
    return record_section_states(sections, now, PowerCause.HEARTBEAT)


def confirms_power_on(online_since: datetime | None, previous_heartbeat: datetime | None, now: datetime) -> bool:
    """Whether the heartbeat at `now` is the one that completes POWER_ON_CONFIRM_SEC of
    an online run: exactly one heartbeat of each run is, so this costs nothing otherwise."""
    confirm = timedelta(seconds=settings.POWER_ON_CONFIRM_SEC)
    if not confirm or online_since is None or previous_heartbeat is None:
        return False
    return previous_heartbeat - online_since < confirm <= now - online_since


def power_on_confirmed(sensor_id: int, now: datetime) -> list[PowerEvent]:
    return record_section_states(sections_counting([sensor_id]), now, PowerCause.HEARTBEAT)


@transaction.atomic
def detect_offline(now: datetime | None = None) -> DetectorReport:
    """One detector tick: take sensors past their deadline offline, let sensors whose
    freeze ran out count as themselves again, and record the result.

    One transaction, so a tick cut short (the database restarting, the worker killed)
    leaves nothing half done: sensors taken offline with their sections not recomputed
    would never be looked at again (the next tick asks only for online sensors), and a
    tick clock moved past freezes that ended unseen would forget them. The clock row it
    updates first also makes a second detector wait for the first to finish."""
    now = now or timezone.now()
    server_was_down, silence_id, last_tick_at = _tick_clock(now)
    report = DetectorReport(server_was_down=server_was_down)
    if report.server_was_down:
        report.granted_fresh_timeout = Sensor.objects.filter(online=True, offline_after__lte=now).update(
            offline_after=now + sensor_timeout()
        )
    due = Sensor.objects.filter(online=True, offline_after__lte=now)
    thawed = Sensor.objects.filter(frozen_until__gt=last_tick_at or now, frozen_until__lte=now)
    if silence_id is None and not (due | thawed).exists():
        return report  # the quiet tick: two queries and one write, whatever the fleet's size

    silence = MassSilence.objects.filter(pk=silence_id, open=True).first() if silence_id else None
    if silence is None:
        measured = measure_silence(now - mass_silence_window(), now)
        if measured.is_massive:
            silence = _open_mass_silence(measured, now)
    report.mass_silence = silence

    # Row locks keep a heartbeat's write of a sensor waiting until its section is recorded
    # (PostgreSQL); on SQLite the IMMEDIATE transaction serialises the tick whole.
    expired = list(due.select_for_update(skip_locked=True).values_list("pk", "last_heartbeat", "last_will_at"))
    if expired:
        Sensor.objects.filter(pk__in=[pk for pk, _, _ in expired]).update(online=False)
        SensorTransition.objects.bulk_create(
            SensorTransition(sensor_id=pk, online=False, at=last or now) for pk, last, _ in expired
        )
    report.went_offline = len(expired)
    thawed_ids = list(thawed.values_list("pk", flat=True))
    down_sections = sections_counting(pk for pk, _, _ in expired) if expired else set()
    # Sections whose board's connection died (its will came after its last heartbeat), not
    # merely went quiet: the residents' notice says which.
    will_sections = sections_counting(pk for pk, last, will in expired if _by_will(last, will)) if expired else set()
    thawed_sections = sections_counting(thawed_ids) if thawed_ids else set()
    # A release of the mass silence (below) records the held sections.
    held = held_sections() if silence is not None else set()
    # Everything this tick may record, locked at once: recorded set by set, a heartbeat
    # locking two of them in between (an alias) would wait for the tick while the tick
    # waits for it.
    lock_sections(down_sections | thawed_sections | held)
    if expired:
        report.events = record_section_states(will_sections, now, PowerCause.MQTT_WILL, hold=silence is not None)
        report.events += record_section_states(
            down_sections - will_sections, now, PowerCause.TIMEOUT, hold=silence is not None
        )
    if thawed_ids:
        report.events += record_section_states(
            thawed_sections,
            now,
            PowerCause.OPERATOR,
            reason="sensor freeze ended",
            hold=silence is not None,
        )
    if silence is not None:
        report.events += _review_mass_silence(silence, now)
    return report


def _by_will(last_heartbeat: datetime | None, last_will_at: datetime | None) -> bool:
    return last_will_at is not None and (last_heartbeat is None or last_will_at > last_heartbeat)


# A will that comes this soon after the board was heard is older than what was heard: with
# several subscribers, a reconnecting board's `online` may be handled before the will its
# old connection left (the broker fires it at the takeover). A real will follows 1.5
# keep-alives of silence.
WILL_AFTER_SILENCE = timedelta(seconds=3)


def will_fired(uuid: str, now: datetime) -> bool:
    """A board's last will (MQTT): its connection died without a goodbye. The sensor falls due
    MQTT_WILL_SETTLE_SEC later, for the detector to take offline under every guard a timeout
    has, unless the board is heard again first (a reconnect). Whether it was taken as such:
    not for a sensor unknown, offline, heard just now, or already told of this silence."""
    due = now + timedelta(seconds=settings.MQTT_WILL_SETTLE_SEC)
    sensor = Sensor.objects.by_uuid(uuid)
    taken = sensor.filter(
        Q(last_will_at__isnull=True) | Q(last_will_at__lte=F("last_heartbeat")),
        online=True,
        last_heartbeat__lt=now - WILL_AFTER_SILENCE,
    ).update(offline_after=Least("offline_after", Value(due)), last_will_at=now)
    if not taken:
        sensor.update(last_will_at=now)  # for the operators' record all the same
    return bool(taken)


def wills_withdrawn(since: datetime) -> int:
    """Take back the wills taken since `since`, of sensors not yet taken offline: a broker
    that stops fires every board's will before it drops our own connection, and boards it
    drops are no more without power than the rest. Their heartbeats' timeouts decide."""
    return Sensor.objects.filter(online=True, last_will_at__gte=since, last_will_at__gt=F("last_heartbeat")).update(
        offline_after=F("last_heartbeat") + sensor_timeout()
    )


def mass_silence_window() -> timedelta:
    return timedelta(seconds=settings.MASS_SILENCE_WINDOW_SEC)


def measure_silence(since: datetime, now: datetime) -> Silence:
    """How many of the sensors heard since `since` are silent at `now`, in one query.

    A sensor counts as silent a little before its deadline (half a timeout at most):
    boards cut off together expire over a heartbeat interval or two, and the first to
    expire must already see the rest of them.
    """
    lookahead = min(mass_silence_window(), sensor_timeout() / 2)
    silent = Q(offline_after__lte=now + lookahead)
    counts = Sensor.objects.filter(enabled=True, offline_after__gt=since).aggregate(
        active=Count("pk"),
        silent=Count("pk", filter=silent),
        buildings=Count("section__building_id", filter=silent, distinct=True),
    )
    return Silence(**counts)


def release_mass_silence(silence: MassSilence, now: datetime, by: str = "") -> list[PowerEvent]:
    """End the hold: every held section gets its true state now, cause "restored"."""
    if not MassSilence.objects.filter(pk=silence.pk, open=True).update(open=False, ended_at=now, ended_by=by):
        return []  # another detector, or an operator, ended it first
    logger.warning("mass silence from %s ended; held sections get their true state", silence.started_at)
    return record_section_states(held_sections(), now, PowerCause.RESTORED)


def held_sections() -> set[int]:
    """The sections a mass silence holds as unknown."""
    return set(SectionPower.objects.filter(cause=PowerCause.GUARD).values_list("section_id", flat=True))


def _open_mass_silence(measured: Silence, now: datetime) -> MassSilence:
    try:
        with transaction.atomic():
            silence = MassSilence.objects.create(
                started_at=now,
                silent_sensors=measured.silent,
                active_sensors=measured.active,
                buildings=measured.buildings,
            )
    except IntegrityError:
        return MassSilence.objects.get(open=True)  # another detector saw it first
    logger.error(
        "MASS SILENCE: %d of %d sensors in %d buildings fell silent together; holding power-off "
        "transitions (sections show unknown) until they return. Check the server's network.",
        measured.silent,
        measured.active,
        measured.buildings,
    )
    return silence


def _review_mass_silence(silence: MassSilence, now: datetime) -> list[PowerEvent]:
    """Hold while the silence is massive; release a whole timeout after it stopped being so."""
    massive = measure_silence(silence.started_at - mass_silence_window(), now).is_massive
    if massive:
        if silence.recovering_since is not None:
            MassSilence.objects.filter(pk=silence.pk).update(recovering_since=None)
        return []
    if silence.recovering_since is None:
        MassSilence.objects.filter(pk=silence.pk, recovering_since__isnull=True).update(recovering_since=now)
        return []
    if now - silence.recovering_since < sensor_timeout():
        return []
    return release_mass_silence(silence, now)


def record_section_states(
    section_ids: Iterable[int],
    now: datetime,
    cause: PowerCause,
    *,
    reason: str = "",
    operator: str = "",
    hold: bool = False,
) -> list[PowerEvent]:
    """Compare each section's computed status with its recorded state; record changes.

    With `hold` (a mass silence is open), a section that would go down is recorded as
    unknown, cause "guard", and nobody is told.
    """
    section_ids = set(section_ids)
    events = []
    with transaction.atomic():
        # The sections' rows are locked before their sensors are read, so whoever records
        # last computed from the sensors as they are then: a heartbeat taking a sensor online
        # while the detector takes it offline cannot leave the section "down" with its
        # sensor online (the detector's state, computed first, written last). "Then" is when
        # the locks are held, not when the caller read the clock: a heartbeat that waited
        # behind the detector must not count a sensor up whose deadline passed meanwhile
        # (the detector took it offline, and no later tick looks at it again).
        recorded = lock_sections(section_ids)
        now = max(now, timezone.now())
        for status in section_statuses(Section.objects.filter(pk__in=section_ids), now):
            event = _record(status, recorded.get(status.section.pk), now, cause, hold, reason=reason, operator=operator)
            if event is not None:
                events.append(event)
    return events


def lock_sections(section_ids: Iterable[int]) -> dict[int, SectionPower]:
    """Lock the sections' recorded states, in one order (by pk), so two recorders never wait
    for each other in a circle; inside a transaction. On SQLite the IMMEDIATE transaction
    serialises writers whole. Returns the recorded state by section id."""
    locked = SectionPower.objects.select_for_update().filter(section_id__in=set(section_ids)).order_by("pk")
    return {power.section_id: power for power in locked}


def recorded_section_statuses(sections: Iterable[Section], now: datetime | None = None) -> list[SectionStatus]:
    """Each section's status with the state the engine recorded, which is what residents
    were told: it holds through a mass silence, a pending confirmation or an operator's
    correction. Sensor counts are live."""
    statuses = section_statuses(sections, now)
    recorded = SectionPower.objects.filter(section__in=[s.section for s in statuses]).values_list(
        "section_id", "state", "since", "cause"
    )
    by_section = {section_id: (state, since, cause) for section_id, state, since, cause in recorded}
    return [
        replace(
            status,
            state=PowerState(by_section[status.section.pk][0]),
            since=by_section[status.section.pk][1],
            cause=PowerCause(by_section[status.section.pk][2]),
        )
        if status.section.pk in by_section
        else status
        for status in statuses
    ]


def set_section_state(
    section: Section, state: PowerState, reason: str, operator: str, now: datetime | None = None
) -> PowerEvent:
    """An operator's correction of the recorded state. The sensors' next transition
    records their state again; to hold a section against its sensors, freeze them."""
    now = now or timezone.now()
    for _ in range(3):  # a concurrent change wins the race; the operator's then follows it
        power = SectionPower.objects.filter(section=section).first()
        event = _write(section, power, state, now, now, PowerCause.OPERATOR, reason=reason, operator=operator)
        if event is not None:
            return event
    raise SectionBusy(f"{section} kept changing while its state was being set; try again.")


def _record(
    status: SectionStatus, power: SectionPower | None, now: datetime, cause: PowerCause, hold: bool, **note: str
) -> PowerEvent | None:
    state, since = status.state, status.since
    if power is None:
        # A section seen for the first time is initialised without telling anyone.
        return _write(status.section, None, state, since, since or now, PowerCause.INITIAL, **note)
    if state == PowerState.UP and not status.confirmed and power.state != PowerState.UP:
        return None  # back on too briefly to say so: wait for POWER_ON_CONFIRM_SEC
    if hold and state == PowerState.DOWN:
        state, since, cause = PowerState.UNKNOWN, now, PowerCause.GUARD
    elif power.cause == PowerCause.GUARD:
        cause = PowerCause.RESTORED
    if power.state == state:
        if cause == PowerCause.RESTORED:  # held, and truly unknown: no longer held, nothing to tell
            SectionPower.objects.filter(pk=power.pk, version=power.version).update(cause=cause)
        return None
    return _write(status.section, power, state, since, since or now, cause, **note)


def _write(
    section: Section,
    power: SectionPower | None,
    state: PowerState,
    since: datetime | None,
    at: datetime,
    cause: PowerCause,
    *,
    reason: str = "",
    operator: str = "",
) -> PowerEvent | None:
    """Record a transition: a conditional update of the section's state (insert for the
    first) and its event, together. None when another worker recorded a change first."""
    try:
        with transaction.atomic():
            if power is None:
                SectionPower.objects.create(section=section, state=state, since=since, cause=cause)
                sequence = 1
            else:
                sequence = power.version + 1
                if not SectionPower.objects.filter(pk=power.pk, version=power.version).update(
                    state=state, since=since, cause=cause, version=sequence
                ):
                    return None
            event = PowerEvent.objects.create(
                section=section,
                sequence=sequence,
                state=state,
                at=at,
                cause=cause,
                reason=reason,
                operator=operator,
                previous_state=power.state if power else "",
                previous_since=power.since if power else None,
            )
            transaction.on_commit(lambda: _log_change(event, section))
            return event
    except IntegrityError:
        return None  # another worker initialised the section first


def _log_change(event: PowerEvent, section: Section) -> None:
    log_event(
        logger,
        "power_changed",
        building=section.building_id,
        section=section.number,
        state=event.state,
        previous=event.previous_state or "-",
        cause=event.cause,
        at=event.at.isoformat(),
        sequence=event.sequence,
        reason=event.reason or "-",
    )


def last_tick() -> datetime | None:
    """When the offline detector last ran (None: never)."""
    return DetectorClock.objects.filter(pk=1).values_list("last_tick_at", flat=True).first()


DETECTOR_GRACE = timedelta(seconds=30)


def detector_late(ticked: datetime | None, now: datetime) -> bool:
    """Whether the detector, which last ran at `ticked`, has missed three of its ticks and a
    grace: no outage is being found (a worker or beat down, or the database out of its reach).
    One that never ran is not late: a fresh deployment's first seconds."""
    limit = 3 * timedelta(seconds=settings.SENSOR_CHECK_INTERVAL_SEC) + DETECTOR_GRACE
    return ticked is not None and now - ticked > limit


def _tick_clock(now: datetime) -> tuple[bool, int | None, datetime | None]:
    """Note this tick. Returns whether the previous one is older than the timeout (or
    there was none: a first start), the open mass silence, read in the same query, and
    when the previous tick was."""
    open_silence = MassSilence.objects.filter(open=True).values("pk")[:1]
    previous = (
        DetectorClock.objects.filter(pk=1)
        .annotate(silence=Subquery(open_silence))
        .values_list("last_tick_at", "silence")
        .first()
    )
    if previous is None:
        try:
            with transaction.atomic():
                DetectorClock.objects.create(pk=1, last_tick_at=now)
        except IntegrityError:
            pass  # another detector started at the same moment
        return True, MassSilence.objects.filter(open=True).values_list("pk", flat=True).first(), None
    last_tick_at, silence_id = previous
    DetectorClock.objects.filter(pk=1, last_tick_at__lt=now).update(last_tick_at=now)
    return now - last_tick_at > sensor_timeout(), silence_id, last_tick_at
