from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from neighbours import services
from neighbours.models import Report
from powerbot.admin import RecordAdmin


class CountsNow(admin.SimpleListFilter):
    title = "counted now"
    parameter_name = "now"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin[Report]) -> list[tuple[str, str]]:
        return [("yes", "counted now"), ("no", "no longer counted")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Report]) -> QuerySet[Report]:
        counted = services.counting(Report.objects.all(), timezone.now())
        if self.value() == "yes":
            return queryset.filter(pk__in=counted.values("pk"))
        if self.value() == "no":
            return queryset.exclude(pk__in=counted.values("pk"))
        return queryset


@admin.register(Report)
class ReportAdmin(RecordAdmin):
    """Residents' answers on heating and water, per building: what the status card counts
    (since the section's last power change, within NEIGHBOUR_REPORT_HOURS) is "counted now"."""

    can_delete = True  # they go with their building or section, as the model says

    list_display = ["section", "kind", "answer", "reported_at", "user_id"]
    list_filter = [CountsNow, "kind", "available", "section__building"]
    list_select_related = ["section__building"]
    date_hierarchy = "reported_at"

    @admin.display(description="answer", boolean=True, ordering="available")
    def answer(self, report: Report) -> bool:
        return report.available
