from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy

from buildings.models import Section


class Kind(models.TextChoices):
    HEATING = "heating", gettext_lazy("heating")
    WATER = "water", gettext_lazy("water")


class Report(models.Model):
    """A resident's answer to "do you have heating / water?" in a section: one per resident,
    section and kind, the latest wins. It counts while the section's power state it was given
    in lasts, for NEIGHBOUR_REPORT_HOURS at most."""

    # Said for now, not kept as history: it goes with its section (buildings._in_use).
    deleted_with_section = True

    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="neighbour_reports")
    user_id = models.BigIntegerField(help_text="The Telegram user who answered.")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    available = models.BooleanField(help_text="Yes: they have it.")
    reported_at = models.DateTimeField()

    class Meta:
        ordering = ["-reported_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user_id", "section", "kind"], name="report_one_per_resident_and_kind")
        ]
        indexes = [models.Index(fields=["section", "kind", "reported_at"], name="report_section_kind_time")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {'yes' if self.available else 'no'} in {self.section}"
