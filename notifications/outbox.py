"""The outbox: queuing notifications once per subscriber, and the rules each row is sent by.

A power event fans out to one Message per subscriber of its section; a broadcast to one
per subscriber in its audience. Unique constraints make a repeated fan-out harmless.
Each row is sent by exactly one sender: it is claimed with a lease, marked "sending"
right before the Telegram call and "sent" right after it, each a conditional update.
"""

from __future__ import annotations

import functools
import zoneinfo
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, TypedDict, TypeVar, cast

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, F, Max, Q, QuerySet
from django.utils import timezone
from django.utils.translation import override

from alerts import regions
from alerts.models import Alert
from buildings.models import Contact, Section, Shelter
from neighbours.services import answer_buttons
from notifications import services
from notifications.models import (
    MAX_REMINDER_MINUTES,
    AlertAnnouncement,
    Announcement,
    Broadcast,
    LastTold,
    Message,
    ScheduleAnnouncement,
    Subscriber,
)
from notifications.services import notifications_paused
from notifications.texts import alert_text, all_clear_text, power_text, reminder_text, schedule_change_text
from powerbot.db import delete_in_batches
from schedules import groups
from schedules import services as schedules
from schedules.days import Interval
from schedules.models import ScheduleChange
from sensors.models import PowerCause, PowerEvent, PowerState

if TYPE_CHECKING:  # a name of django-stubs only
    from django_stubs_ext import WithAnnotations

    class _InGroup(TypedDict):
        in_group: int

    class _InBuilding(TypedDict):
        in_building: int


# Residents hear of real changes; a first state, or one held by a guard, says nothing new.
ANNOUNCED_CAUSES = {
    PowerCause.HEARTBEAT,
    PowerCause.TIMEOUT,
    PowerCause.MQTT_WILL,
    PowerCause.OPERATOR,
    PowerCause.RESTORED,
}
ANNOUNCED_STATES = {PowerState.UP, PowerState.DOWN}
MESSAGE_LEASE = timedelta(seconds=60)
MAX_ATTEMPTS = 5
FANOUT_BATCH = 500
INTERRUPTED = "interrupted while sending: it may or may not have arrived"
PRUNE_BATCH = 5000  # short deletes: the sender and the fan-outs never wait long behind them
# Alerts residents hear of (not one under way when PowerBot first looked).
announced_alerts = Alert.objects.filter(announced=True)


def queued(subscriber: Subscriber, now: datetime, *, may_hold: bool = True, **fields: object) -> Message:
    """A new outbox row for `subscriber`, shaped by its quiet hours (held until they end if
    the subscriber chose so and `may_hold`, else sent without sound)."""
    quiet_until = subscriber.quiet_until(now)
    if quiet_until is not None and subscriber.hold_in_quiet_hours and may_hold:
        return Message(subscriber=subscriber, not_before=quiet_until, **fields)
    return Message(subscriber=subscriber, not_before=now, silent=quiet_until is not None, **fields)


def is_news(event: PowerEvent) -> bool:
    """Whether residents hear of this event at all."""
    return event.cause in ANNOUNCED_CAUSES and event.state in ANNOUNCED_STATES


def announce(
    event_id: int, now: datetime | None = None, first_batch_queued: Callable[[], object] = lambda: None
) -> int:
    """Queue a power event's message for each subscriber of its section, once; returns
    how many were queued now (in committed batches, see _fan_out)."""
    now = now or timezone.now()
    event = PowerEvent.objects.filter(pk=event_id).first()
    if event is None or not is_news(event) or Announcement.objects.filter(event=event).exists():
        return 0
    paused = notifications_paused()
    queued_now = 0
    if not paused:
        subscribers = Subscriber.objects.filter(
            active=True,
            subscriptions__section=event.section_id,
            subscriptions__power=True,
        ).order_by("pk")
        queued_now = _fan_out(
            subscribers, lambda s: queued(s, now, kind=Message.Kind.POWER, event=event), first_batch_queued
        )
    _, fresh = Announcement.objects.get_or_create(event=event, defaults={"paused": paused})
    return queued_now if fresh else 0


_Reader = TypeVar("_Reader", bound=Subscriber)  # a subscriber, perhaps with what the audience query added


def _fan_out(
    audience: QuerySet[_Reader],
    message_for: Callable[[_Reader], Message],
    first_batch_queued: Callable[[], object],
) -> int:
    """Queue `message_for(subscriber)` for each of `audience` (ordered by pk), FANOUT_BATCH at
    a time, each batch committed; `first_batch_queued` is called after the first, so the
    sender starts on them while the rest of a large audience is still being queued. Unique
    constraints make a repeat harmless; returns how many were new."""
    queued_now = 0
    for number, batch in enumerate(_batches(audience, FANOUT_BATCH)):
        queued_now += len(Message.objects.bulk_create([message_for(s) for s in batch], ignore_conflicts=True))
        if number == 0:
            first_batch_queued()
    return queued_now


def _batches(subscribers: QuerySet[_Reader], size: int) -> Iterator[list[_Reader]]:
    """Pages of `size`, each read whole before the caller writes: no cursor stays open
    across writes (SQLite cannot turn such a read into a write while another writer runs)."""
    last = 0
    while batch := list(subscribers.filter(pk__gt=last)[:size]):
        yield batch
        last = batch[-1].pk


def announce_missed(since: timedelta, now: datetime | None = None) -> int:
    """Announce the power events, schedule changes and alerts of the last `since` whose
    trigger was lost (a crash between the commit and the queue, a broker down), and queue the
    broadcasts sent whose messages were not all queued; returns how many."""
    now = now or timezone.now()
    missed = list(
        PowerEvent.objects.filter(
            recorded_at__gte=now - since,
            announcement__isnull=True,
            cause__in=ANNOUNCED_CAUSES,
            state__in=ANNOUNCED_STATES,
        )
        .order_by("id")
        .values_list("pk", flat=True)
    )
    for event_id in missed:
        announce(event_id, now)
    changes = list(
        ScheduleChange.objects.filter(recorded_at__gte=now - since, announcement__isnull=True)
        .order_by("id")
        .values_list("pk", flat=True)
    )
    for change_id in changes:
        announce_schedule_change(change_id, now)
    alerts = announced_alerts.filter(started_at__gte=now - since).exclude(announcements__ending=False)
    ended = announced_alerts.filter(ended_at__gte=now - since).exclude(announcements__ending=True)
    missed_alerts = [(pk, False) for pk in alerts.values_list("pk", flat=True)]
    missed_alerts += [(pk, True) for pk in ended.values_list("pk", flat=True)]
    for alert_id, ending in missed_alerts:
        announce_alert(alert_id, ending, now)
    broadcasts = list(
        Broadcast.objects.filter(queued_at__isnull=False, fanned_out_at__isnull=True).values_list("pk", flat=True)
    )  # an operator's message is sent however late
    for broadcast_id in broadcasts:
        queue_broadcast(broadcast_id, now)
    return len(missed) + len(changes) + len(missed_alerts) + len(broadcasts)


# --- Schedules: notices of changes, reminders before planned outages ---------------------


def _group_audience(
    sections: list[Section],
) -> tuple[QuerySet[WithAnnotations[Subscriber, _InGroup]], dict[int, zoneinfo.ZoneInfo]]:
    """Active subscribers following any of a group's sections, each with one of those sections
    (`in_group`, whose building's zone its notice is written in), oldest first; and the zones."""
    zones = {section.pk: section.building.tz for section in sections}
    following = Q(subscriptions__section__in=list(zones))
    audience = (
        Subscriber.objects.filter(following, active=True)
        .annotate(in_group=Max("subscriptions__section", filter=following))
        .order_by("pk")
    )
    return audience, zones


def announce_schedule_change(
    change_id: int, now: datetime | None = None, first_batch_queued: Callable[[], object] = lambda: None
) -> int:
    """Queue a schedule change's notice for each subscriber of its group who wants them,
    once; returns how many were queued now (in batches, as `announce`)."""
    now = now or timezone.now()
    change = ScheduleChange.objects.select_related("day").filter(pk=change_id).first()
    if change is None or ScheduleAnnouncement.objects.filter(change=change).exists():
        return 0
    audience, zones = _group_audience(groups.sections_in(change.day.group))
    text = functools.cache(lambda language, zone: schedule_change_text(change, zone, language))  # one per reader kind

    def notice(subscriber: WithAnnotations[Subscriber, _InGroup]) -> Message:
        return queued(
            subscriber,
            now,
            kind=Message.Kind.SCHEDULE,
            topic=f"schedule:{change.pk}",
            text=text(subscriber.language, zones[subscriber.in_group]),
        )

    queued_now = _fan_out(audience.filter(schedule_notices=True), notice, first_batch_queued)
    _, fresh = ScheduleAnnouncement.objects.get_or_create(change=change)
    return queued_now if fresh else 0


def remind_planned_outages(now: datetime | None = None) -> int:
    """Queue a reminder for each subscriber whose chosen minutes before a planned outage
    have come (once per subscriber and outage); returns how many were queued."""
    now = now or timezone.now()
    followed = Section.objects.filter(
        subscriptions__subscriber__active=True, subscriptions__subscriber__schedule_reminder__isnull=False
    ).distinct()
    horizon = now + timedelta(minutes=MAX_REMINDER_MINUTES + 1)
    queued_now = 0
    for group, sections in sorted(groups.by_group(followed).items()):
        for span in schedules.planned_spans(group, now, horizon + timedelta(days=1)):  # whole outages
            if now < span.start <= horizon:  # one under way already gets no reminder
                queued_now += _remind(group, sections, span, now)
    return queued_now


def _remind(group: str, sections: list[Section], span: Interval, now: datetime) -> int:
    audience, zones = _group_audience(sections)
    due = audience.filter(schedule_reminder__gte=(span.start - now).total_seconds() / 60)
    topic = f"reminder:{group}:{int(span.start.timestamp())}"
    # Held through quiet hours past the outage's start, it would only be news of the past.
    messages = [
        queued(
            subscriber,
            now,
            kind=Message.Kind.REMINDER,
            topic=topic,
            not_after=span.start,
            text=reminder_text(group, span, zones[subscriber.in_group], subscriber.language),
        )
        for subscriber in due.exclude(messages__topic=topic)
    ]
    return len(Message.objects.bulk_create(messages, ignore_conflicts=True, batch_size=1000))


# --- Air-raid alerts ---------------------------------------------------------------------


def announce_alert(
    alert_id: int, ending: bool, now: datetime | None = None, first_batch_queued: Callable[[], object] = lambda: None
) -> int:
    """Queue an alert's start (or all-clear) for each subscriber of a building in its region
    who wants alert notices, once; returns how many were queued now. Urgent: they go before
    other due messages, and quiet hours make them silent, never late."""
    now = now or timezone.now()
    alert = announced_alerts.select_related("region").filter(pk=alert_id).first()
    if (
        alert is None
        or (ending and alert.ended_at is None)
        or AlertAnnouncement.objects.filter(alert=alert, ending=ending).exists()
    ):
        return 0
    if not ending and alert.ended_at is not None:  # over already: its all-clear is the news
        AlertAnnouncement.objects.get_or_create(alert=alert, ending=False)
        return 0
    buildings = {building.pk: building for building in regions.buildings_in(alert.region.uid)}
    nearest: dict[int, Shelter] = {}
    for shelter in Shelter.objects.filter(building__in=list(buildings)):  # nearest first, per the model's order
        nearest.setdefault(shelter.building_id, shelter)
    following = Q(subscriptions__section__building__in=list(buildings))
    audience: QuerySet[WithAnnotations[Subscriber, _InBuilding]] = (
        Subscriber.objects.filter(following, active=True, alert_notices=True)
        .annotate(in_building=Max("subscriptions__section__building", filter=following))
        .order_by("pk")
    )

    @functools.cache  # one text per language and building, however many read it
    def text(language: str, building_id: int) -> str:
        building = buildings[building_id]
        return (
            all_clear_text(alert, building, language)
            if ending
            else alert_text(alert, building, nearest.get(building_id), language)
        )

    topic = f"alert:{alert.pk}:{'end' if ending else 'start'}"

    def notice(subscriber: WithAnnotations[Subscriber, _InBuilding]) -> Message:
        return queued(
            subscriber,
            now,
            may_hold=False,
            kind=Message.Kind.ALERT,
            alert=alert,
            topic=topic,
            urgent=True,
            text=text(subscriber.language, subscriber.in_building),
        )

    queued_now = _fan_out(audience, notice, first_batch_queued)
    _, fresh = AlertAnnouncement.objects.get_or_create(alert=alert, ending=ending)
    return queued_now if fresh else 0


def notify_operators(topic: str, text: Callable[[], str], now: datetime | None = None) -> int:
    """Queue an operator alert to each of ADMIN_TELEGRAM_IDS, once per topic; `text` is called
    in each operator's language. Never held by the notification pause or quiet hours, and
    never sent to anyone else. How many were queued now."""
    now = now or timezone.now()
    messages = []
    for chat_id in sorted(settings.ADMIN_TELEGRAM_IDS):
        # An operator who never wrote to the bot gets a chat of their own, with no broadcasts.
        operator, _ = Subscriber.objects.get_or_create(chat_id=chat_id, defaults={"broadcasts": False})
        with override(operator.language):
            message = queued(operator, now, may_hold=False, kind=Message.Kind.OPERATOR, topic=topic, text=text())
        message.urgent = True  # ahead of whatever waits: a stuck sender's backlog, say
        messages.append(message)
    return len(Message.objects.bulk_create(messages, ignore_conflicts=True))


def broadcast_audience(broadcast: Broadcast) -> QuerySet[Subscriber]:
    """Active subscribers who accept broadcasts: all, or those following the building or section."""
    audience = Subscriber.objects.filter(active=True, broadcasts=True)
    if broadcast.section_id is not None:
        audience = audience.filter(subscriptions__section=broadcast.section_id)
    elif broadcast.building_id is not None:
        audience = audience.filter(subscriptions__section__building=broadcast.building_id)
    return audience.distinct()


def send_broadcast(broadcast: Broadcast, now: datetime | None = None) -> bool:
    """An operator's "Send now": mark the broadcast queued, once (False when it already was).
    Its messages are queued by queue_broadcast, in a task, in committed batches: never inside
    the request, whose transaction would hold SQLite's write lock for the whole audience."""
    return bool(
        Broadcast.objects.filter(pk=broadcast.pk, queued_at__isnull=True).update(queued_at=now or timezone.now())
    )


def queue_broadcast(
    broadcast_id: int, now: datetime | None = None, first_batch_queued: Callable[[], object] = lambda: None
) -> int:
    """Queue a sent broadcast's message for each subscriber of its audience, FANOUT_BATCH at a
    time, each batch committed; returns how many were queued now. Repeating it (a retried
    task, the sweep) queues nothing twice."""
    now = now or timezone.now()
    broadcast = Broadcast.objects.filter(pk=broadcast_id, queued_at__isnull=False, fanned_out_at__isnull=True).first()
    if broadcast is None:
        return 0
    queued_now = _fan_out(
        broadcast_audience(broadcast).order_by("pk"),
        lambda s: queued(s, now, kind=Message.Kind.BROADCAST, broadcast=broadcast),
        first_batch_queued,
    )
    Broadcast.objects.filter(pk=broadcast.pk).update(fanned_out_at=timezone.now())
    return queued_now


def requeue(messages: QuerySet[Message], now: datetime | None = None) -> int:
    """Queue failed messages again (an operator's decision: an interrupted one may arrive twice),
    with their tries counted afresh: one that gave up after network errors gets its backoff
    again, not a single try."""
    return messages.filter(state=Message.State.FAILED).update(
        state=Message.State.PENDING, not_before=now or timezone.now(), lease_until=None, attempts=0
    )


def broadcast_progress(broadcast: Broadcast) -> dict[str, int]:
    """How many of the broadcast's messages are in each state."""
    counts = dict(broadcast.messages.order_by().values("state").annotate(n=Count("pk")).values_list("state", "n"))
    return {state: counts.get(state, 0) for state in Message.State.values}


# --- The sender's side ------------------------------------------------------------------


@dataclass(frozen=True)
class Told:
    """A power message's news: the subscriber now knows this section's state."""

    subscriber_id: int
    section_id: int
    state: str
    sequence: int


@dataclass(frozen=True)
class Outgoing:
    pk: int
    chat_id: int
    text: str
    silent: bool
    told: Told | None = None
    buttons: tuple[tuple[tuple[str, str], ...], ...] = ()  # (label, callback data) rows


def claim(limit: int, now: datetime | None = None) -> list[tuple[int, int]]:
    """Lease up to `limit` due rows to this sender: (message id, chat id), urgent first, then oldest first."""
    now = now or timezone.now()
    due = Message.objects.filter(
        Q(lease_until__isnull=True) | Q(lease_until__lt=now), state=Message.State.PENDING, not_before__lte=now
    )
    with transaction.atomic():
        rows = list(
            due.order_by("-urgent", "not_before", "id")
            .select_for_update(skip_locked=True)
            .values_list("pk", "subscriber__chat_id")[:limit]
        )
        Message.objects.filter(pk__in=[pk for pk, _ in rows]).update(lease_until=now + MESSAGE_LEASE)
    return rows


def release(message_ids: list[int]) -> None:
    """Give claimed rows that were not sent back to the next sender at once."""
    Message.objects.filter(pk__in=message_ids, state=Message.State.PENDING).update(lease_until=None)


def depth() -> dict[str, int]:
    """Messages not yet sent (queued or being sent), by kind."""
    waiting = Message.objects.filter(state__in=[Message.State.PENDING, Message.State.SENDING])
    return dict(waiting.order_by().values_list("kind").annotate(n=Count("pk")))


def overdue(late: timedelta, now: datetime | None = None) -> int:
    """Queued messages that came due longer than `late` ago and are still not sent."""
    return Message.objects.filter(state=Message.State.PENDING, not_before__lt=(now or timezone.now()) - late).count()


def next_due() -> datetime | None:
    return (
        Message.objects.filter(state=Message.State.PENDING)
        .order_by("not_before")
        .values_list("not_before", flat=True)
        .first()
    )


def prepare(message_id: int) -> Outgoing | None:
    """The text to send now, or None when the row is skipped: its subscriber is gone,
    its section changed again since (the newer change has its own message), or the
    subscriber was last told this very state, or the row was deleted since it was claimed."""
    message = (
        Message.objects.select_related(
            "subscriber",
            "broadcast",
            "alert",
            "event__section__building",
            "event__section__power",
        )
        .filter(pk=message_id)
        .first()
    )
    if message is None:
        return None
    if not message.subscriber.active:
        _skip(message, "the subscriber is inactive")
        return None
    if message.kind == Message.Kind.BROADCAST:
        assert message.broadcast is not None  # a broadcast's messages are deleted with it
        text = message.broadcast.text
    elif message.not_after is not None and timezone.now() >= message.not_after:
        _skip(message, "too late: what it is about has begun")
        return None
    elif message.alert_id is not None and (stale := _stale_alert(message)):
        _skip(message, stale)
        return None
    elif message.topic:
        text = message.text  # written when queued
    else:
        event = message.event
        assert event is not None  # a power change's messages are deleted with it
        if event.section.power.version != event.sequence:
            _skip(message, "superseded by a newer change")
            return None
        last_told = (
            LastTold.objects.filter(subscriber=message.subscriber_id, section=event.section_id)
            .values_list("state", flat=True)
            .first()
        )
        if last_told == event.state:
            _skip(message, "nothing new since the last message")
            return None
        planned, has_plan = _planned_context(event)
        language = message.subscriber.language
        told = Told(message.subscriber_id, event.section_id, event.state, event.sequence)
        if event.state != PowerState.DOWN:
            text = power_text(event, language, planned, has_plan)
            return Outgoing(message.pk, message.subscriber.chat_id, text, message.silent, told)
        # Power off: whom to call, and "do you have heating / water?" for the neighbours.
        text = power_text(event, language, planned, has_plan, _electrician(event))
        with override(language):
            buttons = tuple(tuple(row) for row in answer_buttons(event.section_id, on_notice=True))
        return Outgoing(message.pk, message.subscriber.chat_id, text, message.silent, told, buttons)
    return Outgoing(message.pk, message.subscriber.chat_id, text, message.silent)


def _stale_alert(message: Message) -> str:
    """Why an alert notice is no longer the truth ("" while it is): the alert ended before its
    start was sent, or another began before its all-clear was."""
    alert = message.alert
    assert alert is not None  # an alert's messages are deleted with it
    if message.topic.endswith(":start"):
        return "the alert ended before its notice left" if alert.ended_at is not None else ""
    if Alert.objects.filter(region=alert.region_id, started_at__gt=alert.started_at).exists():
        return "another alert began before the all-clear left"
    return ""


def _planned_context(event: PowerEvent) -> tuple[Interval | None, bool]:
    """The planned outage a power change falls in (for power back: the one its outage began
    in), and whether the day had a schedule at all; worked out once per event, however many
    subscribers hear of it."""
    began = event.previous_since if event.state == PowerState.UP and event.previous_since else event.at
    planned = cache.get_or_set(
        f"notifications.planned:{event.pk}", lambda: schedules.planned_outage_at(event.section, began), 3600
    )
    return cast("tuple[Interval | None, bool]", planned)  # the cache holds what the default returned


def _electrician(event: PowerEvent) -> Contact | None:
    """The building's electrician named on its power-off notices: looked up once per event,
    however many subscribers hear of it."""
    found = cache.get_or_set(
        f"notifications.electrician:{event.pk}",
        lambda: (Contact.objects.filter(building=event.section.building_id, role=Contact.Role.ELECTRICIAN).first(),),
        3600,
    )
    return cast("tuple[Contact | None]", found)[0]  # a tuple: a cached None would read as a miss


def _skip(message: Message, why: str) -> None:
    Message.objects.filter(pk=message.pk, state=Message.State.PENDING).update(
        state=Message.State.SKIPPED, error=why, lease_until=None
    )


def mark_sending(outgoing: Outgoing) -> bool:
    """Right before the Telegram call: from here on, a crash leaves the row ambiguous."""
    return bool(
        Message.objects.filter(pk=outgoing.pk, state=Message.State.PENDING).update(
            state=Message.State.SENDING,
            text=outgoing.text,
            attempts=F("attempts") + 1,
            lease_until=timezone.now() + MESSAGE_LEASE,
        )
    )


def mark_sent(outgoing: Outgoing) -> None:
    Message.objects.filter(pk=outgoing.pk, state=Message.State.SENDING).update(
        state=Message.State.SENT, sent_at=timezone.now(), lease_until=None, error=""
    )
    # A later change told already stays the last.
    if (told := outgoing.told) is not None and not LastTold.objects.filter(
        subscriber=told.subscriber_id, section=told.section_id, sequence__lt=told.sequence
    ).update(state=told.state, sequence=told.sequence):
        LastTold.objects.bulk_create(
            [
                LastTold(
                    subscriber_id=told.subscriber_id,
                    section_id=told.section_id,
                    state=told.state,
                    sequence=told.sequence,
                )
            ],
            ignore_conflicts=True,
        )


def prune(now: datetime | None = None) -> int:
    """Delete messages done with (sent, skipped, failed) older than OUTBOX_RETENTION_DAYS;
    how many. What the rules still need is kept apart (LastTold, the announcements)."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.OUTBOX_RETENTION_DAYS)
    done = Message.objects.filter(
        created_at__lt=cutoff, state__in=[Message.State.SENT, Message.State.SKIPPED, Message.State.FAILED]
    )
    return delete_in_batches(done, PRUNE_BATCH)


def retry_later(message_id: int, delay: timedelta, why: str) -> None:
    Message.objects.filter(pk=message_id, state=Message.State.SENDING).update(
        state=Message.State.PENDING, not_before=timezone.now() + delay, lease_until=None, error=why[:300]
    )


def retry_with_backoff(message_id: int, why: str) -> bool:
    """After a network error: try again later (2, 4, 8... s), or fail after MAX_ATTEMPTS.
    Returns whether it will be retried."""
    attempts = Message.objects.filter(pk=message_id).values_list("attempts", flat=True).first()
    if attempts is None:
        return False  # deleted meanwhile (its subscriber was, or an operator removed it)
    if attempts >= MAX_ATTEMPTS:
        fail(message_id, f"gave up after {attempts} attempts: {why}")
        return False
    retry_later(message_id, timedelta(seconds=min(2**attempts, 300)), why)
    return True


def fail(message_id: int, why: str) -> None:
    Message.objects.filter(pk=message_id).exclude(state=Message.State.SENT).update(
        state=Message.State.FAILED, lease_until=None, error=why[:300]
    )


def deactivate(message_id: int, why: str) -> None:
    """The chat is gone (blocked the bot, deleted, deactivated): stop writing to it."""
    with transaction.atomic():
        services.deactivate(Subscriber.objects.filter(messages=message_id), why)
        fail(message_id, why)


def fail_interrupted(now: datetime | None = None) -> int:
    """Rows left "sending" by a sender that died mid-call. Telegram may have delivered
    them, so they are not sent again (never twice); they are failed, visibly."""
    return Message.objects.filter(state=Message.State.SENDING, lease_until__lt=now or timezone.now()).update(
        state=Message.State.FAILED, lease_until=None, error=INTERRUPTED
    )
