"""The Celery app: tasks are found in each app's tasks.py, settings come from CELERY_*."""

import os

from celery import Celery
from celery.signals import setup_logging

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "powerbot.settings")

app = Celery("powerbot")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@setup_logging.connect
def _logging_is_django_s(**kwargs: object) -> None:
    """Celery leaves logging alone: Django's LOGGING (powerbot.logs) formats every process alike."""
