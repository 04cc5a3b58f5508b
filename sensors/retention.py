"""Pruning of raw sensor data past TELEMETRY_RETENTION_DAYS. Section power events are the
history residents and statistics rely on; they are never pruned."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from powerbot.db import delete_in_batches
from sensors.models import Sensor, SensorTransition

logger = logging.getLogger(__name__)

BATCH_SIZE = 5000  # short deletes, so heartbeats never wait long behind the pruning


@dataclass(frozen=True)
class Pruned:
    transitions: int
    telemetry_cleared: int


def prune_telemetry(now: datetime | None = None, batch_size: int = BATCH_SIZE) -> Pruned:
    cutoff = (now or timezone.now()) - timedelta(days=settings.TELEMETRY_RETENTION_DAYS)
    deleted = delete_in_batches(SensorTransition.objects.filter(at__lt=cutoff), batch_size)
    if deleted:
        logger.info("pruned %d sensor transitions older than %s", deleted, cutoff)
    # The last telemetry of a sensor silent since before the cutoff, and where it was.
    cleared = (
        Sensor.objects.filter(last_heartbeat__lt=cutoff)
        .exclude(telemetry={}, last_ip__isnull=True)
        .update(telemetry={}, last_ip=None)
    )
    return Pruned(deleted, cleared)
