"""Background jobs of the weather app: thin wrappers around weather.services."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from celery.signals import worker_ready

from weather import clients, services

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def poll_weather() -> None:
    for failure in services.poll().failed:
        logger.warning("weather source failed (the last good observations stand): %s", failure)


@worker_ready.connect(weak=False, dispatch_uid="weather.poll_when_a_worker_starts")
def poll_when_a_worker_starts(**kwargs: Any) -> None:
    """A fresh deployment shows the weather at once, not a beat later."""
    if clients.enabled() is not None:
        poll_weather.delay()
