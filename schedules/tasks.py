"""Background jobs of the schedules app: thin wrappers around schedules.services."""

from __future__ import annotations

import logging

from celery import shared_task

from schedules import groups, services, yasno

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def poll_yasno() -> None:
    try:
        report = services.poll_yasno()
    except yasno.SourceError as exc:
        logger.warning("Yasno schedules not fetched (the last good data stays): %s", exc)
    else:
        if report.created or report.changed:
            logger.info("Yasno schedules: %d new days, %d changed, %d changes announced",
                        report.created, report.changed, len(report.news))
    if asked := groups.refresh_lookups():
        logger.info("Yasno address look-up asked for %d buildings' groups", asked)
