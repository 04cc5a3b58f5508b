"""Who hears what: operators' controls (the global pause, stopping chats) and residents'
choices (sections followed, language, quiet hours), made by the admin and the bot alike."""

from __future__ import annotations

from datetime import datetime, time

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from buildings.models import Section
from notifications.models import NotificationPause, Subscriber, Subscription


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
    return bool(
        NotificationPause.objects.filter(open=True).update(open=False, ended_at=now or timezone.now(), ended_by=by)
    )


def deactivate(subscribers: QuerySet[Subscriber], reason: str) -> int:
    """Stop writing to these chats: they blocked the bot, are gone, or an operator said so."""
    return subscribers.filter(active=True).update(active=False, deactivated_reason=reason[:200])


# --- What residents choose, through the bot -----------------------------------------------


def language_for(code: str | None) -> str:
    """One of our languages for a Telegram language code ("en-GB" -> "en"); the default otherwise."""
    short = (code or "").split("-")[0].lower()
    return short if short in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def chat_subscriber(chat_id: int, name: str = "", language_code: str | None = None) -> Subscriber:
    """The chat's subscriber; created at its first word to the bot, in the user's language."""
    subscriber, _ = Subscriber.objects.get_or_create(
        chat_id=chat_id,
        defaults={"name": name[:200], "language": language_for(language_code)},
    )
    return subscriber


def reactivate(subscriber: Subscriber) -> None:
    """The chat started the bot again: it wants messages again, whoever stopped them."""
    if not subscriber.active:
        Subscriber.objects.filter(pk=subscriber.pk).update(active=True, deactivated_reason="")
        subscriber.active, subscriber.deactivated_reason = True, ""


def follow(subscriber: Subscriber, section: Section) -> bool:
    """Follow the section's power changes; False when it was followed already (then with
    power notifications switched back on). Safe against the same resident's follow or unfollow
    at the same moment (two taps, the bot and the Mini App): of two first follows one made it,
    and a row another request removed meanwhile is made again without a conflict."""
    followed_already = Subscription.objects.filter(subscriber=subscriber, section=section)
    if followed_already.update(power=True):
        return False
    try:
        with transaction.atomic():
            Subscription.objects.create(subscriber=subscriber, section=section)
        return True
    except IntegrityError:
        pass  # another request made it just now
    if followed_already.update(power=True):
        return False
    Subscription.objects.bulk_create([Subscription(subscriber=subscriber, section=section)], ignore_conflicts=True)
    return True  # it had been removed again in between: made anew


def followed(subscriber: Subscriber) -> list[Subscription]:
    """The chat's subscriptions with their sections and buildings, by building name and section."""
    return list(
        subscriber.subscriptions.select_related("section__building").order_by(
            "section__building__name", "section__number"
        )
    )


def unfollow(subscriber: Subscriber, section_id: int | None = None) -> int:
    """Stop following one section, or every section; the number of sections dropped."""
    subscriptions = subscriber.subscriptions.all()
    if section_id is not None:
        subscriptions = subscriptions.filter(section_id=section_id)
    return subscriptions.delete()[0]


def toggle_power(subscriber: Subscriber, section_id: int) -> bool | None:
    """Switch power notifications of one followed section; the new value, None if not followed."""
    subscription = subscriber.subscriptions.filter(section_id=section_id).first()
    if subscription is None:
        return None
    return set_power(subscriber, section_id, not subscription.power)


def set_power(subscriber: Subscriber, section_id: int, on: bool) -> bool | None:
    """Power notifications of one followed section on or off; None if it is not followed."""
    if not subscriber.subscriptions.filter(section_id=section_id).update(power=on):
        return None
    return on


TOGGLES = ("broadcasts", "hold_in_quiet_hours", "schedule_notices", "alert_notices")
REMINDER_CHOICES = (None, 15, 30, 60, 120)


def toggle(subscriber: Subscriber, preference: str) -> bool:
    """Switch one of the chat's yes/no preferences; the new value."""
    if preference not in TOGGLES:
        raise ValueError(f"{preference!r} is not one of {TOGGLES}")
    return set_preference(subscriber, preference, not getattr(subscriber, preference))


def set_preference(subscriber: Subscriber, preference: str, value: bool) -> bool:
    """Set one of the chat's yes/no preferences (TOGGLES); the value set."""
    if preference not in TOGGLES:
        raise ValueError(f"{preference!r} is not one of {TOGGLES}")
    setattr(subscriber, preference, value)
    subscriber.save(update_fields=[preference])
    return value


def set_language(subscriber: Subscriber, language: str) -> None:
    if language not in dict(settings.LANGUAGES):
        raise ValueError(f"{language!r} is not one of {[code for code, _ in settings.LANGUAGES]}")
    subscriber.language = language
    subscriber.save(update_fields=["language"])


def set_quiet_hours(subscriber: Subscriber, start: time | None, end: time | None) -> None:
    """Quiet hours from `start` to `end` (across midnight when end < start); None, None: none."""
    if (start is None) != (end is None) or (start is not None and start == end):
        raise ValueError("Quiet hours need a start and an end that differ.")
    subscriber.quiet_start, subscriber.quiet_end = start, end
    subscriber.save(update_fields=["quiet_start", "quiet_end"])


def next_reminder(subscriber: Subscriber) -> int | None:
    """Switch the reminder before planned outages to the next of REMINDER_CHOICES (off, 15
    minutes, 30, ...); the new value."""
    current = subscriber.schedule_reminder
    index = REMINDER_CHOICES.index(current) if current in REMINDER_CHOICES else 0
    return set_reminder(subscriber, REMINDER_CHOICES[(index + 1) % len(REMINDER_CHOICES)])


def set_reminder(subscriber: Subscriber, minutes: int | None) -> int | None:
    """The reminder before planned outages: one of REMINDER_CHOICES (None: no reminder)."""
    if minutes not in REMINDER_CHOICES:
        raise ValueError(f"{minutes!r} is not one of {REMINDER_CHOICES}")
    subscriber.schedule_reminder = minutes
    subscriber.save(update_fields=["schedule_reminder"])
    return minutes
