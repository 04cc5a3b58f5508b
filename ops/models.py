from __future__ import annotations

from django.db import models


class OperatorAlert(models.Model):
    """One occurrence of trouble operators are told of in Telegram (ops.alerts): opened when
    the condition is first seen, closed when it clears; the same trouble again is a new row,
    and a new message."""

    class Kind(models.TextChoices):
        MASS_SILENCE = "mass_silence", "mass silence held"
        SILENT_BOARD = "silent_board", "board silent while its section is up"
        SENDER_STUCK = "sender_stuck", "sender stuck"
        DETECTOR_LATE = "detector_late", "detector not ticking"
        SOURCE_STALE = "source_stale", "outside source stale"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    subject = models.CharField(max_length=64, blank=True, help_text="Which one: a sensor's id, a source's name.")
    opened_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True, help_text="Empty while the trouble lasts.")

    class Meta:
        ordering = ["-opened_at"]
        constraints = [
            # However many workers check at once, one occurrence is opened (and told) once.
            models.UniqueConstraint(
                fields=["kind", "subject"], condition=models.Q(closed_at__isnull=True), name="one_open_operator_alert"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.subject}".strip()
