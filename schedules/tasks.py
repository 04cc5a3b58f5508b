"""Background jobs of the schedules app: thin wrappers around schedules.services."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from celery.signals import worker_ready
from django.conf import settings

from powerbot.sources import SourceError
from schedules import groups, services

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def poll_yasno() -> None:
    try:
        report = services.poll_yasno()
    except SourceError as exc:
        logger.warning("Yasno schedules not fetched (the last good data stays): %s", exc)
    else:
        if report is not None and (report.created or report.changed):
            logger.info(
                "Yasno schedules: %d new days, %d changed, %d changes announced",
                report.created,
                report.changed,
                len(report.news),
            )
    if asked := groups.refresh_lookups():
        logger.info("Yasno address look-up asked for %d buildings' groups", asked)


@worker_ready.connect(weak=False, dispatch_uid="schedules.poll_when_a_worker_starts")
def poll_when_a_worker_starts(**kwargs: Any) -> None:
    """A deployed or restarted service shows current schedules at once, not a poll later
    (Celery beat's first run of an interval is one interval after it starts)."""
    if settings.YASNO_ENABLED:
        poll_yasno.delay()
