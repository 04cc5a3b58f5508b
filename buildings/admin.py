from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from buildings.models import Building, Section


class SectionInline(admin.TabularInline):
    """Sections follow the building's section count; only their names are edited here."""

    model = Section
    fields = ["number", "name", "schedule_group"]
    readonly_fields = ["number"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Building | None = None) -> bool:
        return False


@admin.register(Building)
class BuildingAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "address", "section_count", "default_section", "schedule_group", "sensor_count"]
    search_fields = ["=id", "name", "address"]
    fieldsets = [
        (None, {"fields": ["id", "name", "address"]}),
        ("Sections", {"fields": ["section_count", "default_section"]}),
        ("Location", {"fields": ["latitude", "longitude", "timezone"]}),
        ("Planned outages", {"fields": ["schedule_group"], "description": (
            "Empty: each section's own group, or the one Yasno's address look-up finds from the address "
            "(see Schedules › Address look-ups for what it found, or why not).")}),
    ]
    inlines = [SectionInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Building | None = None) -> list[str]:
        # The id is what firmware in the field sends: it never changes once created.
        return ["id"] if obj is not None else []

    def get_queryset(self, request: HttpRequest) -> QuerySet[Building]:
        return super().get_queryset(request).annotate(sensors=Count("sections__sensors"))

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        # The sections inline was posted with the old count; saving it may have
        # re-created sections the new count removed.
        form.instance.sync_sections()

    @admin.display(ordering="sensors", description="sensors")
    def sensor_count(self, building: Building) -> int:
        return building.sensors
