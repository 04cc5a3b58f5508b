"""Heartbeat ingest: validation, mapping rules and the one write, in the contract's order.

Checks run in the order field clients rely on: (JSON object and key, in the view) then
building_id type, sensor_uuid, canonical mapping, building exists, section, name, comment.
Nothing is written until every check has passed. A sensor that stays where it was costs
one SELECT and one UPDATE; the power-state engine adds a conditional write only when the
sensor was offline. Each process remembers the facts it read about the sensors it has
heard, so their next quiet heartbeat is one UPDATE that also checks every fact it relied on
(`_update`); when one has changed, nothing is written and the heartbeat is decided afresh.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeGuard, cast

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from buildings.models import MAX_BUILDING_ID, Building, Section
from powerbot.db import no_wait_for_disk
from powerbot.text import storable
from sensors.models import TEXT_MAX_LENGTH, UUID_MAX_LENGTH, Sensor, Transport, uuid_key, writing_sensors
from sensors.power import confirms_power_on, power_on_confirmed, sensor_heard
from sensors.status import sensor_timeout

if TYPE_CHECKING:
    from django.db.models import Field

# Fields of the contract; anything else the firmware sends is kept as telemetry.
CONTRACT_FIELDS = frozenset({"api_key", "building_id", "section_id", "sensor_uuid", "name", "comment"})
FIRMWARE_VERSION_MAX_LENGTH = 32
MAX_TELEMETRY_DEPTH = 16


class HeartbeatRejected(Exception):
    """A heartbeat refused with an HTTP status, the contract's message, and a reason for metrics."""

    def __init__(self, status: int, message: str, reason: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.reason = reason


@dataclass(frozen=True)
class HeartbeatAccepted:
    timestamp: datetime
    building_name: str
    section_number: int
    sensor_uuid: str


SENSOR_UUID_REQUIRED = "sensor_uuid is required and must be a string"


def clean_sensor_uuid(value: Any) -> str | None:
    """The uuid trimmed, or None when it is not one a sensor can have."""
    uuid = value.strip() if isinstance(value, str) else ""
    # Unprintable characters (NUL, lone surrogates, controls) cannot be stored or shown.
    if not uuid or len(uuid) > UUID_MAX_LENGTH or not uuid.isprintable():
        return None
    return uuid


def is_json_int(value: Any) -> TypeGuard[int]:
    # JSON true/false arrive as bool, a subclass of int; they are not integers here.
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class Placement:
    """Where a heartbeat lands; `section_pk` is None when the section still has to be looked up."""

    building_id: int
    building_name: str
    number: int
    section_pk: int | None


@dataclass(frozen=True)
class KnownSensor:
    pk: int
    uuid_key: str
    canonical: bool
    online: bool
    # As the database returns them (SQLite: text); converted only when POWER_ON_CONFIRM_SEC
    # needs them, so a plain heartbeat pays nothing for the feature.
    online_since_raw: Any
    last_heartbeat_raw: Any
    current: Placement
    section_count: int
    default_section: int
    # Read by an earlier heartbeat of this process, not by this one: see _record.
    remembered: bool = False


# uuid key -> the facts of a sensor this process has heard while it was online.
_remembered: dict[str, KnownSensor] = {}
REMEMBER_AT_MOST = 100_000  # sensors; past that, forget them all and start again


def record_heartbeat(
    payload: Mapping[str, Any], *, ip: str | None, bound: bool = False, transport: Transport = Transport.HTTP
) -> HeartbeatAccepted:
    """Validate and record one heartbeat whose key the caller has already checked. `bound`:
    the key is scoped to this one board, which is then bound to its section as if pinned (a
    key read out of one board moves nothing)."""
    building_id = payload.get("building_id")
    if not is_json_int(building_id):
        raise HeartbeatRejected(400, "building_id must be an integer", "bad_building_id")
    uuid = clean_sensor_uuid(payload.get("sensor_uuid"))
    if uuid is None:
        raise HeartbeatRejected(400, SENSOR_UUID_REQUIRED, "bad_sensor_uuid")

    key = uuid_key(uuid)
    remembered = _remembered.get(key)
    if remembered is not None:
        try:
            accepted = _record(payload, uuid, building_id, ip, remembered, bound, transport)
        except HeartbeatRejected:
            accepted = None  # perhaps only by what has changed since: decide on fresh facts
        if accepted is not None:
            return accepted
        _remembered.pop(key, None)
    accepted = _record(payload, uuid, building_id, ip, find_sensor(uuid), bound, transport)
    assert accepted is not None  # only remembered facts can turn out stale
    return accepted


def _record(
    payload: Mapping[str, Any],
    uuid: str,
    building_id: int,
    ip: str | None,
    known: KnownSensor | None,
    bound: bool,
    transport: Transport,
) -> HeartbeatAccepted | None:
    """Record the heartbeat on the facts in `known`; None, having written nothing, when
    they were remembered and are no longer all true, or the heartbeat is not a quiet one."""
    placement = resolve_placement(known, uuid, building_id, payload.get("section_id"), bound=bound)
    name = _optional_text(payload, "name")
    comment = _optional_text(payload, "comment")

    now = timezone.now()
    fields: dict[str, Any] = {
        "last_heartbeat": now,
        "offline_after": now + sensor_timeout(),
        "last_ip": ip,
        "telemetry": _telemetry(payload),
        "transport": transport,
    }
    firmware_version = fields["telemetry"].get("firmware_version")
    if isinstance(firmware_version, str) and len(firmware_version) <= FIRMWARE_VERSION_MAX_LENGTH:
        fields["firmware_version"] = firmware_version
    if name is not None:
        fields["name"] = name
    if comment is not None:
        fields["comment"] = comment

    stays = known is not None and placement.section_pk == known.current.section_pk
    if known is not None and known.remembered:
        # Only the quiet heartbeat runs on remembered facts, and only if the write finds
        # every one of them still true.
        if not (stays and _update(known.pk, fields, up_after=_comfortably(now), facts=known)):
            return None
    elif known is not None and stays and (touched := _touch(known.pk, fields, now)):
        _heard(known, touched, now)
    else:
        left = [known.current.section_pk] if known is not None and known.current.section_pk is not None else []
        sensor_heard(_place(uuid, placement, fields, pinned=bound), now, also_sections=left)
    return HeartbeatAccepted(now, placement.building_name, placement.number, uuid)


def record_presence(uuid: str, *, revive: bool) -> bool:
    """A board's `online` (MQTT): the presence of a heartbeat, for a sensor already known (it
    carries no key, so it makes and moves nothing). Without `revive` (a retained one, which
    may be left from a board long gone) it only keeps an online sensor online. Whether it counted."""
    now = timezone.now()
    fields = {"last_heartbeat": now, "offline_after": now + sensor_timeout(), "transport": Transport.MQTT}
    if not revive:  # one conditional write: a sensor offline, or taken offline meanwhile, stays so
        return Sensor.objects.by_uuid(uuid).filter(online=True).update(**fields) == 1
    known = find_sensor(uuid)
    if known is None:
        return False
    touched = _touch(known.pk, fields, now)
    if touched:
        _heard(known, touched, now)
    return bool(touched)


def _heard(known: KnownSensor, touched: str, now: datetime) -> None:
    """After a sensor that stays in its section was heard (`_touch`): what that changes."""
    if not known.online or touched == LATE:
        # Power may be back: one conditional write. Late, the detector may have taken it
        # offline since it was read: the same write finds out.
        sensor_heard(known.pk, now)
    elif settings.POWER_ON_CONFIRM_SEC:
        if confirms_power_on(_as_datetime(known.online_since_raw), _as_datetime(known.last_heartbeat_raw), now):
            power_on_confirmed(known.pk, now)
    else:
        _remember(known)


def _remember(known: KnownSensor) -> None:
    """Keep the facts of a sensor heard online, for its next heartbeat in this process.

    Not with POWER_ON_CONFIRM_SEC: that decision needs the previous heartbeat's time, which
    every heartbeat changes."""
    if len(_remembered) >= REMEMBER_AT_MOST:
        _remembered.clear()
    _remembered[known.uuid_key] = replace(known, remembered=True)


@functools.cache
def _find_sensor_sql() -> str:
    sensor, section, building = (model._meta.db_table for model in (Sensor, Section, Building))
    return (
        "SELECT s.id, s.canonical, s.online, s.online_since, s.last_heartbeat, s.section_id, sec.number, "
        "b.id, b.name, b.section_count, b.default_section "
        f'FROM "{sensor}" s JOIN "{section}" sec ON sec.id = s.section_id '
        f'JOIN "{building}" b ON b.id = sec.building_id WHERE s.uuid_key = %s'
    )


def find_sensor(uuid: str) -> KnownSensor | None:
    """The sensor and its building's mapping facts in one indexed query.

    Written as SQL because this runs for every heartbeat: building the same query
    through the ORM costs more than everything else on the hot path together.
    """
    with connection.cursor() as cursor:
        cursor.execute(_find_sensor_sql(), [uuid_key(uuid)])
        row = cursor.fetchone()
    if row is None:
        return None
    (
        pk,
        canonical,
        online,
        online_since,
        last_heartbeat,
        section_pk,
        number,
        building_id,
        building_name,
        section_count,
        default_section,
    ) = row
    return KnownSensor(
        pk,
        uuid_key(uuid),
        bool(canonical),
        bool(online),
        online_since,
        last_heartbeat,
        Placement(building_id, building_name, number, section_pk),
        section_count,
        default_section,
    )


def _as_datetime(value: Any) -> datetime | None:
    """A datetime column as the ORM would return it (SQLite hands raw SQL a string)."""
    field = Sensor._meta.get_field("last_heartbeat")
    for converter in connection.ops.get_db_converters(field.get_col(Sensor._meta.db_table)):
        value = converter(value, field, connection)
    return cast("datetime | None", value)


def resolve_placement(
    known: KnownSensor | None, uuid: str, building_id: int, section_id: Any, *, bound: bool = False
) -> Placement:
    """Apply the mapping rules; raises HeartbeatRejected for an unknown building or bad section."""
    if known is not None and (known.canonical or bound):
        return known.current  # pinned in the admin, or bound by its own key: what the firmware says is ignored
    pinned_building = settings.SENSOR_UUID_BUILDING_MAP.get(uuid_key(uuid))
    if pinned_building is not None:
        building_id = pinned_building

    facts: tuple[str, int, int] | None
    if known is not None and known.current.building_id == building_id:
        facts = (known.current.building_name, known.section_count, known.default_section)
    elif 1 <= building_id <= MAX_BUILDING_ID:
        facts = Building.objects.filter(pk=building_id).values_list("name", "section_count", "default_section").first()
    else:
        facts = None
    if facts is None:
        raise HeartbeatRejected(404, f"Building {building_id} not found", "unknown_building")
    building_name, section_count, default_section = facts

    if section_id is None:
        number = default_section
    elif is_json_int(section_id) and 1 <= section_id <= section_count:
        number = section_id
    elif pinned_building is not None:
        number = default_section
    else:
        raise HeartbeatRejected(400, f"section_id must be integer 1..{section_count}", "bad_section")

    current = known.current if known is not None else None
    if current is not None and (current.building_id, current.number) == (building_id, number):
        return Placement(building_id, building_name, number, current.section_pk)
    return Placement(building_id, building_name, number, None)


def _optional_text(payload: Mapping[str, Any], field: str) -> str | None:
    value = payload.get(field)
    if value is None:
        return None
    if not isinstance(value, str):
        raise HeartbeatRejected(400, f"{field} must be string", "bad_text")
    return storable(value).strip()[:TEXT_MAX_LENGTH]


def _telemetry(payload: Mapping[str, Any]) -> dict[str, Any]:
    """The extra fields, as sent; a value no database can store is dropped, never refused."""
    return {
        field: value
        for field, value in payload.items()
        if field not in CONTRACT_FIELDS and _storable(field) and _storable(value)
    }


def _storable(value: Any) -> bool:
    """Finite numbers and clean text, nested at most MAX_TELEMETRY_DEPTH deep.

    Iterative, so no body can exhaust the stack.
    """
    pending = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if depth > MAX_TELEMETRY_DEPTH:
            return False
        if isinstance(item, str):
            if storable(item) != item:
                return False
        elif isinstance(item, float):
            if not math.isfinite(item):
                return False
        elif isinstance(item, dict):
            pending.extend((part, depth + 1) for pair in item.items() for part in pair)
        elif isinstance(item, list):
            pending.extend((part, depth + 1) for part in item)
    return True


QUIET, LATE = "quiet", "late"


def _touch(pk: int, fields: dict[str, Any], now: datetime) -> str:
    """Record a heartbeat of a sensor that stays in its section: QUIET, LATE (it was past or
    near its deadline), or "" if it is gone.

    One UPDATE when the sensor was up with time to spare: no reader's answer changes. A
    sensor that was past its deadline is back up, which changes the public list: that
    UPDATE renews the list's version. A heartbeat may wait between reading the clock and
    committing (a lock, a slow disk), so a deadline within half a timeout of `now` counts
    as passed, and no reader can have seen the sensor down without seeing the new version.
    """
    if _update(pk, fields, up_after=_comfortably(now)):
        return QUIET
    with writing_sensors(fields):
        return LATE if _update(pk, fields) else ""


def _comfortably(now: datetime) -> datetime:
    return now + sensor_timeout() / 2


def _update(
    pk: int, fields: dict[str, Any], up_after: datetime | None = None, facts: KnownSensor | None = None
) -> bool:
    """UPDATE one sensor by id; given `up_after`, only if it is up after then, and then
    committed without waiting for the disk on PostgreSQL; given `facts`, only if every one
    of them (the sensor's, its section's, its building's) is still true.

    SQL, as the ORM's building of it costs more than the rest of the heartbeat; values are
    prepared by the model fields themselves, so every database gets what the ORM would send.
    """
    quote = connection.ops.quote_name
    assignments, params = [], []
    for name, value in fields.items():
        field = cast("Field[Any, Any]", Sensor._meta.get_field(name))  # `fields` names columns only
        assignments.append(f"{quote(cast(str, field.column))} = %s")
        params.append(field.get_db_prep_save(value, connection))
    condition = f"{quote('id')} = %s"
    params.append(pk)
    if up_after is not None:
        condition += f" AND {quote('offline_after')} > %s"
        params.append(connection.ops.adapt_datetimefield_value(up_after))
        # Nothing but this heartbeat is written here, and one lost in a crash is sent again
        # 10 s later; power events, and every other write, still wait for the disk.
        condition += no_wait_for_disk()
    if facts is not None:
        condition += _facts_sql()
        params += [
            facts.uuid_key,
            facts.current.section_pk,
            facts.canonical,
            facts.online,
            facts.current.section_pk,
            facts.current.number,
            facts.current.building_id,
            facts.current.building_name,
            facts.section_count,
            facts.default_section,
        ]
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {quote(Sensor._meta.db_table)} SET {', '.join(assignments)} WHERE {condition}", params)
        return bool(cursor.rowcount == 1)


@functools.cache
def _facts_sql() -> str:
    """What find_sensor read, as conditions: the same facts, checked by the write itself."""
    section, building = Section._meta.db_table, Building._meta.db_table
    return (
        " AND uuid_key = %s AND section_id = %s AND canonical = %s AND online = %s"
        f' AND EXISTS (SELECT 1 FROM "{section}" sec '
        f'JOIN "{building}" b ON b.id = sec.building_id WHERE sec.id = %s AND sec.number = %s AND b.id = %s '
        "AND b.name = %s AND b.section_count = %s AND b.default_section = %s)"
    )


def _place(uuid: str, placement: Placement, fields: dict[str, Any], *, pinned: bool = False) -> int:
    """A new sensor, or one that moved: the rare paths, through the ORM. Returns its id. A new
    one is pinned where it first reported when its key is its own, and with
    SENSOR_NEW_NEEDS_APPROVAL counts for nothing until an operator approves or pins it."""
    section = Section.objects.filter(building_id=placement.building_id, number=placement.number).first()
    if section is None:
        # An operator removed the section since we looked: answer as if we had seen it.
        count = Building.objects.filter(pk=placement.building_id).values_list("section_count", flat=True).first()
        if count is None:
            raise HeartbeatRejected(404, f"Building {placement.building_id} not found", "unknown_building")
        raise HeartbeatRejected(400, f"section_id must be integer 1..{count}", "bad_section")
    sensors = Sensor.objects.by_uuid(uuid)
    if sensors.filter(canonical=False).update(section=section, **fields) or (
        # pinned by an operator since we looked: it keeps its section
        sensors.filter(canonical=True).update(**fields)
    ):
        return sensors.values_list("pk", flat=True).get()
    try:
        with transaction.atomic():
            awaiting = settings.SENSOR_NEW_NEEDS_APPROVAL
            return Sensor.objects.create(
                uuid=uuid, section=section, canonical=pinned, enabled=not awaiting, awaiting_approval=awaiting, **fields
            ).pk
    except IntegrityError:
        # Another worker created this sensor between our read and our insert.
        return _place(uuid, placement, fields, pinned=pinned)
