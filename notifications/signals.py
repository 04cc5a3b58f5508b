"""A recorded power event residents should hear of is announced once its transaction commits."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from notifications.outbox import is_news
from notifications.tasks import announce
from sensors.models import PowerEvent


@receiver(post_save, sender=PowerEvent, dispatch_uid="announce_power_event")
def announce_power_event(sender: type[PowerEvent], instance: PowerEvent, created: bool, **kwargs: Any) -> None:
    # Only news is queued: a mass silence records hundreds of held events in one tick.
    if created and is_news(instance):
        transaction.on_commit(lambda: announce.delay(instance.pk))
