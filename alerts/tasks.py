"""Background jobs of the alerts app: thin wrappers around alerts.services."""

from __future__ import annotations

import logging

from celery import shared_task

from alerts import services

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def poll_alerts() -> None:
    report = services.poll()
    for failure in report.failed:
        logger.warning("alert source failed (the last good answers stand while fresh): %s", failure)
