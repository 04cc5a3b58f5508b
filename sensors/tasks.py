"""Background jobs of the sensors app: thin wrappers around sensors.power."""

import logging

from celery import shared_task

from sensors.power import detect_offline

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def detect_offline_sensors() -> None:
    report = detect_offline()
    if report.server_was_down:
        logger.warning("detector gap longer than the timeout: %d silent sensors got a fresh timeout",
                       report.granted_fresh_timeout)
    if report.went_offline:
        logger.info("%d sensors went offline, %d section changes", report.went_offline, len(report.events))
