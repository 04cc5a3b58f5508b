"""Operator actions on sensors, shared by the admin, the mapping files and the bot."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from sensors.models import Sensor
from sensors.status import online_expression


def pin(sensors: QuerySet[Sensor]) -> int:
    """Pin each sensor to its current section: reported building/section are then ignored."""
    return sensors.filter(canonical=False).update(canonical=True)


def unpin(sensors: QuerySet[Sensor]) -> int:
    return sensors.filter(canonical=True).update(canonical=False)


def freeze(sensors: QuerySet[Sensor], duration: timedelta | None, now: datetime | None = None) -> int:
    """Hold each sensor at the value it has now, for `duration` or (None) until unfrozen."""
    now = now or timezone.now()
    until = now + duration if duration is not None else None
    # One statement: each row's new value is computed from that row as it is now.
    return sensors.update(frozen_is_up=online_expression(now), frozen_until=until)


def unfreeze(sensors: QuerySet[Sensor]) -> int:
    return sensors.filter(frozen_is_up__isnull=False).update(frozen_is_up=None, frozen_until=None)
