from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from alerts.models import Alert
from buildings.models import Building, Section
from schedules.models import ScheduleChange
from sensors.models import PowerEvent

TELEGRAM_TEXT_MAX_LENGTH = 4096
MAX_REMINDER_MINUTES = 180


class NotificationPause(models.Model):
    """A time when power notifications to residents were paused by an operator.

    Rows are the record of every pause; the open one (at most one) is the switch.
    """

    started_at = models.DateTimeField()
    started_by = models.CharField(max_length=150, blank=True)
    reason = models.CharField(max_length=200)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.CharField(max_length=150, blank=True)
    open = models.BooleanField(default=True, editable=False)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(fields=["open"], condition=models.Q(open=True), name="one_open_notification_pause"),
        ]

    def __str__(self) -> str:
        return f"pause from {self.started_at:%Y-%m-%d %H:%M}: {self.reason}"


class Subscriber(models.Model):
    """A Telegram chat that receives notifications."""

    chat_id = models.BigIntegerField(unique=True)
    name = models.CharField(max_length=200, blank=True)
    language = models.CharField(max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE)
    active = models.BooleanField(
        default=True,
        help_text="Inactive chats get nothing: they blocked the bot, or an operator stopped them.",
    )
    deactivated_reason = models.CharField(max_length=200, blank=True)
    broadcasts = models.BooleanField("operator broadcasts", default=True)
    quiet_start = models.TimeField(null=True, blank=True, help_text="Quiet hours, in TIME_ZONE; empty: none.")
    quiet_end = models.TimeField(null=True, blank=True)
    hold_in_quiet_hours = models.BooleanField(
        default=False,
        help_text="Hold messages until quiet hours end, instead of sending them without sound.",
    )
    schedule_notices = models.BooleanField(
        "schedule notices",
        default=True,
        help_text="Planned-outage schedules published or changed, emergency outages declared.",
    )
    schedule_reminder = models.PositiveSmallIntegerField(
        "reminder before planned outages",
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_REMINDER_MINUTES)],
        help_text="Minutes before a planned outage to be reminded; empty: no reminder.",
    )
    alert_notices = models.BooleanField(
        "air-raid alert notices",
        default=True,
        help_text="An alert starting and ending in a followed building's region (never held by quiet hours).",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quiet_start__isnull=True, quiet_end__isnull=True)
                | models.Q(quiet_start__isnull=False, quiet_end__isnull=False),
                name="subscriber_quiet_hours_complete",
            ),
        ]

    def __str__(self) -> str:
        return self.name or str(self.chat_id)

    def quiet_until(self, now: datetime) -> datetime | None:
        """The end of the quiet hours `now` falls in, or None outside them."""
        if self.quiet_start is None or self.quiet_end is None or self.quiet_start == self.quiet_end:
            return None
        local = timezone.localtime(now)
        start, end = self.quiet_start, self.quiet_end
        clock = local.time()
        inside = start <= clock < end if start < end else clock >= start or clock < end
        if not inside:
            return None
        end_day = local.date() if clock < end else local.date() + timedelta(days=1)
        return timezone.make_aware(datetime.combine(end_day, end))


class Subscription(models.Model):
    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="subscriptions")
    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="subscriptions")
    power = models.BooleanField("power changes", default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["subscriber", "section"], name="subscription_unique")]

    def __str__(self) -> str:
        return f"{self.subscriber} → {self.section}"


class Broadcast(models.Model):
    """An operator's message to all subscribers, a building's, or a section's."""

    text = models.TextField(max_length=TELEGRAM_TEXT_MAX_LENGTH)
    building = models.ForeignKey(
        Building,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text="Empty: every subscriber who accepts broadcasts.",
    )
    section = models.ForeignKey(
        Section,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text="Only this section's subscribers (the building is then ignored).",
    )
    created_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    queued_at = models.DateTimeField(null=True, blank=True, editable=False, help_text="Empty: a draft, not sent.")
    fanned_out_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When a message for each subscriber of its audience was queued.",
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.text[:60]


class Message(models.Model):
    """The outbox: one row per notification and subscriber, unique, so a repeated fan-out
    never duplicates. Rows are claimed with a lease by the one sender at a time."""

    class Kind(models.TextChoices):
        POWER = "power", "power change"
        BROADCAST = "broadcast", "broadcast"
        SCHEDULE = "schedule", "schedule notice"
        REMINDER = "reminder", "planned-outage reminder"
        ALERT = "alert", "air-raid alert notice"
        OPERATOR = "operator", "operator alert"  # to ADMIN_TELEGRAM_IDS only; never paused

    class State(models.TextChoices):
        PENDING = "pending", "queued"
        SENDING = "sending", "sending"
        SENT = "sent", "sent"
        SKIPPED = "skipped", "skipped"  # superseded by a newer change, or nothing new to say
        FAILED = "failed", "failed"

    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    event = models.ForeignKey(PowerEvent, null=True, blank=True, on_delete=models.CASCADE, related_name="messages")
    broadcast = models.ForeignKey(Broadcast, null=True, blank=True, on_delete=models.CASCADE, related_name="messages")
    alert = models.ForeignKey(Alert, null=True, blank=True, on_delete=models.CASCADE, related_name="messages")
    # What a schedule notice or reminder is about ("schedule:12", "reminder:3.1:1764950400"):
    # one message per subscriber and topic, however often it is queued. Its text is written
    # when it is queued.
    topic = models.CharField(max_length=64, blank=True)
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    not_before = models.DateTimeField(help_text="Not sent before this time (quiet hours, a retry's backoff).")
    not_after = models.DateTimeField(
        null=True, blank=True, help_text="Skipped if not sent by this time (a reminder whose outage has begun)."
    )
    silent = models.BooleanField(default=False, help_text="Sent without sound (quiet hours).")
    urgent = models.BooleanField(default=False, help_text="Sent before every other due message (air-raid alerts).")
    attempts = models.PositiveSmallIntegerField(default=0)
    lease_until = models.DateTimeField(null=True, blank=True)
    text = models.TextField(blank=True, help_text="As sent.")
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "subscriber"], name="message_unique_per_event", condition=models.Q(event__isnull=False)
            ),
            models.UniqueConstraint(
                fields=["broadcast", "subscriber"],
                name="message_unique_per_broadcast",
                condition=models.Q(broadcast__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["topic", "subscriber"], name="message_unique_per_topic", condition=~models.Q(topic="")
            ),
        ]
        indexes = [
            # The sender's claim: queued rows that are due, urgent ones first, then oldest first.
            models.Index(
                fields=["-urgent", "not_before", "id"],
                condition=models.Q(state="pending"),
                name="message_due_urgent_first",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.subscriber} ({self.state})"


class LastTold(models.Model):
    """What a subscriber was last told of a section's power: the rule "never the same state
    twice" reads it, so the outbox's old rows can be pruned."""

    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="+")
    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="+")
    state = models.CharField(max_length=8)
    sequence = models.PositiveIntegerField(help_text="The power event's sequence in its section.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["subscriber", "section"], name="last_told_unique")]

    def __str__(self) -> str:
        return f"{self.subscriber} last told {self.state} of {self.section}"


class Announcement(models.Model):
    """A power event residents hear of whose messages have been queued: the sweep that
    catches a lost trigger looks for such events without one."""

    event = models.OneToOneField(PowerEvent, on_delete=models.CASCADE, primary_key=True, related_name="announcement")
    at = models.DateTimeField(auto_now_add=True)
    paused = models.BooleanField(default=False, help_text="Notifications were paused: nobody was told.")

    def __str__(self) -> str:
        return f"announced {self.event}"


class ScheduleAnnouncement(models.Model):
    """A schedule change whose notices have been queued (the sweep queues those without)."""

    change = models.OneToOneField(
        ScheduleChange, on_delete=models.CASCADE, primary_key=True, related_name="announcement"
    )
    at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"announced {self.change}"


class AlertAnnouncement(models.Model):
    """An alert's start or end whose notices have been queued (the sweep queues those without)."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="announcements")
    ending = models.BooleanField()
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["alert", "ending"], name="alert_announced_once")]

    def __str__(self) -> str:
        return f"announced {'end' if self.ending else 'start'} of {self.alert}"


class SenderLease(models.Model):
    """Who sends right now: one sender at a time keeps Telegram's global rate."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    owner = models.CharField(max_length=64)
    until = models.DateTimeField()

    def __str__(self) -> str:
        return f"sender {self.owner} until {self.until:%Y-%m-%d %H:%M:%S}"


class TelegramBudget(models.Model):
    """Telegram's limits for one bot token, shared by every process (notifications/budget.py);
    used when there is no Redis. Times are Unix seconds."""

    key = models.CharField(max_length=32, primary_key=True, help_text="A hash of the bot token.")
    next_slot = models.FloatField(default=0.0, help_text="When the next new message may start.")
    paused_until = models.FloatField(default=0.0, help_text="Until when a 429 silences the bot.")

    def __str__(self) -> str:
        return f"budget {self.key}"
