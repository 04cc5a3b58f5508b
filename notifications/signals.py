"""What residents should hear of (a power event, a schedule change, an alert starting or
ending) is announced once its transaction commits."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver

from alerts.models import Alert
from notifications.outbox import is_news
from notifications.tasks import announce, announce_alert, announce_schedule_change
from powerbot.queueing import after_commit
from schedules.models import ScheduleChange
from sensors.models import PowerEvent


@receiver(post_save, sender=PowerEvent, dispatch_uid="announce_power_event")
def announce_power_event(sender: type[PowerEvent], instance: PowerEvent, created: bool, **kwargs: Any) -> None:
    # Only news is queued: a mass silence records hundreds of held events in one tick. A
    # broker that is down fails neither the heartbeat nor the detector tick that recorded the
    # change, nor holds them up; the sweep announce_missed queues it within 30 s.
    if created and is_news(instance):
        after_commit(announce, instance.pk)


@receiver(post_save, sender=ScheduleChange, dispatch_uid="announce_schedule_change")
def announce_schedule(sender: type[ScheduleChange], instance: ScheduleChange, created: bool, **kwargs: Any) -> None:
    # The same: the sweep queues it if the broker is down now.
    if created:
        after_commit(announce_schedule_change, instance.pk)


@receiver(post_save, sender=Alert, dispatch_uid="announce_alert")
def announce_alert_change(sender: type[Alert], instance: Alert, created: bool, **kwargs: Any) -> None:
    # An alert is saved when it opens and when it ends; as above, the sweep catches up.
    if instance.announced and (created or instance.ended_at is not None):
        after_commit(announce_alert, instance.pk, not created)
