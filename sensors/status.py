"""Power status inferred from heartbeats, computed at read time.

A sensor is online while its last heartbeat is younger than SENSOR_TIMEOUT_SEC (a frozen
sensor counts as its frozen value instead). A section is up while any sensor counting
for it is online: its own sensors, sensors aliased to it in the admin, and sensors of
the sections listed in SENSOR_ALIAS_<B>_<S>. Aliases do not recurse: a sensor counts
for another section only through its own physical section or a direct alias.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import BooleanField, Case, ExpressionWrapper, F, Min, Q, QuerySet, Value, When
from django.utils import timezone

from buildings.models import Section
from sensors.models import PowerCause, PowerState, Sensor, SensorAlias


@dataclass(frozen=True)
class SectionStatus:
    section: Section
    state: PowerState
    since: datetime | None
    sensors_online: int
    sensors_total: int
    # False while the section is up only through sensors heard for less than
    # POWER_ON_CONFIRM_SEC: the engine waits before recording power back on.
    confirmed: bool = True
    # Why the recorded state is what it is (recorded_section_statuses); None when computed.
    cause: PowerCause | None = None


def sensor_timeout() -> timedelta:
    return timedelta(seconds=settings.SENSOR_TIMEOUT_SEC)


def frozen_condition(now: datetime) -> Q:
    """A sensor is frozen while it has a frozen value and its freeze has not run out."""
    return Q(frozen_is_up__isnull=False) & (Q(frozen_until__isnull=True) | Q(frozen_until__gt=now))


def online_expression(now: datetime) -> Case:
    """The one definition of "this sensor is online at `now`", evaluated by the database.

    A sensor is online until its deadline, offline_after: its last heartbeat plus
    SENSOR_TIMEOUT_SEC, or later when the detector granted a fresh timeout after the
    server itself was down.

    Computed in SQL so the read list of thousands of sensors needs no per-row Python,
    and so the API, the admin and the bot can never disagree about it.
    """
    return Case(
        When(enabled=False, then=Value(False)),
        When(frozen_condition(now), then=F("frozen_is_up")),
        When(offline_after__gt=now, then=Value(True)),
        default=Value(False),
        output_field=BooleanField(),
    )


def with_online(sensors: QuerySet[Sensor], now: datetime | None = None) -> QuerySet[Sensor]:
    """`sensors` annotated with `is_up`."""
    return sensors.annotate(is_up=online_expression(now or timezone.now()))


def with_frozen(sensors: QuerySet[Sensor], now: datetime | None = None) -> QuerySet[Sensor]:
    """`sensors` annotated with `is_frozen`."""
    return sensors.annotate(
        is_frozen=ExpressionWrapper(frozen_condition(now or timezone.now()), output_field=BooleanField())
    )


def public_sensor_states(now: datetime) -> list[tuple[int, bool]]:
    """(public id, is_up) of every enabled sensor at `now`, in id order.

    The ORM builds the query; running it directly skips the per-row converters, which
    cost more than the query itself for a list of thousands (rows are an int and a bool).
    """
    query = with_online(Sensor.objects.filter(enabled=True), now).order_by("id").values_list("id", "is_up").query  # type: ignore[misc]  # is_up: with_online's annotation
    with connection.cursor() as cursor:
        cursor.execute(*query.sql_with_params())
        return [(pk, bool(is_up)) for pk, is_up in cursor.fetchall()]


def next_state_change(now: datetime) -> datetime | None:
    """The first moment after `now` when an enabled sensor's is_up changes with nothing
    written: a deadline or the end of a freeze (a frozen sensor's deadline counts too, so
    this is never late). Everything else that changes the list is a write, and renews the
    list's version (sensors.models.writing_sensors)."""
    found = Sensor.objects.filter(enabled=True).aggregate(
        deadline=Min("offline_after", filter=Q(offline_after__gt=now)),
        thaw=Min("frozen_until", filter=Q(frozen_until__gt=now)),
    )
    return min((moment for moment in found.values() if moment is not None), default=None)


def public_sensor_state(pk: int) -> tuple[int, bool] | None:
    return with_online(Sensor.objects.filter(pk=pk, enabled=True)).values_list("id", "is_up").first()  # type: ignore[misc]  # is_up: with_online's annotation


def section_statuses(sections: Iterable[Section], now: datetime | None = None) -> list[SectionStatus]:
    """The status of each section, in the order given, with two queries in all."""
    now = now or timezone.now()
    sections = list(sections)
    target_by_ref = {(s.building_id, s.number): s.pk for s in sections}
    counted_for: dict[int, set[int]] = {s.pk: set() for s in sections}  # section pk -> sensor pks

    # Sections named in SENSOR_ALIAS_* whose sensors count for one of ours.
    env_targets: dict[tuple[int, int], list[int]] = defaultdict(list)
    for target_ref, sources in settings.SENSOR_SECTION_ALIASES.items():
        if target_ref in target_by_ref:
            for source in sources:
                env_targets[source].append(target_by_ref[target_ref])

    aliased = list(SensorAlias.objects.filter(section__in=sections).order_by().values_list("sensor_id", "section_id"))
    query = Q(section__in=sections) | Q(pk__in={sensor_id for sensor_id, _ in aliased})
    for building_id, number in env_targets:
        query |= Q(section__building_id=building_id, section__number=number)
    sensors = {
        row[0]: row
        for row in with_frozen(  # type: ignore[misc]  # is_up: with_online's annotation
            with_online(Sensor.objects.filter(query, enabled=True).order_by(), now), now
        ).values_list(
            "pk",
            "section_id",
            "section__building_id",
            "section__number",
            "is_up",
            "last_heartbeat",
            "online_since",
            "is_frozen",
        )
    }
    for pk, section_id, building_id, number, *_ in sensors.values():
        if section_id in counted_for:
            counted_for[section_id].add(pk)
        for target in env_targets.get((building_id, number), ()):
            counted_for[target].add(pk)
    for sensor_id, section_id in aliased:
        if sensor_id in sensors:
            counted_for[section_id].add(sensor_id)

    return [_section_status(section, [sensors[pk] for pk in counted_for[section.pk]], now) for section in sections]


def _section_status(section: Section, rows: list[tuple[Any, ...]], now: datetime) -> SectionStatus:
    online = [row for row in rows if row[4]]
    confirmed = True
    if not any(row[5] is not None or row[7] for row in rows):
        # No sensor, or none heard from yet (a board just added): no sign of power either way.
        state, since = PowerState.UNKNOWN, None
    elif online:
        # Up since the earliest current run of heartbeats (frozen sensors have none).
        starts = [row[6] for row in online if row[6] is not None]
        state, since = PowerState.UP, min(starts, default=None)
        confirm_before = now - timedelta(seconds=settings.POWER_ON_CONFIRM_SEC)
        confirmed = any(row[7] or row[6] is None or row[6] <= confirm_before for row in online)
    else:
        # Down since the last sign of power from any of its sensors.
        seen = [row[5] for row in rows if row[5] is not None]
        state, since = PowerState.DOWN, max(seen, default=None)
    return SectionStatus(section, state, since, len(online), len(rows), confirmed)


def sections_counting(sensor_ids: Iterable[int]) -> set[int]:
    """The sections these sensors count for: their own, admin aliases, SENSOR_ALIAS_*."""
    sensor_ids = list(sensor_ids)
    own = Sensor.objects.filter(pk__in=sensor_ids).values_list("section_id", "section__building_id", "section__number")
    section_ids = {section_id for section_id, _, _ in own}
    section_ids |= set(SensorAlias.objects.filter(sensor_id__in=sensor_ids).values_list("section_id", flat=True))
    refs = {(building_id, number) for _, building_id, number in own}
    targets = [target for target, sources in settings.SENSOR_SECTION_ALIASES.items() if refs & set(sources)]
    if targets:
        query = Q()
        for building_id, number in targets:
            query |= Q(building_id=building_id, number=number)
        section_ids |= set(Section.objects.filter(query).values_list("pk", flat=True))
    return section_ids
