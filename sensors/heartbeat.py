"""Heartbeat ingest: validation, mapping rules and the one write, in the contract's order.

Checks run in the order field clients rely on: (JSON object and key, in the view) then
building_id type, sensor_uuid, canonical mapping, building exists, section, name, comment.
Nothing is written until every check has passed, and the write is a single statement.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone

from buildings.models import MAX_BUILDING_ID, Building, Section
from sensors.models import TEXT_MAX_LENGTH, UUID_MAX_LENGTH, Sensor, WriteKey
from sensors.status import sensor_timeout

# Fields of the contract; anything else the firmware sends is kept as telemetry.
CONTRACT_FIELDS = frozenset({"api_key", "building_id", "section_id", "sensor_uuid", "name", "comment"})
FIRMWARE_VERSION_MAX_LENGTH = 32


class HeartbeatRejected(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class HeartbeatAccepted:
    timestamp: datetime
    building_name: str
    section_number: int
    sensor_uuid: str


def is_json_int(value: Any) -> bool:
    # JSON true/false arrive as bool, a subclass of int; they are not integers here.
    return isinstance(value, int) and not isinstance(value, bool)


def record_heartbeat(payload: Mapping[str, Any], *, key: WriteKey, ip: str | None) -> HeartbeatAccepted:
    building_id = payload.get("building_id")
    if not is_json_int(building_id):
        raise HeartbeatRejected(400, "building_id must be an integer")
    uuid = payload.get("sensor_uuid")
    uuid = uuid.strip() if isinstance(uuid, str) else ""
    if not uuid or len(uuid) > UUID_MAX_LENGTH:
        raise HeartbeatRejected(400, "sensor_uuid is required and must be a string")
    if not key.allows(uuid):
        raise HeartbeatRejected(401, "Invalid API key")

    sensor = Sensor.objects.by_uuid(uuid).select_related("section__building").first()
    section = resolve_section(sensor, uuid, building_id, payload.get("section_id"))
    name = _optional_text(payload, "name")
    comment = _optional_text(payload, "comment")

    now = timezone.now()
    fields: dict[str, Any] = {"last_heartbeat": now, "last_ip": ip, "telemetry": _telemetry(payload)}
    firmware_version = payload.get("firmware_version")
    if isinstance(firmware_version, str) and len(firmware_version) <= FIRMWARE_VERSION_MAX_LENGTH:
        fields["firmware_version"] = firmware_version
    if name is not None:
        fields["name"] = name
    if comment is not None:
        fields["comment"] = comment
    _save(sensor, uuid, section, fields, now)
    return HeartbeatAccepted(now, section.building.name, section.number, uuid)


def resolve_section(sensor: Sensor | None, uuid: str, building_id: int, section_id: Any) -> Section:
    """Apply the mapping rules; raises HeartbeatRejected for an unknown building or bad section."""
    if sensor is not None and sensor.canonical:
        return sensor.section  # pinned in the admin: what the firmware says is ignored
    pinned_building = settings.SENSOR_UUID_BUILDING_MAP.get(uuid.lower())
    if pinned_building is not None:
        building_id = pinned_building

    current = sensor.section if sensor is not None else None
    if current is not None and current.building_id == building_id:
        building = current.building
    elif 1 <= building_id <= MAX_BUILDING_ID:
        building = Building.objects.filter(pk=building_id).first()
    else:
        building = None
    if building is None:
        raise HeartbeatRejected(404, f"Building {building_id} not found")

    if section_id is None:
        number = building.default_section
    elif is_json_int(section_id) and 1 <= section_id <= building.section_count:
        number = section_id
    elif pinned_building is not None:
        number = building.default_section
    else:
        raise HeartbeatRejected(400, f"section_id must be integer 1..{building.section_count}")

    if current is not None and current.building_id == building.pk and current.number == number:
        return current
    section = Section.objects.get(building=building, number=number)
    section.building = building  # already loaded; spares a query for its name
    return section


def _optional_text(payload: Mapping[str, Any], field: str) -> str | None:
    value = payload.get(field)
    if value is None:
        return None
    if not isinstance(value, str):
        raise HeartbeatRejected(400, f"{field} must be string")
    return value.strip()[:TEXT_MAX_LENGTH]


def _telemetry(payload: Mapping[str, Any]) -> dict[str, Any]:
    return {field: value for field, value in payload.items() if field not in CONTRACT_FIELDS}


def _save(sensor: Sensor | None, uuid: str, section: Section, fields: dict[str, Any], now: datetime) -> None:
    if sensor is not None:
        rows = Sensor.objects.filter(pk=sensor.pk)
        if section.pk != sensor.section_id and not sensor.canonical:
            fields["section"] = section
            rows = rows.filter(canonical=False)  # never move a sensor pinned meanwhile
        # A heartbeat after silence starts a new online run; one statement, no read.
        silent = Q(last_heartbeat__isnull=True) | Q(last_heartbeat__lte=now - sensor_timeout())
        fields["online_since"] = Case(When(silent, then=Value(now)), default=F("online_since"))
        if rows.update(**fields):
            return
    try:
        with transaction.atomic():
            fields["online_since"] = now
            Sensor.objects.create(uuid=uuid, section=section, **fields)
    except IntegrityError:
        # Another worker created this sensor between our read and our insert.
        existing = Sensor.objects.by_uuid(uuid).get()
        fields.pop("online_since")
        fields.pop("section", None)
        _save(existing, uuid, section, fields, now)
