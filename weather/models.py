from __future__ import annotations

from django.db import models


class Place(models.Model):
    """Where weather is fetched for: buildings' coordinates rounded to a tenth of a degree
    (about 10 km), so the buildings of a town share one request. It keeps the last good
    answer, whatever failed since."""

    latitude = models.DecimalField(max_digits=4, decimal_places=1)
    longitude = models.DecimalField(max_digits=4, decimal_places=1)
    temperature = models.FloatField("temperature (°C)", null=True, blank=True)
    weather_code = models.PositiveSmallIntegerField("WMO weather code", null=True, blank=True)
    coldest = models.FloatField("coldest in the next 12 h (°C)", null=True, blank=True)
    coldest_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True, help_text="Its last good answer's time.")
    asked_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True, help_text="Why its last answer was not good, if it was not.")

    class Meta:
        ordering = ["latitude", "longitude"]
        constraints = [models.UniqueConstraint(fields=["latitude", "longitude"], name="place_unique_coordinates")]

    def __str__(self) -> str:
        return f"{self.latitude}, {self.longitude}"
