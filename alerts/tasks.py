"""Background jobs of the alerts app: thin wrappers around alerts.services."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from celery.signals import worker_ready

from alerts import clients, services

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def poll_alerts() -> None:
    report = services.poll()
    for failure in report.failed:
        logger.warning("alert source failed (the last good answers stand while fresh): %s", failure)


@worker_ready.connect(weak=False, dispatch_uid="alerts.poll_when_a_worker_starts")
def poll_when_a_worker_starts(**kwargs: Any) -> None:
    """A deployed or restarted service knows the alert state at once, not a poll later."""
    if clients.enabled():
        poll_alerts.delay()
