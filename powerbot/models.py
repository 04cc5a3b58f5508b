from django.db import models


class Counter(models.Model):
    """A count shared by every process and machine, read by /metrics.

    Processes add to their own tally in memory and flush it here every few seconds, so a
    heartbeat costs no write of its own and no two workers fight over one row per request.
    """

    name = models.CharField(max_length=64)
    label = models.CharField(max_length=64, blank=True, help_text="The reason or result counted, if any.")
    value = models.PositiveBigIntegerField(default=0)

    class Meta:
        db_table = "ops_counter"  # where it was created, before it moved below the apps
        constraints = [models.UniqueConstraint(fields=["name", "label"], name="counter_unique_name_label")]

    def __str__(self) -> str:
        return f"{self.name}{{{self.label}}} = {self.value}" if self.label else f"{self.name} = {self.value}"


class SourceHealth(models.Model):
    """How an outside source's fetches go (a schedule or alert service): residents see old
    data with its age, operators see why, and a failing source is asked less often."""

    source = models.CharField(max_length=24, primary_key=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    failures = models.PositiveIntegerField(default=0, help_text="Failed fetches since the last good one.")
    last_error = models.CharField(max_length=300, blank=True)
    backoff_until = models.DateTimeField(
        null=True, blank=True, help_text="Not asked again before this (failures, or a 429)."
    )
    # When it was sent requests in the last minute (Unix times), for sources with a rate limit.
    recent_requests = models.JSONField(default=list, blank=True, editable=False)

    class Meta:
        db_table = "schedules_sourcehealth"  # where it was created, before alerts needed it too
        verbose_name_plural = "source health"

    def __str__(self) -> str:
        return self.source
