"""Operators' controls of notifications: the global pause switch, stopping subscribers."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from notifications.models import NotificationPause, Subscriber


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


def deactivate(subscribers: QuerySet[Subscriber], reason: str) -> int:
    """Stop writing to these chats: they blocked the bot, are gone, or an operator said so."""
    return subscribers.filter(active=True).update(active=False, deactivated_reason=reason[:200])
