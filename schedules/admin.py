from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest
from django.utils import timezone

from powerbot.admin import LoggedActions, RecordAdmin
from schedules import days, files
from schedules.models import AddressLookup, DayStatus, ScheduleChange, ScheduleDay, Source
from schedules.services import record
from schedules.yasno import DayPlan


def _off_text(off: list[list[int]]) -> str:
    return days.intervals_text([(days.clock_of(start), days.clock_of(end)) for start, end in off])


class FileDayForm(forms.ModelForm[ScheduleDay]):
    off_text = forms.CharField(
        label="planned off",
        required=False,
        help_text="Intervals separated by commas, e.g. 08:00-12:00, 18:00-24:00 (in TIME_ZONE for a new day).",
    )

    class Meta:
        model = ScheduleDay
        fields = ["group", "date", "status"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        status = self.fields["status"]
        assert isinstance(status, forms.ChoiceField)  # the model field's choices make it one
        status.choices = [(s.value, s.label) for s in DayStatus if s != DayStatus.UNKNOWN]
        if self.instance.pk:
            self.fields["off_text"].initial = _off_text(self.instance.off)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        entry = {
            "group": data.get("group", self.instance.group),
            "date": data.get("date", self.instance.date),
            "status": data.get("status"),
            "off": [part.strip() for part in (data.get("off_text") or "").split(",") if part.strip()],
        }
        try:
            data["plan"] = files.day_plan(entry, timezone.localdate())
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None
        if (
            self.instance.pk is None
            and ScheduleDay.objects.filter(
                source=Source.FILE, group=data["plan"].group, date=data["plan"].date
            ).exists()
        ):
            raise forms.ValidationError("This group's day is in the schedule already: change that one instead.")
        return data


@admin.register(ScheduleDay)
class ScheduleDayAdmin(LoggedActions[ScheduleDay]):
    """Days of the file source are added and corrected here (recorded as an import is, so
    residents hear of the change); a polled source's days are read-only."""

    form = FileDayForm
    list_display = ["date", "group", "source", "status", "planned_off", "fetched_at", "changed_at"]
    list_filter = ["date", "source", "status", "group"]
    search_fields = ["group"]

    @admin.display(description="planned off")
    def planned_off(self, day: ScheduleDay) -> str:
        return _off_text(day.off) or "—"

    def has_change_permission(self, request: HttpRequest, obj: ScheduleDay | None = None) -> bool:
        return super().has_change_permission(request, obj) and (obj is None or obj.source == Source.FILE)

    def get_readonly_fields(self, request: HttpRequest, obj: ScheduleDay | None = None) -> list[str]:
        return ["group", "date"] if obj is not None else []

    def save_model(self, request: HttpRequest, obj: ScheduleDay, form: FileDayForm, change: bool) -> None:
        plan: DayPlan = form.cleaned_data["plan"]
        record(Source.FILE, [plan], obj.timezone if change else settings.TIME_ZONE)
        saved = ScheduleDay.objects.get(source=Source.FILE, group=plan.group, date=plan.date)
        obj.pk, obj.source = saved.pk, saved.source


@admin.register(ScheduleChange)
class ScheduleChangeAdmin(RecordAdmin):
    list_display = ["recorded_at", "kind", "group", "date", "before", "after"]
    list_filter = ["kind"]
    list_select_related = ["day"]

    @admin.display(ordering="day__group")
    def group(self, change: ScheduleChange) -> str:
        return change.day.group

    @admin.display(ordering="day__date")
    def date(self, change: ScheduleChange) -> str:
        return str(change.day.date)

    @admin.display
    def before(self, change: ScheduleChange) -> str:
        return (
            f"{change.get_before_status_display()}: {_off_text(change.before_off) or '—'}"
            if change.before_status
            else "—"
        )

    @admin.display
    def after(self, change: ScheduleChange) -> str:
        return f"{change.get_status_display()}: {_off_text(change.off) or '—'}"


@admin.register(AddressLookup)
class AddressLookupAdmin(RecordAdmin):
    """What Yasno's address look-up found; a problem here means the building has no group
    until an operator sets one or corrects the address. Deleting one asks again at the next poll."""

    can_delete = True
    list_display = ["building", "section_number", "street_query", "house_queries", "group", "problem", "looked_up_at"]
    list_filter = [("group", admin.EmptyFieldListFilter)]
    list_select_related = ["building"]
