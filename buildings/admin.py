from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from buildings.maps import MAP_SIDE, MAX_MAP_BYTES, MapError, Picture, prepared
from buildings.models import Building, Contact, MapPicture, Section, Shelter
from powerbot.admin import LoggedActions


class SectionInline(admin.TabularInline[Section, Building]):
    """Sections follow the building's section count; only their names are edited here."""

    model = Section
    fields = ["number", "name", "schedule_group"]
    readonly_fields = ["number"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Building | None = None) -> bool:
        return False


class MapUploadForm(forms.ModelForm[Any]):
    """A form of something with a map (a building, a shelter): a new picture, or none."""

    map_upload = forms.FileField(
        label="map",
        required=False,
        help_text=f"A picture (PNG, JPEG or WebP, up to {MAX_MAP_BYTES // 1024 // 1024} MB) the bot shows; "
        f"made at most {MAP_SIDE} pixels wide or high, as Telegram shows it.",
    )
    remove_map = forms.BooleanField(required=False)

    def clean_map_upload(self) -> Picture | None:
        upload = self.cleaned_data.get("map_upload")
        if upload is None:
            return None
        if upload.size > MAX_MAP_BYTES:
            raise forms.ValidationError(f"The map is {upload.size // 1024} kB; at most {MAX_MAP_BYTES // 1024} kB.")
        try:
            return prepared(upload)
        except MapError as exc:
            raise forms.ValidationError(str(exc)) from None

    def save(self, commit: bool = True) -> Any:
        instance = super().save(commit=False)
        picture = self.cleaned_data.get("map_upload")
        if picture is not None or self.cleaned_data.get("remove_map"):
            instance.set_map(picture)
        if commit:
            instance.save()
            self.save_m2m()
        return instance


class ShelterForm(MapUploadForm):
    class Meta:
        model = Shelter
        fields = ["name", "address", "distance_m", "opening_hours", "description"]


def map_summary(owner: MapPicture) -> str:
    if not owner.map_image:
        return "none"
    sent = "; Telegram has it" if owner.telegram_file_id else ""
    return f"{owner.map_type}, {len(owner.map_image) // 1024} kB{sent}"


class ContactInline(admin.TabularInline[Contact, Building]):
    model = Contact
    fields = ["position", "role", "label", "phone", "telegram", "hours", "note"]
    extra = 0


class ShelterInline(admin.StackedInline[Shelter, Building]):
    model = Shelter
    form = ShelterForm
    readonly_fields = ["current_map"]
    extra = 0

    @admin.display(description="current map")
    def current_map(self, shelter: Shelter) -> str:
        return map_summary(shelter)


@admin.register(Building)
class BuildingAdmin(LoggedActions[Building]):
    form = MapUploadForm
    list_display = [
        "id",
        "name",
        "address",
        "section_count",
        "default_section",
        "schedule_group",
        "alert_region",
        "sensor_count",
        "public",
        "public_page",
    ]
    list_filter = ["public"]
    search_fields = ["=id", "name", "address"]
    fieldsets = [
        (None, {"fields": ["id", "name", "address"]}),
        ("Public", {"fields": ["public", "public_page", "badges"]}),
        ("Sections", {"fields": ["section_count", "default_section"]}),
        (
            "Location",
            {
                "fields": ["latitude", "longitude", "timezone"],
                "description": "Its weather comes from these coordinates (WEATHER_LAT, WEATHER_LON when empty).",
            },
        ),
        (
            "Map and contacts",
            {
                "fields": ["current_map", "map_upload", "remove_map"],
                "description": "The bot sends the map with the building's contacts, listed below.",
            },
        ),
        (
            "Planned outages",
            {
                "fields": ["schedule_group"],
                "description": (
                    "Empty: each section's own group, or the one Yasno's address look-up finds from the address "
                    "(see Schedules › Address look-ups for what it found, or why not)."
                ),
            },
        ),
        (
            "Air-raid alerts",
            {
                "fields": ["alert_region", "alert_region_ukrainealarm"],
                "description": ("Residents hear of alerts in this region; its shelters are listed below."),
            },
        ),
    ]
    inlines = [SectionInline, ContactInline, ShelterInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Building | None = None) -> list[str]:
        # The id is what firmware in the field sends: it never changes once created.
        shown = ["public_page", "badges", "current_map"]
        return ["id", *shown] if obj is not None else shown

    def get_queryset(self, request: HttpRequest) -> QuerySet[Building]:
        return super().get_queryset(request).annotate(sensors=Count("sections__sensors"))

    @admin.display(description="current map")
    def current_map(self, building: Building) -> str:
        return map_summary(building)

    @admin.display(description="public page")
    def public_page(self, building: Building) -> str:
        if building._state.adding:
            return "Shown once the building is saved."
        url = f"{settings.SITE_URL}{reverse('status-building', args=[building.pk])}"
        if not building.public:
            return format_html("Not public: {} answers 404 until “public” is ticked.", url)
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, url)

    @admin.display(description="badges (Markdown to copy)")
    def badges(self, building: Building) -> str:
        # The saved row, not the form's instance: a refused form has copied what was typed into
        # it (sections: 100000 would list that many links).
        saved = Building.objects.filter(pk=building.pk).first() if not building._state.adding else None
        if saved is None:
            return "Shown once the building is saved."
        building = saved
        site = settings.SITE_URL.rstrip("/")
        paths = [reverse("building-badge", args=[building.pk, "svg"])] + [
            reverse("section-badge", args=[building.pk, number, "svg"])
            for number in range(1, building.section_count + 1)
        ]
        lines = [f"![power]({site}{path})" for path in paths]
        note = "" if building.public else "Not public yet: these answer 404 until “public” is ticked.\n"
        return format_html("<pre>{}{}</pre>", note, "\n".join(lines))

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        # The sections inline was posted with the old count; saving it may have
        # re-created sections the new count removed.
        form.instance.sync_sections()

    @admin.display(ordering="sensors", description="sensors")
    def sensor_count(self, building: Building) -> int:
        return int(building.sensors)  # type: ignore[attr-defined]  # annotated by get_queryset
