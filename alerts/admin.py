from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.timesince import timesince

from alerts.models import Alert, Reading, Region
from powerbot.admin import RecordAdmin


class ReadingInline(admin.TabularInline[Reading, Region]):
    model = Reading
    readonly_fields = ["source", "said", "answered_at", "asked_at", "active_since", "last_active_at", "error"]
    fields = tuple(readonly_fields)
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Region | None = None) -> bool:
        return False

    @admin.display(description="says")
    def said(self, reading: Reading) -> str:
        return _said(reading)


def _said(reading: Reading) -> str:
    if reading.active is None or reading.answered_at is None:
        return f"failing: {reading.error}" if reading.error else "nothing yet"
    said = f"{'alert' if reading.active else 'no alert'}, {timesince(reading.answered_at)} ago"
    return f"{said}; failing since: {reading.error}" if reading.error else said


@admin.register(Region)
class RegionAdmin(RecordAdmin):
    """Each region some building is in: the state residents see, and what each source says
    (a source whose answer is older than ALERTS_FRESH_SEC no longer counts)."""

    list_display = ["uid", "ukrainealarm_id", "state", "since", "sources", "disagreement", "watched", "evaluated_at"]
    list_filter = ["state", "disagreement", "watched"]
    inlines = [ReadingInline]

    @admin.display(description="sources")
    def sources(self, region: Region) -> str:
        return " · ".join(f"{r.get_source_display()}: {_said(r)}" for r in region.readings.all()) or "—"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Region]:
        return super().get_queryset(request).prefetch_related("readings")


@admin.register(Alert)
class AlertAdmin(RecordAdmin):
    list_display = ["region", "started_at", "ended_at", "length", "first_source", "announced"]
    list_filter = ["region", "first_source", ("ended_at", admin.EmptyFieldListFilter)]
    list_select_related = ["region"]
    date_hierarchy = "started_at"

    @admin.display(description="length")
    def length(self, alert: Alert) -> str:
        duration = alert.duration
        if duration is None:
            return f"under way ({timesince(alert.started_at)})"
        minutes = int(duration.total_seconds() // 60)
        return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"
