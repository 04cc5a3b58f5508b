from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypedDict

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import timezone

from powerbot.admin import ApiKeyAdmin, LoggedActions, RecordAdmin
from sensors import services
from sensors.models import (
    MappingImport,
    MassSilence,
    PowerEvent,
    PowerState,
    SectionPower,
    Sensor,
    SensorAlias,
    WriteKey,
)
from sensors.power import SectionBusy, release_mass_silence, set_section_state
from sensors.status import with_frozen, with_online

if TYPE_CHECKING:  # a name of django-stubs only
    from django_stubs_ext import WithAnnotations

    class _Shown(TypedDict):
        is_up: bool
        is_frozen: bool

    ListedSensor = WithAnnotations[Sensor, _Shown]  # a sensor as the change list reads it


class OnlineFilter(admin.SimpleListFilter):
    title = "connection"
    parameter_name = "online"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]) -> list[tuple[str, str]]:
        return [("yes", "Online"), ("no", "Offline")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Sensor]) -> QuerySet[Sensor]:
        if self.value() in ("yes", "no"):
            return queryset.filter(is_up=self.value() == "yes")  # type: ignore[misc]  # is_up: with_online's annotation
        return queryset


class FirstSeenFilter(admin.SimpleListFilter):
    """Newly installed boards show up here, ready to be checked and pinned."""

    title = "first seen"
    parameter_name = "new"
    PERIODS = {"day": timedelta(days=1), "week": timedelta(days=7)}

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]) -> list[tuple[str, str]]:
        return [("day", "In the last 24 hours"), ("week", "In the last 7 days")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Sensor]) -> QuerySet[Sensor]:
        period = self.PERIODS.get(self.value() or "")
        return queryset.filter(first_seen_at__gte=timezone.now() - period) if period else queryset


class AliasInline(admin.TabularInline[SensorAlias, Sensor]):
    model = SensorAlias
    extra = 0
    verbose_name = "also counts for section"
    verbose_name_plural = "also counts for sections (aliases)"


def freeze_action(duration: timedelta | None, label: str) -> Callable[..., None]:
    def action(model_admin: admin.ModelAdmin[Sensor], request: HttpRequest, queryset: QuerySet[Sensor]) -> None:
        count = services.freeze(queryset, duration, operator=request.user.get_username())
        model_admin.message_user(request, f"Froze {count} sensor(s) at their current value {label}.")

    action.__name__ = f"freeze_{label.replace(' ', '_')}"
    return admin.action(description=f"Freeze at current value {label}")(action)


# What the board and the engine wrote, never an operator.
REPORTED = (
    "first_seen_at",
    "last_heartbeat",
    "online_since",
    "last_ip",
    "transport",
    "last_will_at",
    "firmware_version",
    "telemetry",
)


@admin.register(Sensor)
class SensorAdmin(LoggedActions[Sensor]):
    list_display = [
        "id",
        "uuid",
        "name",
        "building",
        "section_number",
        "online",
        "last_heartbeat",
        "transport",
        "last_will_at",
        "firmware_version",
        "canonical",
        "enabled",
        "frozen",
        "first_seen_at",
    ]
    list_display_links = ["id", "uuid"]
    list_filter = [
        OnlineFilter,
        FirstSeenFilter,
        "awaiting_approval",
        "canonical",
        "enabled",
        "section__building",
        "transport",
        "firmware_version",
    ]
    list_select_related = ["section__building"]
    search_fields = ["uuid", "name", "comment", "last_ip", "section__building__name", "=section__building__id"]
    ordering = ["-first_seen_at"]
    readonly_fields = ["id", *REPORTED]
    fieldsets = [
        (None, {"fields": ["id", "uuid", "name", "comment", "enabled", "awaiting_approval"]}),
        ("Mapping", {"fields": ["section", "canonical"]}),
        ("Freeze", {"fields": ["frozen_is_up", "frozen_until"]}),
        ("Reported", {"fields": REPORTED}),
    ]
    inlines = [AliasInline]
    actions = [
        "approve",
        "pin",
        "unpin",
        freeze_action(timedelta(minutes=15), "for 15 min"),
        freeze_action(timedelta(hours=1), "for 1 h"),
        freeze_action(timedelta(hours=6), "for 6 h"),
        freeze_action(None, "until unfrozen"),
        "unfreeze",
    ]

    @admin.display(ordering="section__building__name")
    def building(self, sensor: Sensor) -> str:
        return str(sensor.section.building)

    @admin.display(ordering="section__number", description="section")
    def section_number(self, sensor: Sensor) -> int:
        return sensor.section.number

    def get_queryset(self, request: HttpRequest) -> QuerySet[Sensor]:
        now = timezone.now()
        return with_frozen(with_online(super().get_queryset(request), now), now)

    @admin.display(boolean=True, ordering="is_up")
    def online(self, sensor: ListedSensor) -> bool:
        return sensor.is_up

    @admin.display(description="frozen")
    def frozen(self, sensor: ListedSensor) -> str:
        if not sensor.is_frozen:
            return ""
        value = "up" if sensor.frozen_is_up else "down"
        return (
            f"{value} until {sensor.frozen_until:%Y-%m-%d %H:%M}" if sensor.frozen_until else f"{value}, until unfrozen"
        )

    @admin.action(description="Pin mapping (ignore building/section sent by the firmware)")
    def pin(self, request: HttpRequest, queryset: QuerySet[Sensor]) -> None:
        pinned = services.pin(queryset, operator=request.user.get_username())
        self.message_user(request, f"Pinned {pinned} sensor(s).", messages.SUCCESS)

    @admin.action(description="Approve new sensors (count them for their sections)")
    def approve(self, request: HttpRequest, queryset: QuerySet[Sensor]) -> None:
        approved = services.approve(queryset, operator=request.user.get_username())
        self.message_user(request, f"Approved {approved} sensor(s).", messages.SUCCESS)

    @admin.action(description="Unpin mapping (follow building/section sent by the firmware)")
    def unpin(self, request: HttpRequest, queryset: QuerySet[Sensor]) -> None:
        self.message_user(request, f"Unpinned {services.unpin(queryset)} sensor(s).", messages.SUCCESS)

    @admin.action(description="Unfreeze")
    def unfreeze(self, request: HttpRequest, queryset: QuerySet[Sensor]) -> None:
        count = services.unfreeze(queryset, operator=request.user.get_username())
        self.message_user(request, f"Unfroze {count} sensor(s).", messages.SUCCESS)


@admin.register(SensorAlias)
class SensorAliasAdmin(LoggedActions[SensorAlias]):
    list_display = ["sensor", "section"]
    list_select_related = ["sensor", "section__building"]
    search_fields = ["sensor__uuid", "sensor__name", "section__building__name"]
    autocomplete_fields = ["sensor"]


@admin.register(WriteKey)
class WriteKeyAdmin(ApiKeyAdmin):
    list_display = [*ApiKeyAdmin.list_display, "sensor_uuid"]
    search_fields = [*ApiKeyAdmin.search_fields, "sensor_uuid"]
    fields = ["name", "sensor_uuid", *ApiKeyAdmin.readonly_fields]


@admin.register(SectionPower)
class SectionPowerAdmin(RecordAdmin):
    """The engine's current record; changed only through "Set section state" (power events)."""

    list_display = ["section", "state", "since", "cause"]
    list_filter = ["state", "cause", "section__building"]
    list_select_related = ["section__building"]
    search_fields = ["section__building__name", "=section__building__id"]


class SetSectionStateForm(forms.ModelForm[PowerEvent]):
    state = forms.ChoiceField(choices=[(s.value, s.label) for s in (PowerState.UP, PowerState.DOWN)])
    reason = forms.CharField(max_length=200, help_text="Shown in the section's history.")

    class Meta:
        model = PowerEvent
        fields = ["section", "state", "reason"]


@admin.register(PowerEvent)
class PowerEventAdmin(RecordAdmin):
    """The append-only history. "Add" is the operator's "set section state"."""

    list_display = ["section", "state", "at", "cause", "previous_state", "reason", "operator"]
    list_filter = ["state", "cause", "section__building"]
    list_select_related = ["section__building"]
    search_fields = ["section__building__name", "=section__building__id", "reason", "operator"]
    date_hierarchy = "at"
    form = SetSectionStateForm
    can_add = True

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except SectionBusy as exc:  # the sensors kept changing it: say so, keep the operator on the form
            self.message_user(request, str(exc), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def save_model(self, request: HttpRequest, obj: PowerEvent, form: forms.Form, change: bool) -> None:
        event = set_section_state(obj.section, PowerState(obj.state), obj.reason, operator=request.user.get_username())
        obj.pk, obj.sequence, obj.at, obj.cause = event.pk, event.sequence, event.at, event.cause


@admin.register(MassSilence)
class MassSilenceAdmin(RecordAdmin):
    list_display = [
        "started_at",
        "silent_sensors",
        "active_sensors",
        "buildings",
        "recovering_since",
        "ended_at",
        "ended_by",
        "open",
    ]
    list_filter = ["open"]
    actions = ["release"]

    @admin.action(description="Release the hold: record each held section's true state now")
    def release(self, request: HttpRequest, queryset: QuerySet[MassSilence]) -> None:
        now, operator = timezone.now(), request.user.get_username()
        changes = sum(len(release_mass_silence(silence, now, by=operator)) for silence in queryset.filter(open=True))
        self.message_user(request, f"Released; {changes} section(s) recorded with their true state.", messages.SUCCESS)


@admin.register(MappingImport)
class MappingImportAdmin(RecordAdmin):
    list_display = ["at", "by", "source", "summary"]
    search_fields = ["by", "source"]
