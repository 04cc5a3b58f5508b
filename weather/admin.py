from __future__ import annotations

from django.contrib import admin

from powerbot.admin import RecordAdmin
from weather.models import Place


@admin.register(Place)
class PlaceAdmin(RecordAdmin):
    """The places weather is fetched for (buildings' coordinates, rounded), with the last
    good answer residents are shown and why the last fetch failed, if it did."""

    list_display = [
        "__str__",
        "temperature",
        "weather_code",
        "coldest",
        "coldest_at",
        "answered_at",
        "asked_at",
        "error",
    ]
