from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from buildings.models import MAX_MAP_BYTES, Building, Section, Shelter


class SectionInline(admin.TabularInline[Section, Building]):
    """Sections follow the building's section count; only their names are edited here."""

    model = Section
    fields = ["number", "name", "schedule_group"]
    readonly_fields = ["number"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Building | None = None) -> bool:
        return False


class ShelterForm(forms.ModelForm[Shelter]):
    map_upload = forms.ImageField(
        label="map",
        required=False,
        help_text=f"A picture (PNG, JPEG or WebP, up to {MAX_MAP_BYTES // 1024 // 1024} MB) "
        "the bot shows with the shelter.",
    )
    remove_map = forms.BooleanField(required=False)

    class Meta:
        model = Shelter
        fields = ["name", "address", "distance_m", "opening_hours", "description"]

    def clean_map_upload(self) -> object:
        upload = self.cleaned_data.get("map_upload")
        if upload is None:
            return None
        if upload.size > MAX_MAP_BYTES:
            raise forms.ValidationError(f"The map is {upload.size // 1024} kB; at most {MAX_MAP_BYTES // 1024} kB.")
        if upload.image.format not in ("PNG", "JPEG", "WEBP"):  # what Telegram shows as a photo
            raise forms.ValidationError(f"A {upload.image.format} picture: use PNG, JPEG or WebP.")
        return upload

    def save(self, commit: bool = True) -> Shelter:
        shelter = super().save(commit=False)
        upload = self.cleaned_data.get("map_upload")
        if upload is not None or self.cleaned_data.get("remove_map"):
            # A new map is a new photo: Telegram's file id of the old one no longer shows it.
            shelter.map_image = upload.read() if upload is not None else None
            shelter.map_type = upload.image.get_format_mimetype() if upload is not None else ""
            shelter.telegram_file_id = ""
            shelter.map_version += 1
        if commit:
            shelter.save()
        return shelter


class ShelterInline(admin.StackedInline[Shelter, Building]):
    model = Shelter
    form = ShelterForm
    readonly_fields = ["current_map"]
    extra = 0

    @admin.display(description="current map")
    def current_map(self, shelter: Shelter) -> str:
        if not shelter.map_image:
            return "none"
        sent = "; Telegram has it" if shelter.telegram_file_id else ""
        return f"{shelter.map_type}, {len(shelter.map_image) // 1024} kB{sent}"


@admin.register(Building)
class BuildingAdmin(admin.ModelAdmin[Building]):
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
        ("Location", {"fields": ["latitude", "longitude", "timezone"]}),
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
    inlines = [SectionInline, ShelterInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Building | None = None) -> list[str]:
        # The id is what firmware in the field sends: it never changes once created.
        return ["id", "public_page", "badges"] if obj is not None else ["public_page", "badges"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Building]:
        return super().get_queryset(request).annotate(sensors=Count("sections__sensors"))

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
