"""Background jobs of the notifications app: thin wrappers around outbox and delivery."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from notifications import delivery, outbox

logger = logging.getLogger(__name__)

MISSED_EVENTS_WINDOW = timedelta(hours=1)  # older news is not news any more


@shared_task(ignore_result=True)
def announce(event_id: int) -> None:
    outbox.announce(event_id, first_batch_queued=deliver.delay)


@shared_task(ignore_result=True)
def announce_missed() -> None:
    if missed := outbox.announce_missed(MISSED_EVENTS_WINDOW):
        logger.warning("announced %d power events, schedule changes and alerts whose trigger was lost", missed)
        deliver.delay()


@shared_task(ignore_result=True)
def announce_schedule_change(change_id: int) -> None:
    outbox.announce_schedule_change(change_id, first_batch_queued=deliver.delay)


@shared_task(ignore_result=True)
def announce_alert(alert_id: int, ending: bool) -> None:
    outbox.announce_alert(alert_id, ending, first_batch_queued=deliver.delay)


@shared_task(ignore_result=True)
def queue_broadcast(broadcast_id: int) -> None:
    outbox.queue_broadcast(broadcast_id, first_batch_queued=deliver.delay)


@shared_task(ignore_result=True)
def remind_planned_outages() -> None:
    if outbox.remind_planned_outages():
        deliver.delay()


@shared_task(ignore_result=True)
def prune_outbox() -> None:
    if pruned := outbox.prune():
        logger.info("pruned %d sent, skipped and failed messages past OUTBOX_RETENTION_DAYS", pruned)


@shared_task(ignore_result=True)
def deliver() -> None:
    report = delivery.deliver()
    if report.sent or report.failed or report.retried:
        logger.info("sent %d, retried %d, failed %d", report.sent, report.retried, report.failed)
    if report.ran and (due := outbox.next_due()) is not None and due <= timezone.now():
        deliver.delay()  # more is due: go on in a fresh task, so a restart loses nothing
