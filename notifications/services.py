"""The global switch that pauses power notifications, used by the admin and the bot."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from notifications.models import NotificationPause


class AlreadyPaused(Exception):
    pass


def notifications_paused() -> bool:
    return NotificationPause.objects.filter(open=True).exists()


def pause_notifications(reason: str, by: str, now: datetime | None = None) -> NotificationPause:
    """Pause power notifications until resumed; raises AlreadyPaused if they are."""
    try:
        with transaction.atomic():
            return NotificationPause.objects.create(started_at=now or timezone.now(), started_by=by, reason=reason)
    except IntegrityError:
        raise AlreadyPaused("Notifications are already paused.") from None


def resume_notifications(by: str, now: datetime | None = None) -> bool:
    """End the pause; False when there was none."""
    return bool(NotificationPause.objects.filter(open=True).update(open=False, ended_at=now or timezone.now(), ended_by=by))
