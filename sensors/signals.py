"""A sensor moved, disabled, deleted or aliased by an operator (the admin, a mapping file)
changes what its sections are made of: their states are recorded again once it commits, so
a section left with no working sensor does not stay "up" for ever."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_delete, pre_save
from django.dispatch import receiver
from django.utils import timezone

from sensors.models import PowerCause, Sensor, SensorAlias
from sensors.power import record_section_states
from sensors.status import sections_counting


def _record_after_commit(section_ids: set[int], reason: str) -> None:
    if section_ids:
        transaction.on_commit(
            lambda: record_section_states(section_ids, timezone.now(), PowerCause.OPERATOR, reason=reason), robust=True
        )


@receiver(pre_save, sender=Sensor, dispatch_uid="sensor_before_change")
def remember_sections(sender: type[Sensor], instance: Sensor, **kwargs: Any) -> None:
    # Heartbeats write sensors with update(), never save(): this costs them nothing.
    before = Sensor.objects.filter(pk=instance.pk).values_list("section_id", "enabled").first() if instance.pk else None
    instance._before = before
    instance._counted_for = sections_counting([instance.pk]) if before is not None else set()


@receiver(post_save, sender=Sensor, dispatch_uid="sensor_changed")
def record_sections_of_changed_sensor(sender: type[Sensor], instance: Sensor, created: bool, **kwargs: Any) -> None:
    before = getattr(instance, "_before", None)
    if created or before is None:
        return  # a new sensor counts from its first heartbeat, which records its section
    section_id, enabled = before
    if (section_id, enabled) != (instance.section_id, instance.enabled):
        reason = (
            "sensor moved"
            if section_id != instance.section_id
            else ("sensor enabled" if instance.enabled else "sensor disabled")
        )
        _record_after_commit(instance._counted_for | sections_counting([instance.pk]), reason)


@receiver(pre_delete, sender=Sensor, dispatch_uid="sensor_before_delete")
def remember_sections_before_delete(sender: type[Sensor], instance: Sensor, **kwargs: Any) -> None:
    instance._counted_for = sections_counting([instance.pk])


@receiver(post_delete, sender=Sensor, dispatch_uid="sensor_deleted")
def record_sections_of_deleted_sensor(sender: type[Sensor], instance: Sensor, **kwargs: Any) -> None:
    _record_after_commit(getattr(instance, "_counted_for", set()), "sensor deleted")


@receiver(post_save, sender=SensorAlias, dispatch_uid="alias_added")
@receiver(post_delete, sender=SensorAlias, dispatch_uid="alias_removed")
def record_aliased_section(sender: type[SensorAlias], instance: SensorAlias, **kwargs: Any) -> None:
    _record_after_commit({instance.section_id}, "sensor alias changed")
