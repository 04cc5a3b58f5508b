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
