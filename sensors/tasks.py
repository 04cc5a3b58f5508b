"""Background jobs of the sensors app: thin wrappers around sensors.power and sensors.retention."""

import logging

from celery import shared_task

from sensors import retention
from sensors.power import detect_offline

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def detect_offline_sensors() -> None:
    report = detect_offline()
    if report.server_was_down:
        logger.warning(
            "detector gap longer than the timeout: %d silent sensors got a fresh timeout", report.granted_fresh_timeout
        )
    if report.mass_silence is not None:
        logger.warning("mass silence since %s: power-off transitions are held", report.mass_silence.started_at)
    if report.went_offline:
        logger.info("%d sensors went offline, %d section changes", report.went_offline, len(report.events))


@shared_task(ignore_result=True)
def prune_telemetry() -> None:
    pruned = retention.prune_telemetry()
    logger.info(
        "retention: %d sensor transitions deleted, telemetry of %d silent sensors cleared",
        pruned.transitions,
        pruned.telemetry_cleared,
    )
