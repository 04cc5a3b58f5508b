from __future__ import annotations

import secrets
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, Self

from django.core.exceptions import ValidationError
from django.db import connection, models

from buildings.models import Section
from powerbot.apikeys import ApiKey

UUID_MAX_LENGTH = 64
TEXT_MAX_LENGTH = 160


def uuid_key(uuid: str) -> str:
    """A sensor's identity: its uuid trimmed and lower-cased.

    Computed here rather than by the database because SQLite's LOWER() folds ASCII only
    and PostgreSQL's folds everything: the same uuid must be one sensor on both.
    """
    return uuid.strip().lower()


# The fields a sensor's place in the public list depends on: whether it is listed, and
# whether it is up (sensors.status.online_expression).
LISTED_FIELDS = frozenset({"enabled", "frozen_is_up", "frozen_until", "offline_after"})
# The power-state engine's own flags, which the list never shows.
ENGINE_FIELDS = frozenset({"online", "online_since"})


@contextmanager
def writing_sensors(fields: Iterable[str] | None = None) -> Iterator[None]:
    """Around a write of sensors (of `fields`; None: any field, or whole rows): when it may
    change the public sensor list, give the list a new version, so every web process renders
    it afresh (publicapi.sensor_list) and no reader keeps an old one.

    Outside a transaction the version changes after the write, so a reader that sees it has
    seen the write. Inside one it changes first, whatever the fields: both become visible at
    the commit together, and every transaction that writes sensors takes the version's row
    lock before any sensor's, so no two ever wait on each other in a cycle. The engine's own
    flags are the exception: the detector writes them under sensor row locks it took without
    waiting (SKIP LOCKED), and it never waits for the version.
    """
    fields = None if fields is None else frozenset(fields)
    if fields is not None and fields <= ENGINE_FIELDS:
        yield
    elif connection.in_atomic_block:
        SensorListVersion.renew()
        yield
    else:
        yield
        if fields is None or not fields.isdisjoint(LISTED_FIELDS):
            SensorListVersion.renew()


class Transport(models.TextChoices):
    HTTP = "http", "HTTP"
    MQTT = "mqtt", "MQTT"


class SensorQuerySet(models.QuerySet["Sensor"]):
    def by_uuid(self, uuid: str) -> Self:
        return self.filter(uuid_key=uuid_key(uuid))

    # Every way the ORM writes sensors in bulk passes by the public list's version.
    def update(self, **kwargs: Any) -> int:
        with writing_sensors(kwargs):
            return super().update(**kwargs)

    def bulk_update(self, objs: Any, fields: Any, *args: Any, **kwargs: Any) -> int:
        with writing_sensors(fields):
            return super().bulk_update(objs, fields, *args, **kwargs)

    def bulk_create(self, *args: Any, **kwargs: Any) -> list[Sensor]:
        with writing_sensors():
            return super().bulk_create(*args, **kwargs)

    def delete(self) -> tuple[int, dict[str, int]]:
        with writing_sensors():
            return super().delete()


class Sensor(models.Model):
    # The auto-increment id is the sensor's public id: SQLite AUTOINCREMENT and
    # PostgreSQL sequences never hand out a deleted row's id again.
    id = models.BigAutoField(primary_key=True)
    uuid = models.CharField(
        "sensor uuid",
        max_length=UUID_MAX_LENGTH,
        help_text="As the firmware sends it; matched ignoring case, shown as first seen.",
    )
    # Lower-casing may lengthen a string (e.g. "İ"), hence twice the uuid's length.
    uuid_key = models.CharField(max_length=2 * UUID_MAX_LENGTH, unique=True, editable=False)
    section = models.ForeignKey(Section, on_delete=models.PROTECT, related_name="sensors")
    name = models.CharField(max_length=TEXT_MAX_LENGTH, blank=True)
    comment = models.CharField(max_length=TEXT_MAX_LENGTH, blank=True)
    enabled = models.BooleanField(
        default=True,
        help_text="Disabled sensors still report, but count for nothing and are not published.",
    )
    awaiting_approval = models.BooleanField(
        default=False,
        help_text="New with SENSOR_NEW_NEEDS_APPROVAL: disabled until an operator approves or pins it.",
    )
    canonical = models.BooleanField(
        "pinned",
        default=False,
        help_text="Pinned: the building and section sent by the firmware are ignored.",
    )
    first_seen_at = models.DateTimeField(auto_now_add=True)
    last_heartbeat = models.DateTimeField(null=True, blank=True)
    # The power-state engine's view: online until offline_after (last heartbeat + timeout,
    # or later after a server restart), when the detector takes it offline.
    online = models.BooleanField(default=False, editable=False)
    offline_after = models.DateTimeField(null=True, blank=True, editable=False)
    online_since = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When the engine last took it online: the first heartbeat after silence.",
    )
    last_ip = models.GenericIPAddressField(null=True, blank=True)
    transport = models.CharField(
        max_length=4, choices=Transport.choices, default=Transport.HTTP, help_text="How its last heartbeat came."
    )
    last_will_at = models.DateTimeField(
        "last will",
        null=True,
        blank=True,
        editable=False,
        help_text="When the broker last published its last will (MQTT): its connection died without a goodbye.",
    )
    firmware_version = models.CharField(max_length=32, blank=True)
    telemetry = models.JSONField(
        default=dict,
        blank=True,
        help_text="Extra fields of the last heartbeat, as sent.",
    )
    frozen_is_up = models.BooleanField(
        null=True,
        blank=True,
        help_text="While frozen the sensor counts as this value, whatever it reports.",
    )
    frozen_until = models.DateTimeField(null=True, blank=True, help_text="Empty while frozen means until unfrozen.")

    objects = SensorQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        indexes = [
            # No index holds offline_after, which every heartbeat moves: PostgreSQL can then
            # write a heartbeat as a HOT update, touching no index at all. The detector reads
            # the table for online sensors past their deadline instead (bench/detect.py).
            # Sensors whose freeze runs out:
            models.Index(
                fields=["frozen_until"], condition=models.Q(frozen_until__isnull=False), name="sensor_freeze_end"
            ),
        ]

    # Set by sensors.signals before a save: the section and enabled flag it had, and the
    # sections it counted for, recomputed after the save.
    _before: tuple[int, bool] | None
    _counted_for: set[int]

    def __str__(self) -> str:
        return self.name or self.uuid

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.uuid_key = uuid_key(self.uuid)
        if self.enabled and self.awaiting_approval:  # enabled by an operator: that approves it
            self.awaiting_approval = False
        with writing_sensors(kwargs.get("update_fields")):
            super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        with writing_sensors():
            return super().delete(*args, **kwargs)

    def clean(self) -> None:
        same = Sensor.objects.by_uuid(self.uuid).exclude(pk=self.pk).first() if self.uuid else None
        if same is not None:  # one sensor per uuid, whatever its letters' case (uuid_key)
            raise ValidationError({"uuid": f"Sensor #{same.pk} already has this uuid ({same.uuid})."})
        if self.frozen_until is not None and self.frozen_is_up is None:
            raise ValidationError({"frozen_is_up": "Choose the value to freeze at, or clear the end time."})


class SensorListVersion(models.Model):
    """The public sensor list's version: a new one after every write that may change the
    list (writing_sensors), so each web process keeps the list it rendered exactly
    as long as it is true, and answers a read with one small query.

    Random rather than counted: a database restored from a backup, or a transaction rolled
    back, never brings back a version some process still holds a different list for.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    version = models.BigIntegerField()

    def __str__(self) -> str:
        return f"sensor list version {self.version}"

    @classmethod
    def renew(cls) -> None:
        SensorListVersion.objects.bulk_create(
            [SensorListVersion(id=1, version=secrets.randbits(63))],
            update_conflicts=True,
            unique_fields=["id"],
            update_fields=["version"],
        )

    @classmethod
    def current(cls) -> int | None:
        """The version, by one indexed read; None before the list has ever changed."""
        with connection.cursor() as cursor:
            cursor.execute(_CURRENT_VERSION_SQL)
            row = cursor.fetchone()
        return row[0] if row else None


class SensorAlias(models.Model):
    """A physical sensor that also counts for another section (a shared power line)."""

    sensor = models.ForeignKey(Sensor, on_delete=models.CASCADE, related_name="aliases")
    section = models.ForeignKey(Section, on_delete=models.PROTECT, related_name="aliases")

    class Meta:
        verbose_name_plural = "sensor aliases"
        ordering = ["section__building_id", "section__number", "sensor_id"]
        constraints = [models.UniqueConstraint(fields=["sensor", "section"], name="alias_unique")]

    def __str__(self) -> str:
        return f"{self.sensor} → {self.section}"

    def clean(self) -> None:
        if self.sensor_id and self.section_id and self.sensor.section_id == self.section_id:
            raise ValidationError("The sensor is already in this section; an alias to it would count it twice.")


class WriteKey(ApiKey):
    """A key that may post heartbeats. Scoped to one sensor, a leaked key is revoked
    without reflashing the rest of the fleet."""

    PREFIX = "pbw_"
    ENVIRONMENT_SETTING = "SENSOR_API_KEY"

    sensor_uuid = models.CharField(
        max_length=UUID_MAX_LENGTH,
        blank=True,
        help_text="Only heartbeats of this sensor uuid are accepted. Empty: any sensor.",
    )

    class Meta(ApiKey.Meta):
        verbose_name = "sensor (write) key"

    @classmethod
    def for_sensor(cls, raw: object, uuid: object) -> WriteKey | None:
        """The active key `raw` is, if it may post heartbeats of `uuid`: a key flashed onto one
        board is good for that board's uuid only."""
        key = cls.authenticate(raw) if isinstance(raw, str) else None
        return key if key is not None and key.allows(uuid) else None

    def allows(self, uuid: object) -> bool:
        """Whether this key may post heartbeats for `uuid` (as sent, of any JSON type)."""
        if not self.sensor_uuid:
            return True
        return isinstance(uuid, str) and uuid_key(uuid) == uuid_key(self.sensor_uuid)


class PowerCause(models.TextChoices):
    INITIAL = "initial", "first seen"  # a section's first state: nobody is told
    HEARTBEAT = "heartbeat", "heartbeat"
    TIMEOUT = "timeout", "heartbeats stopped"
    MQTT_WILL = "mqtt_will", "connection lost (MQTT last will)"
    OPERATOR = "operator", "operator"
    GUARD = "guard", "held: mass silence"  # nobody is told; an operator is alerted
    RESTORED = "restored", "restored after a guard"


class PowerState(models.TextChoices):
    UP = "up", "power on"
    DOWN = "down", "power off"
    UNKNOWN = "unknown", "unknown"  # no sensor counts for the section yet


class SectionPower(models.Model):
    """A section's current power state, as last recorded by the engine.

    `version` counts its changes: every change is a conditional UPDATE on the version
    read, so of two workers seeing the same transition exactly one records it.
    """

    section = models.OneToOneField(Section, on_delete=models.CASCADE, primary_key=True, related_name="power")
    state = models.CharField(max_length=8, choices=PowerState.choices)
    since = models.DateTimeField(null=True, blank=True)
    cause = models.CharField(max_length=10, choices=PowerCause.choices, default=PowerCause.INITIAL)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = "section power"
        verbose_name_plural = "section power"

    def __str__(self) -> str:
        return f"{self.section}: {self.state}"


class PowerEvent(models.Model):
    """Append-only history of section power transitions."""

    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="power_events")
    sequence = models.PositiveIntegerField(help_text="The section's version after this change.")
    state = models.CharField(max_length=8, choices=PowerState.choices)
    at = models.DateTimeField(help_text="When the new state began.")
    cause = models.CharField(max_length=10, choices=PowerCause.choices)
    previous_state = models.CharField(max_length=8, choices=PowerState.choices, blank=True)
    previous_since = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=200, blank=True)
    operator = models.CharField(max_length=150, blank=True, help_text="Who made the change, for operator causes.")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]
        constraints = [models.UniqueConstraint(fields=["section", "sequence"], name="power_event_unique_sequence")]
        indexes = [models.Index(fields=["section", "at"], name="power_event_section_at")]

    def __str__(self) -> str:
        return f"{self.section}: {self.state} at {self.at:%Y-%m-%d %H:%M} ({self.cause})"


class SensorTransition(models.Model):
    """Append-only history of a sensor going online or offline."""

    sensor = models.ForeignKey(Sensor, on_delete=models.CASCADE, related_name="transitions")
    online = models.BooleanField()
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["sensor", "at"], name="sensor_transition_sensor_at")]

    def __str__(self) -> str:
        return f"{self.sensor_id} {'online' if self.online else 'offline'} at {self.at:%Y-%m-%d %H:%M:%S}"


class DetectorClock(models.Model):
    """When the offline detector last ran: a gap longer than the timeout means the server
    itself was down, and silence during it proves nothing about the mains."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_tick_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"detector last ticked at {self.last_tick_at:%Y-%m-%d %H:%M:%S}"


class MassSilence(models.Model):
    """A time when so many sensors in so many buildings fell silent together that the
    server, not the mains, is the likely cause. While it is open, sections that would go
    down are held as unknown and nobody is told; it closes once the silence has not been
    massive for a whole timeout, or when an operator releases it.
    """

    started_at = models.DateTimeField()
    silent_sensors = models.PositiveIntegerField(help_text="Silent sensors when the hold began.")
    active_sensors = models.PositiveIntegerField(help_text="Sensors heard within the window when the hold began.")
    buildings = models.PositiveIntegerField(help_text="Buildings with silent sensors when the hold began.")
    recovering_since = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the silence stopped being massive; the hold ends a timeout later.",
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.CharField(max_length=150, blank=True, help_text="The operator who released it, if one did.")
    open = models.BooleanField(default=True, editable=False)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            # However many detectors see the same silence, one hold is opened.
            models.UniqueConstraint(fields=["open"], condition=models.Q(open=True), name="one_open_mass_silence"),
        ]

    def __str__(self) -> str:
        return f"mass silence from {self.started_at:%Y-%m-%d %H:%M}"


# Read for every read of the list: SQL, as the ORM's building of it would cost more.
_CURRENT_VERSION_SQL = f'SELECT version FROM "{SensorListVersion._meta.db_table}" WHERE id = 1'


class MappingImport(models.Model):
    """A mapping file imported (`manage.py import_mappings`), with who ran it: the operators'
    record of changes made outside the admin, listed on its "Now" page."""

    at = models.DateTimeField()
    by = models.CharField(max_length=150, help_text="--by, or the system user who ran the command.")
    source = models.CharField(max_length=300, help_text="The file's name.")
    summary = models.CharField(max_length=300)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.source} imported by {self.by}"
