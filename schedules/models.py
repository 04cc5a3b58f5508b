"""Planned-outage schedules as data: what a source said each group's day would be, kept
for good so any day's plan can be held against what the sensors saw."""

from __future__ import annotations

from django.db import models

from buildings.models import Building


class Source(models.TextChoices):
    YASNO = "yasno", "Yasno"
    FILE = "file", "file or admin"


class DayStatus(models.TextChoices):
    APPLIES = "applies", "outages planned"
    NONE = "none", "no outages"
    EMERGENCY = "emergency", "emergency outages"
    UNKNOWN = "unknown", "no data"


DEFINITE = (DayStatus.APPLIES, DayStatus.NONE, DayStatus.EMERGENCY)


class ScheduleDay(models.Model):
    """One group's day as one source published it. `off` is a list of [start, end] minutes
    from local midnight in `timezone` (wall-clock minutes, as companies publish them; 1440
    ends the day); the instants they mean are in schedules.days."""

    source = models.CharField(max_length=8, choices=Source.choices)
    group = models.CharField(max_length=8)
    date = models.DateField()
    status = models.CharField(max_length=10, choices=DayStatus.choices)
    off = models.JSONField(default=list, blank=True, help_text="Planned-off intervals, [start, end] minutes.")
    timezone = models.CharField(max_length=64, help_text="The zone the source's minutes count in.")
    fingerprint = models.CharField(max_length=64, editable=False)
    fetched_at = models.DateTimeField(help_text="When the source last said this.")
    changed_at = models.DateTimeField(help_text="When it last became what it is.")

    class Meta:
        ordering = ["-date", "group", "source"]
        constraints = [
            models.UniqueConstraint(fields=["source", "group", "date"], name="schedule_day_unique"),
        ]
        indexes = [models.Index(fields=["group", "date"], name="schedule_day_group_date")]

    def __str__(self) -> str:
        return f"{self.group} {self.date} ({self.get_source_display()}): {self.get_status_display()}"


class ScheduleChange(models.Model):
    """News about a day's schedule, recorded once by whichever poll saw it first; who hears
    of it is notifications' business."""

    class Kind(models.TextChoices):
        PUBLISHED = "published", "published"
        CHANGED = "changed", "changed"
        EMERGENCY = "emergency", "emergency outages declared"

    day = models.ForeignKey(ScheduleDay, on_delete=models.CASCADE, related_name="changes")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    before_status = models.CharField(max_length=10, choices=DayStatus.choices, blank=True)
    before_off = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=10, choices=DayStatus.choices)
    off = models.JSONField(default=list, blank=True)
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["-recorded_at", "-id"]

    def __str__(self) -> str:
        return f"{self.day.group} {self.day.date}: {self.get_kind_display()}"


class AddressLookup(models.Model):
    """What Yasno's address look-up found for a building (section 0) or one section: the
    group, or why there is none (shown to the operator, never guessed)."""

    building = models.ForeignKey(Building, on_delete=models.CASCADE, related_name="schedule_lookups")
    section_number = models.PositiveSmallIntegerField(default=0, help_text="0: the whole building.")
    street_query = models.TextField()
    house_queries = models.TextField(help_text="Variants separated by |.")
    group = models.CharField(max_length=8, blank=True)
    problem = models.CharField(max_length=300, blank=True)
    looked_up_at = models.DateTimeField()

    class Meta:
        ordering = ["building_id", "section_number"]
        constraints = [
            models.UniqueConstraint(fields=["building", "section_number"], name="address_lookup_unique"),
        ]

    def __str__(self) -> str:
        where = f"{self.building_id}" + (f"/{self.section_number}" if self.section_number else "")
        return f"{where}: {self.group or self.problem}"
