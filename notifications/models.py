from __future__ import annotations

from django.db import models


class NotificationPause(models.Model):
    """A time when power notifications to residents were paused by an operator.

    Rows are the record of every pause; the open one (at most one) is the switch.
    """

    started_at = models.DateTimeField()
    started_by = models.CharField(max_length=150, blank=True)
    reason = models.CharField(max_length=200)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.CharField(max_length=150, blank=True)
    open = models.BooleanField(default=True, editable=False)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(fields=["open"], condition=models.Q(open=True), name="one_open_notification_pause"),
        ]

    def __str__(self) -> str:
        return f"pause from {self.started_at:%Y-%m-%d %H:%M}: {self.reason}"
