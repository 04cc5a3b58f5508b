"""Background jobs of the ops app: thin wrappers around ops.alerts."""

from celery import shared_task

from notifications.tasks import deliver
from ops import alerts


@shared_task(ignore_result=True)
def check_operator_alerts() -> None:
    if alerts.check():
        deliver.delay()
