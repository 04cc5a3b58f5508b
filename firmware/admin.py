from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypedDict, cast

from django import forms
from django.contrib import admin, messages
from django.db.models import Case, CharField, Count, QuerySet, Value, When
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import timezone

from firmware import services
from firmware.models import Channel, FirmwareRelease, FleetSensor
from powerbot.admin import LoggedActions, RecordAdmin
from sensors.status import with_online

if TYPE_CHECKING:  # names of django-stubs only
    from django.contrib.admin.options import _FieldsetSpec
    from django_stubs_ext import WithAnnotations

    class _Counts(TypedDict):
        running_on: int
        target_count: int

    class _Latest(TypedDict):
        latest_release: str

    ListedRelease = WithAnnotations[FirmwareRelease, _Counts]  # a release as the change list reads it
    ListedSensor = WithAnnotations[FleetSensor, _Latest]


class ReleaseForm(forms.ModelForm[FirmwareRelease]):
    upload: services.Upload  # the checked image, set by clean() for a new release
    image = forms.FileField(
        label="firmware image",
        required=False,
        help_text="The application image (.bin) as PlatformIO builds it (.pio/build/<board>/firmware.bin).",
    )
    version = forms.CharField(
        required=False,
        help_text="Semantic version, e.g. 1.4.0 or 1.5.0-rc.1. Leave it empty for PowerBot's firmware, which names "
        "its own version in the image; a version that differs from the image's is refused.",
    )

    class Meta:
        model = FirmwareRelease
        fields = [
            "board",
            "version",
            "channel",
            "image",
            "notes",
            "mandatory",
            "active",
            "rollout_percent",
            "buildings",
        ]

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if self.instance.pk is not None or "board" not in cleaned or "image" in self.errors:
            return cleaned
        if not cleaned.get("image"):
            self.add_error("image", "Choose the firmware image (.bin) to release.")
            return cleaned
        try:
            self.upload = services.check_upload(
                cleaned["board"],
                cleaned.get("version", ""),
                services.read_image(cleaned["image"]),
            )
        except services.UploadRefused as refused:
            self.add_error("image", f"Not released: {refused}.")
            return cleaned
        cleaned["version"] = self.upload.version
        return cleaned


@admin.register(FirmwareRelease)
class FirmwareReleaseAdmin(LoggedActions[FirmwareRelease]):
    """Upload an image once; afterwards only how it is rolled out changes (a new image is a new version)."""

    form = ReleaseForm
    list_display = [
        "__str__",
        "channel",
        "active",
        "mandatory",
        "rollout_percent",
        "targets",
        "running",
        "size",
        "short_sha256",
        "signed",
        "created_at",
    ]
    list_filter = ["board", "channel", "active", "mandatory"]
    search_fields = ["version", "notes", "sha256"]
    filter_horizontal = ["buildings"]
    actions = ["pull", "reinstate"]

    def get_fieldsets(self, request: HttpRequest, obj: FirmwareRelease | None = None) -> _FieldsetSpec:
        what = ("board", "version", "channel") + (
            ("image",) if obj is None else ("size", "sha256", "signing_key", "signature", "created_at", "created_by")
        )
        return [
            (None, {"fields": what}),
            ("Rollout", {"fields": ["active", "mandatory", "rollout_percent", "buildings"]}),
            ("Release notes", {"fields": ["notes"]}),
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: FirmwareRelease | None = None) -> list[str]:
        if obj is None:
            return []
        return ["board", "version", "size", "sha256", "signing_key", "signature", "created_at", "created_by"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[FirmwareRelease]:
        releases: QuerySet[FirmwareRelease] = services.with_running_on(super().get_queryset(request)).annotate(
            target_count=Count("buildings")
        )
        return releases

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except services.UploadRefused as refused:  # released by someone else meanwhile: nothing was written
            self.message_user(request, f"Not released: {refused}.", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def save_model(self, request: HttpRequest, obj: FirmwareRelease, form: ReleaseForm, change: bool) -> None:
        if change:
            obj.save()
        else:  # the buildings are set by save_related, in the same transaction
            services.publish(obj, form.upload, created_by=request.user.get_username())

    @admin.display(description="targets")
    def targets(self, release: ListedRelease) -> str:
        return f"{release.target_count} building(s)" if release.target_count else "whole fleet"

    @admin.display(description="running on", ordering="running_on")
    def running(self, release: ListedRelease) -> int:
        return release.running_on

    @admin.display(description="SHA-256")
    def short_sha256(self, release: FirmwareRelease) -> str:
        return release.sha256[:12] + "…"

    @admin.display(description="signed with key", ordering="signing_key")
    def signed(self, release: FirmwareRelease) -> str:
        return release.signing_key if release.signature else "unsigned: boards refuse it"

    @admin.action(description="Pull: stop offering and serving the selected releases")
    def pull(self, request: HttpRequest, queryset: QuerySet[FirmwareRelease]) -> None:
        count = services.set_active(queryset, False)
        self.message_user(request, f"Pulled {count} release(s); boards are no longer offered them.", messages.SUCCESS)

    @admin.action(description="Reinstate: offer and serve the selected releases again")
    def reinstate(self, request: HttpRequest, queryset: QuerySet[FirmwareRelease]) -> None:
        count = services.set_active(queryset, True)
        self.message_user(request, f"Reinstated {count} release(s).", messages.SUCCESS)


def latest_versions(request: HttpRequest) -> dict[str, str]:
    """services.latest_versions(), read once per request: the list, its filter and its summary all need it."""
    latest: dict[str, str] | None = getattr(request, "firmware_latest", None)
    if latest is None:
        latest = request.firmware_latest = services.latest_versions()  # type: ignore[attr-defined]  # a per-request cache
    return latest


class UpdateStatusFilter(admin.SimpleListFilter):
    title = "firmware"
    parameter_name = "firmware"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]) -> list[tuple[str, str]]:
        return [("outdated", "Older than the latest stable release"), ("never", "Never checked for updates")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[FleetSensor]) -> QuerySet[FleetSensor]:
        if self.value() == "outdated":
            return queryset.filter(services.outdated_sensors(latest_versions(request)))
        if self.value() == "never":
            return queryset.filter(firmware__checked_at__isnull=True)
        return queryset


@admin.register(FleetSensor)
class FleetAdmin(RecordAdmin):
    """What each sensor's board runs, per version, and which are behind."""

    list_display = [
        "uuid",
        "name",
        "building",
        "board",
        "firmware_version",
        "channel",
        "update_status",
        "checked_at",
        "reset_reason",
        "uptime",
        "rssi",
        "release_key",
    ]
    list_filter = [UpdateStatusFilter, "firmware__board", "firmware_version", "firmware__channel", "section__building"]
    list_select_related = ["section__building", "firmware"]
    search_fields = ["uuid", "name", "firmware_version", "section__building__name", "=section__building__id"]
    ordering = ["section__building_id", "section__number", "uuid"]
    actions = ["to_beta", "to_stable"]
    fields = ["uuid", "name", "section", "firmware_version", "telemetry", "last_heartbeat"]

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        summary = services.fleet_versions(latest_versions(request))
        return super().changelist_view(request, {"fleet_versions": summary, **(extra_context or {})})

    def get_queryset(self, request: HttpRequest) -> QuerySet[FleetSensor]:
        # Each row's newest stable release for its board, for the status column.
        latest = [
            When(firmware__board=board, then=Value(version)) for board, version in latest_versions(request).items()
        ]
        sensors = with_online(super().get_queryset(request), timezone.now()).annotate(
            latest_release=Case(*latest, default=Value(""), output_field=CharField()),
        )
        return cast("QuerySet[FleetSensor]", sensors)  # with_online keeps the proxy; its type says Sensor

    @admin.display(ordering="section__building__name", description="building / section")
    def building(self, sensor: FleetSensor) -> str:
        return str(sensor.section)

    @admin.display(ordering="firmware__board")
    def board(self, sensor: FleetSensor) -> str:
        record = services.firmware_of(sensor)
        return record.board if record is not None else ""

    @admin.display(ordering="firmware__channel")
    def channel(self, sensor: FleetSensor) -> str:
        record = services.firmware_of(sensor)
        return record.channel if record is not None else Channel.STABLE

    @admin.display(description="update")
    def update_status(self, sensor: ListedSensor) -> str:
        return services.update_status(sensor, sensor.latest_release or None)

    @admin.display(description="last check", ordering="firmware__checked_at")
    def checked_at(self, sensor: FleetSensor) -> Any:
        record = services.firmware_of(sensor)
        return record.checked_at if record is not None else None

    @admin.display(description="last reset")
    def reset_reason(self, sensor: FleetSensor) -> str:
        return str(sensor.telemetry.get("reset_reason", ""))

    @admin.display(description="uptime (s)")
    def uptime(self, sensor: FleetSensor) -> str:
        return str(sensor.telemetry.get("uptime_sec", ""))

    @admin.display(description="RSSI (dBm)")
    def rssi(self, sensor: FleetSensor) -> str:
        return str(sensor.telemetry.get("rssi", ""))

    @admin.display(description="release key")
    def release_key(self, sensor: FleetSensor) -> str:
        """The id of the release key the board's firmware trusts, as its heartbeats report it."""
        return str(sensor.telemetry.get("release_key", ""))

    @admin.action(description="Put on the beta channel (offered beta releases too)")
    def to_beta(self, request: HttpRequest, queryset: QuerySet[FleetSensor]) -> None:
        count = services.set_channel(queryset, Channel.BETA)
        self.message_user(
            request, f"{count} sensor(s) are on the beta channel from their next check.", messages.SUCCESS
        )

    @admin.action(description="Put on the stable channel")
    def to_stable(self, request: HttpRequest, queryset: QuerySet[FleetSensor]) -> None:
        count = services.set_channel(queryset, Channel.STABLE)
        self.message_user(request, f"{count} sensor(s) are on the stable channel.", messages.SUCCESS)
