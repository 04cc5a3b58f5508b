"""Operator actions on sensors, shared by the admin, the mapping files and the bot."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from sensors.models import PowerCause, Sensor
from sensors.power import record_section_states
from sensors.status import online_expression, sections_counting


def pin(sensors: QuerySet[Sensor], operator: str = "") -> int:
    """Pin each sensor to its current section: reported building/section are then ignored.
    A sensor awaiting approval is approved by it."""
    approve(sensors, operator)
    return sensors.filter(canonical=False).update(canonical=True)


def approve(sensors: QuerySet[Sensor], operator: str = "", now: datetime | None = None) -> int:
    """Let new sensors awaiting approval count for their sections."""
    ids = list(sensors.filter(awaiting_approval=True).values_list("pk", flat=True))
    approved = Sensor.objects.filter(pk__in=ids).update(awaiting_approval=False, enabled=True)
    record_section_states(
        sections_counting(ids), now or timezone.now(), PowerCause.OPERATOR, reason="sensor approved", operator=operator
    )
    return approved


def unpin(sensors: QuerySet[Sensor]) -> int:
    return sensors.filter(canonical=True).update(canonical=False)


def freeze(
    sensors: QuerySet[Sensor], duration: timedelta | None, operator: str = "", now: datetime | None = None
) -> int:
    """Hold each sensor at the value it has now, for `duration` or (None) until unfrozen."""
    now = now or timezone.now()
    until = now + duration if duration is not None else None
    ids = list(sensors.values_list("pk", flat=True))
    # One statement: each row's new value is computed from that row as it is now.
    frozen = Sensor.objects.filter(pk__in=ids).update(frozen_is_up=online_expression(now), frozen_until=until)
    record_section_states(sections_counting(ids), now, PowerCause.OPERATOR, reason="sensor frozen", operator=operator)
    return frozen


def unfreeze(sensors: QuerySet[Sensor], operator: str = "", now: datetime | None = None) -> int:
    ids = list(sensors.filter(frozen_is_up__isnull=False).values_list("pk", flat=True))
    thawed = Sensor.objects.filter(pk__in=ids).update(frozen_is_up=None, frozen_until=None)
    record_section_states(
        sections_counting(ids), now or timezone.now(), PowerCause.OPERATOR, reason="sensor unfrozen", operator=operator
    )
    return thawed
