from __future__ import annotations

from datetime import timedelta

from django.db import models


class State(models.TextChoices):
    ACTIVE = "active", "alert"
    CLEAR = "clear", "no alert"
    UNKNOWN = "unknown", "unknown"


class Source(models.TextChoices):
    ALERTS_IN_UA = "alerts_in_ua", "alerts.in.ua"
    UKRAINEALARM = "ukrainealarm", "ukrainealarm"
    DEMO = "demo", "demo (make demo)"


class Region(models.Model):
    """An alert region some building is in, and what PowerBot believes of it now."""

    uid = models.CharField("region", max_length=6, unique=True, help_text="alerts.in.ua's region number.")
    ukrainealarm_id = models.CharField("ukrainealarm's number", max_length=6)
    watched = models.BooleanField(default=True, help_text="Some building is in this region: it is polled.")
    # Empty until the first evaluation: the first state ever seen is recorded silently.
    state = models.CharField(max_length=8, choices=State.choices, blank=True)
    since = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=0, help_text="Changes of state so far (each write checks it).")
    evaluated_at = models.DateTimeField(null=True, blank=True)
    disagreement = models.BooleanField(default=False, help_text="Fresh sources say different things.")

    class Meta:
        ordering = ["uid"]

    def __str__(self) -> str:
        return f"region {self.uid}"


class Reading(models.Model):
    """What one source last said of one region."""

    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="readings")
    source = models.CharField(max_length=16, choices=Source.choices)
    active = models.BooleanField(null=True, help_text="Its last good answer; empty: none yet.")
    answered_at = models.DateTimeField(null=True, blank=True, help_text="Its last good answer's time.")
    asked_at = models.DateTimeField(null=True, blank=True)
    active_since = models.DateTimeField(null=True, blank=True, help_text="When it began saying active, if it does.")
    last_active_at = models.DateTimeField(null=True, blank=True, help_text="The last time it said active.")
    error = models.CharField(max_length=300, blank=True, help_text="Why its last answer was not good, if it was not.")

    class Meta:
        ordering = ["region_id", "source"]
        constraints = [models.UniqueConstraint(fields=["region", "source"], name="reading_unique_per_source")]

    def __str__(self) -> str:
        return f"{self.get_source_display()} on {self.region}"


class Alert(models.Model):
    """One alert in a region, from its start to the all-clear."""

    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="alerts")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    first_source = models.CharField(max_length=16, choices=Source.choices, help_text="The source that saw it first.")
    announced = models.BooleanField(
        default=True, help_text="Residents hear of it (not of an alert under way when PowerBot first looked)."
    )

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["region"], condition=models.Q(ended_at__isnull=True), name="one_open_alert_per_region"
            ),
        ]
        indexes = [models.Index(fields=["region", "started_at"], name="alert_region_started")]

    def __str__(self) -> str:
        return f"alert in region {self.region.uid} from {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def duration(self) -> timedelta | None:
        return None if self.ended_at is None else self.ended_at - self.started_at
