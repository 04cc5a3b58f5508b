"""The Celery app: tasks are found in each app's tasks.py, settings come from CELERY_*."""

import os

from celery import Celery
from celery.signals import setup_logging
from django.conf import settings
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "powerbot.settings")

app = Celery("powerbot")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@setup_logging.connect
def _logging_is_django_s(**kwargs: object) -> None:
    """Celery leaves logging alone: Django's LOGGING (powerbot.logs) formats every process alike."""


def declare_queues() -> None:
    """Create the broker's queues, before the processes that use them start together.

    kombu's SQLAlchemy transport (the embedded broker) makes a queue's row at its first use,
    looking for it first under a lock that holds within one process only: a worker and a
    sender starting at once can both insert it, and the one that loses dies on the unique
    constraint (kombu_queue.name). Made here first, by the one process that starts them, each
    finds its queue there. Redis needs none of this, and declaring there is harmless.
    """
    names = {app.conf.task_default_queue} | {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()}
    with app.connection_for_write() as connection:
        for name in sorted(names):
            Queue(name).bind(connection.default_channel).declare()
